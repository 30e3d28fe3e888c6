"""The outbox and dispatcher end to end: real SDK, fake FCM server, real database."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from notifications.devices import Device, register_device, unregister_device
from notifications.dispatcher import DispatchConfig, Dispatcher, RetryPolicy
from notifications.events import Event
from notifications.outbox import OutboxMessage, Status, delivery_states, enqueue
from notifications.transports.base import Outcome, Outgoing, SendResult, Transport
from notifications.transports.fcm import FcmTransport
from notifications.transports.log import LogTransport
from tests.notifications.fake_fcm import FakeFcm, reply_for
from tests.timing import RunningClock, pause, without_faketime

START = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def dispatcher(
    session_factory: sessionmaker[Session],
    transports: Sequence[Transport],
    clock: Clock,
    max_attempts: int = 8,
) -> Dispatcher:
    config = DispatchConfig(retry=RetryPolicy(max_attempts=max_attempts, base_seconds=1.0))
    return Dispatcher(session_factory, transports, config, clock=clock, rng=random.Random(1))


def add_journeys(
    session_factory: sessionmaker[Session],
    clock: Clock,
    tokens_by_journey: dict[int, list[str]],
    event: Event = Event.JOURNEY_COMPLETE,
) -> list[str]:
    """One message per journey, committed with the devices; returns the event ids."""
    with session_factory() as session:
        for journey_id, tokens in tokens_by_journey.items():
            for token in tokens:
                register_device(session, journey_id, token, "android")
        messages = [enqueue(session, j, event, "en", now=clock()) for j in tokens_by_journey]
        session.commit()
        return [m.event_id for m in messages]


def drain(worker: Dispatcher, clock: Clock, passes: int = 50) -> None:
    """Run passes, jumping the clock to each retry, until nothing is left to do."""
    for _ in range(passes):
        worker.run_pass()
        due = worker.next_due()
        if due is None:
            return
        clock.now = max(clock.now, due)
    raise AssertionError("outbox did not drain")


def statuses(session_factory: sessionmaker[Session]) -> dict[str, str]:
    with session_factory() as session:
        rows = session.execute(sa.select(OutboxMessage.event_id, OutboxMessage.status))
        return {event_id: status for event_id, status in rows}


def test_enqueue_belongs_to_the_callers_transaction(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    with session_factory() as session:
        enqueue(session, 1, Event.NEXT_STEP, "zh", step_id=3, room="3-12", walking_minutes=4)
        session.rollback()
    assert statuses(session_factory) == {}

    with session_factory() as session:
        message = enqueue(session, 1, Event.TURN_NOW, "zh-CN", step_id=3, room="3-12", desk=2)
        session.commit()
        assert message.detail == "轮到您了：3-12 室，2 号台。"
    assert list(statuses(session_factory).values()) == [Status.PENDING]


def test_delivers_to_every_device_of_the_journey_once(
    session_factory: sessionmaker[Session], fcm_transport: FcmTransport, fake_fcm: FakeFcm, clock
) -> None:
    [event_id] = add_journeys(session_factory, clock, {7: ["phone", "tablet"]})

    report = dispatcher(session_factory, [fcm_transport], clock).run_pass()

    assert report.sent == 2 and report.statuses == {Status.DELIVERED: 1}
    assert sorted(r.token for r in fake_fcm.requests) == ["phone", "tablet"]
    assert fake_fcm.delivered() == {event_id: 2}
    with session_factory() as session:
        [state] = delivery_states(session, 7)
    assert (state.status, state.attempts, state.devices_acknowledged) == ("delivered", 1, 2)


def test_dead_tokens_are_forgotten(
    session_factory: sessionmaker[Session], fcm_transport: FcmTransport, fake_fcm: FakeFcm, clock
) -> None:
    fake_fcm.unregistered.add("uninstalled")
    fake_fcm.invalid.add("garbled")
    add_journeys(session_factory, clock, {7: ["uninstalled", "garbled", "good"], 8: ["garbled"]})

    dispatcher(session_factory, [fcm_transport], clock).run_pass()

    with session_factory() as session:
        assert session.scalars(sa.select(Device.token)).all() == ["good"]
    assert sorted(statuses(session_factory).values()) == [Status.DELIVERED, Status.NO_DEVICE]


def test_a_503_storm_loses_nothing(
    session_factory: sessionmaker[Session], fcm_transport: FcmTransport, fake_fcm: FakeFcm, clock
) -> None:
    tokens = {journey: [f"t{journey}"] for journey in range(60)}
    for journey in range(0, 60, 2):  # half the phones: the SDK gives up once or twice
        fake_fcm.script(f"t{journey}", *[reply_for(503)] * (5 * (1 + journey % 4 // 2)))
    event_ids = add_journeys(session_factory, clock, tokens)

    drain(dispatcher(session_factory, [fcm_transport], clock), clock)

    assert fake_fcm.delivered() == {event_id: 1 for event_id in event_ids}
    assert set(statuses(session_factory).values()) == {Status.DELIVERED}


def test_a_retry_skips_devices_that_already_acknowledged(
    session_factory: sessionmaker[Session], fcm_transport: FcmTransport, fake_fcm: FakeFcm, clock
) -> None:
    fake_fcm.script("flaky", *[reply_for(503)] * 5)
    [event_id] = add_journeys(session_factory, clock, {7: ["steady", "flaky"]})

    drain(dispatcher(session_factory, [fcm_transport], clock), clock)

    accepted = [r.token for r in fake_fcm.requests if r.status == 200]
    assert sorted(accepted) == ["flaky", "steady"]
    assert fake_fcm.delivered() == {event_id: 2}


def test_retry_after_is_honoured_and_attempts_are_capped(
    session_factory: sessionmaker[Session], fcm_transport: FcmTransport, fake_fcm: FakeFcm, clock
) -> None:
    fake_fcm.script("throttled", *[reply_for(429, retry_after=90)] * 15)
    add_journeys(session_factory, clock, {7: ["throttled"]})
    worker = dispatcher(session_factory, [fcm_transport], clock, max_attempts=3)

    worker.run_pass()
    assert worker.next_due() >= START + timedelta(seconds=90)
    drain(worker, clock)

    with session_factory() as session:
        [state] = delivery_states(session, 7)
    assert (state.status, state.attempts) == (Status.FAILED, 3)
    assert "gave up after 3 attempts" in state.last_error
    assert "QuotaExceededError" in state.last_error


def test_a_stale_step_message_is_not_sent(
    session_factory: sessionmaker[Session], fcm_transport: FcmTransport, fake_fcm: FakeFcm, clock
) -> None:
    add_journeys(session_factory, clock, {7: ["phone"]}, event=Event.PLAN_CHANGED)
    clock.advance(31 * 60)

    dispatcher(session_factory, [fcm_transport], clock).run_pass()

    assert fake_fcm.requests == []
    assert list(statuses(session_factory).values()) == [Status.EXPIRED]


def test_a_failing_transport_keeps_the_messages(session_factory: sessionmaker[Session], clock: Clock) -> None:
    class Broken:
        channel, max_batch = "fcm", 500

        def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
            raise ConnectionError("network down")

    add_journeys(session_factory, clock, {7: ["phone"]})
    dispatcher(session_factory, [Broken()], clock).run_pass()

    with session_factory() as session:
        [state] = delivery_states(session, 7)
    assert state.status == Status.PENDING and "network down" in state.last_error


def test_another_channel_needs_only_another_transport(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    class Sms:
        channel, max_batch = "sms", 10
        sent: list[Outgoing] = []

        def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
            self.sent += messages
            return [SendResult(Outcome.ACKNOWLEDGED) for _ in messages]

    sms = Sms()
    with session_factory() as session:
        register_device(session, 7, "+8613800000000", "android", channel="sms")
        enqueue(session, 7, Event.MAY_EAT, "zh", now=clock())
        session.commit()

    dispatcher(session_factory, [sms], clock).run_pass()

    assert [m.address for m in sms.sent] == ["+8613800000000"]
    assert list(statuses(session_factory).values()) == [Status.DELIVERED]


def test_devices_register_idempotently_and_unregister(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        register_device(session, 7, "tok", "android")
        session.flush()
        register_device(session, 7, "tok", "ios")
        session.commit()
        assert session.scalars(sa.select(Device.platform)).all() == ["ios"]
        assert unregister_device(session, 7, "tok") is True
        assert unregister_device(session, 7, "tok") is False
        with pytest.raises(ValueError):
            register_device(session, 7, "tok", "blackberry")


def test_parallel_dispatchers_never_double_send(
    session_factory: sessionmaker[Session], fcm_transport: FcmTransport, fake_fcm: FakeFcm, clock
) -> None:
    event_ids = add_journeys(session_factory, clock, {j: [f"t{j}"] for j in range(400)})
    workers = [
        Dispatcher(session_factory, [fcm_transport], DispatchConfig(claim_limit=25), clock=clock)
        for _ in range(4)
    ]
    errors: list[BaseException] = []

    def work(worker: Dispatcher) -> None:
        try:
            while worker.run_pass().claimed:
                pass
        except BaseException as error:  # surfaced below, not swallowed by the thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert fake_fcm.delivered() == {event_id: 1 for event_id in event_ids}


CRASHING_DISPATCHER = """
import sys
from datetime import datetime
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from notifications.dispatcher import Dispatcher
from notifications.transports.fcm import FcmTransport
from tests.notifications.fake_fcm import point_sdk_at
from tests.timing import RunningClock

database_url, fake_url, key_file, start = sys.argv[1:]
transport = FcmTransport.from_service_account(key_file)
point_sdk_at(fake_url, transport.app)
clock = RunningClock(datetime.fromisoformat(start))
Dispatcher(sessionmaker(sa.create_engine(database_url)), [transport], clock=clock).run_pass()
"""


def test_a_dispatcher_killed_mid_batch_loses_nothing(
    database_url: str,
    session_factory: sessionmaker[Session],
    fcm_transport: FcmTransport,
    fake_fcm: FakeFcm,
    service_account_file,
) -> None:
    clock = Clock()
    event_ids = add_journeys(session_factory, clock, {j: [f"t{j}"] for j in range(300)})
    fake_fcm.hold_after(100)
    started = time.monotonic()
    root = Path(__file__).resolve().parents[2]
    arguments = [database_url, fake_fcm.url, str(service_account_file), START.isoformat()]
    # Its SDK and lease keeper sleep in their own code, which fails with EINVAL under libfaketime.
    environ = without_faketime(dict(os.environ))
    child = subprocess.Popen([sys.executable, "-c", CRASHING_DISPATCHER, *arguments], cwd=root, env=environ)
    try:
        deadline = time.monotonic() + 30
        while len(fake_fcm.delivered()) < 100 and time.monotonic() < deadline:
            pause(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert len(fake_fcm.delivered()) == 100
    # Its access token (the fake issues a new one per exchange) tells its requests apart.
    dead_credentials = {r.headers["authorization"] for r in fake_fcm.requests}
    fake_fcm.hold_from = None
    fake_fcm.release()

    # Later, the dead dispatcher's lease has run out (it counted from START in real time).
    clock.now = START + timedelta(seconds=time.monotonic() - started + DispatchConfig().lease_seconds + 1)
    drain(dispatcher(session_factory, [fcm_transport], clock), clock)

    delivered = fake_fcm.delivered()
    assert set(delivered) == set(event_ids)
    # Accepted from the dead dispatcher but never recorded by it: sent again, and the phone
    # drops it by event id. Nothing else is sent twice.
    from_the_dead = {
        r.event_id
        for r in fake_fcm.requests
        if r.status == 200 and r.headers["authorization"] in dead_credentials
    }
    assert len(from_the_dead) >= 100
    assert {e for e, n in delivered.items() if n > 1} <= from_the_dead


def test_rows_of_a_crashed_pass_come_back_when_the_lease_ends(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    class Crash(BaseException):
        """Stands for the process dying: nothing in the dispatcher may catch it."""

    class Dying:
        channel, max_batch = "fcm", 500

        def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
            raise Crash

    add_journeys(session_factory, clock, {7: ["phone"]})
    with pytest.raises(Crash):
        dispatcher(session_factory, [Dying()], clock).run_pass()

    worker = dispatcher(session_factory, [LogTransport()], clock)
    assert worker.run_pass().claimed == 0  # still leased: nobody else sends it meanwhile
    assert worker.next_due() == START + timedelta(seconds=DispatchConfig().lease_seconds)
    clock.now = worker.next_due()
    assert worker.run_pass().statuses == {Status.DELIVERED: 1}


def test_a_token_forgotten_in_one_batch_does_not_break_the_next(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    class OneAtATime:
        channel, max_batch = "fcm", 1

        def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
            gone = messages[0].address == "dead"
            return [SendResult(Outcome.ADDRESS_GONE if gone else Outcome.ACKNOWLEDGED)]

    with session_factory() as session:
        register_device(session, 7, "dead", "android")
        register_device(session, 7, "alive", "ios")
        for event in (Event.MAY_EAT, Event.REPORT_READY):
            enqueue(session, 7, event, "en", now=clock())
        session.commit()

    report = dispatcher(session_factory, [OneAtATime()], clock).run_pass()

    assert report.sent == 4 and report.statuses == {Status.DELIVERED: 2}
    with session_factory() as session:
        assert session.scalars(sa.select(Device.token)).all() == ["alive"]


def test_a_call_that_cannot_get_through_in_time_expires(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    class Throttled:
        channel, max_batch = "fcm", 500

        def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
            return [SendResult(Outcome.RETRY, retry_after=100, error="quota") for _ in messages]

    with session_factory() as session:
        register_device(session, 7, "phone", "android")
        enqueue(session, 7, Event.TURN_NOW, "en", now=clock(), room="3-12", desk=2)
        session.commit()

    drain(dispatcher(session_factory, [Throttled()], clock), clock)

    with session_factory() as session:
        [state] = delivery_states(session, 7)
    assert (state.status, state.attempts) == (Status.EXPIRED, 2)


def test_a_newer_plan_change_supersedes_one_still_waiting(
    session_factory: sessionmaker[Session], fcm_transport: FcmTransport, fake_fcm: FakeFcm, clock
) -> None:
    fake_fcm.script("phone", *[reply_for(503)] * 5)
    [older] = add_journeys(session_factory, clock, {7: ["phone"]}, event=Event.PLAN_CHANGED)
    worker = dispatcher(session_factory, [fcm_transport], clock)
    worker.run_pass()  # the older one now waits for a retry
    with session_factory() as session:
        newer = enqueue(session, 7, Event.PLAN_CHANGED, "en", now=clock()).event_id
        session.commit()

    drain(worker, clock)

    assert fake_fcm.delivered() == {newer: 1}
    assert statuses(session_factory) == {older: Status.SUPERSEDED, newer: Status.DELIVERED}


def test_a_slow_send_keeps_its_lease(session_factory: sessionmaker[Session]) -> None:
    """The SDK may sit on Retry-After for longer than a lease; nobody else may step in."""
    sending = threading.Event()

    class Slow:
        channel, max_batch = "fcm", 500

        def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
            sending.set()
            pause(4.0)  # longer than the lease: only renewals keep it
            return [SendResult(Outcome.ACKNOWLEDGED) for _ in messages]

    # Renewed every third of a lease: a loaded machine (2 cores, CI beside other work) may
    # delay a renewal by a second or more without anyone stepping in.
    short = DispatchConfig(lease_seconds=3.0)
    running = RunningClock(START)
    add_journeys(session_factory, Clock(), {7: ["phone"]})
    slow = threading.Thread(target=Dispatcher(session_factory, [Slow()], short, clock=running).run_pass)
    slow.start()
    sending.wait(5)
    rival = Dispatcher(session_factory, [LogTransport()], short, clock=running)
    claimed = 0
    while slow.is_alive():
        claimed += rival.run_pass().claimed
        pause(0.05)
    slow.join()
    assert claimed == 0
    assert list(statuses(session_factory).values()) == [Status.DELIVERED]
