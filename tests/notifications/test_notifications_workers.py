"""Both ways the dispatcher runs in the background: an RQ job and an in-process thread."""

import os
import time

import fakeredis
import pytest
import redis
import rq
from rq.job import JobStatus
from sqlalchemy.orm import Session, sessionmaker

from notifications.background import BackgroundDispatcher
from notifications.devices import register_device
from notifications.dispatcher import Dispatcher
from notifications.events import Event
from notifications.jobs import QUEUE_NAME, request_dispatch
from notifications.outbox import Status, delivery_states, enqueue
from notifications.transports.base import Outcome, Outgoing, SendResult
from notifications.transports.log import LogTransport
from tests.timing import pause


def add_message(session_factory: sessionmaker[Session], journey_id: int = 7) -> None:
    with session_factory() as session:
        register_device(session, journey_id, f"phone-{journey_id}", "android")
        enqueue(session, journey_id, Event.REPORT_READY, "en")
        session.commit()


def status_of(session_factory: sessionmaker[Session], journey_id: int = 7) -> str:
    with session_factory() as session:
        return delivery_states(session, journey_id)[0].status


@pytest.fixture
def redis_connection() -> redis.Redis:
    if os.environ.get("REDIS_URL"):
        return redis.Redis.from_url(os.environ["REDIS_URL"])
    return fakeredis.FakeRedis()


def test_the_rq_job_delivers_with_the_log_transport_by_default(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    session_factory: sessionmaker[Session],
    redis_connection: redis.Redis,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("CAREPATH_FCM_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    add_message(session_factory)
    queue = rq.Queue(QUEUE_NAME, is_async=False, connection=redis_connection)

    job = request_dispatch(queue)

    assert job.get_status() == JobStatus.FINISHED, job.latest_result()
    assert job.return_value()["delivered"] == 1
    assert status_of(session_factory) == Status.DELIVERED
    assert queue.scheduled_job_registry.get_job_ids() == []


def test_the_rq_job_books_a_wake_up_for_the_next_retry(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    session_factory: sessionmaker[Session],
    redis_connection: redis.Redis,
) -> None:
    class Unavailable(LogTransport):
        def send(self, messages: list[Outgoing]) -> list[SendResult]:
            return [SendResult(Outcome.RETRY, retry_after=60) for _ in messages]

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("notifications.jobs.transports_from_environment", lambda: [Unavailable()])
    add_message(session_factory)
    queue = rq.Queue(QUEUE_NAME, is_async=False, connection=redis_connection)

    jobs = [request_dispatch(queue), request_dispatch(queue)]

    assert [j.get_status() for j in jobs] == [JobStatus.FINISHED] * 2, jobs[0].latest_result()
    assert status_of(session_factory) == Status.PENDING
    [wake_up] = queue.scheduled_job_registry.get_job_ids()  # booked once, not once per job
    with session_factory() as session:
        due = delivery_states(session, 7)[0].next_attempt_at
    assert queue.scheduled_job_registry.get_scheduled_time(wake_up) == due.replace(microsecond=0)
    queue.scheduled_job_registry.remove(wake_up, delete_job=True)


def test_the_in_process_worker_delivers_without_being_asked(
    session_factory: sessionmaker[Session],
) -> None:
    worker = BackgroundDispatcher(Dispatcher(session_factory, [LogTransport()]), poll_seconds=0.05)
    worker.start()
    try:
        add_message(session_factory)
        deadline = time.monotonic() + 10
        while status_of(session_factory) != Status.DELIVERED and time.monotonic() < deadline:
            pause(0.02)
        add_message(session_factory, journey_id=8)
        worker.wake()
        while status_of(session_factory, 8) != Status.DELIVERED and time.monotonic() < deadline:
            pause(0.02)
    finally:
        worker.stop()
    assert status_of(session_factory, 8) == Status.DELIVERED
    assert not worker.thread.is_alive()
