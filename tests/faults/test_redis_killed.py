"""Redis killed under load, with `carepath worker` running: every committed check-in answers
2xx, and once Redis is back the worker is serving again by itself; every message reached the
phones exactly once (FCM's fake counts what it accepted)."""

from __future__ import annotations

import pytest
import redis
import rq
import sqlalchemy as sa

from navigation.models import Journey, utcnow
from notifications import OutboxMessage, Status
from notifications.jobs import QUEUE_NAME
from tests.conftest import check_in_body
from tests.faults.conftest import kill_worker, start_worker, wait_for

pytestmark = pytest.mark.faults


@pytest.fixture
def app_on(app):
    """The app on the run's database with the given REDIS_URL and the real clock (the worker
    reads the real clock too: messages must not look expired to it)."""
    from api import create_app
    from api.extensions import db

    made = []

    def _make(redis_url: str):
        config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "JWT_SECRET_KEY")}
        made.append(
            create_app(
                {
                    **config,
                    "TESTING": True,
                    "RATELIMIT_ENABLED": False,
                    "REDIS_URL": redis_url,
                    "CLOCK": utcnow,
                }
            )
        )
        return made[-1]

    yield _make
    for other in made:
        with other.app_context():
            db.engine.dispose()
    with db.engine.begin() as conn:
        for table in (OutboxMessage.__table__,):
            conn.execute(table.delete())


def test_redis_killed_under_load_loses_and_doubles_nothing(
    app_on,
    throwaway_redis,
    fake_fcm,
    service_account_file,
    database_url,
    session,
    tmp_path,
):
    worker = start_worker(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": throwaway_redis.url,
            "CAREPATH_FCM_CREDENTIALS": str(service_account_file),
            "CAREPATH_SWEEP_SECONDS": "1",
            "CAREPATH_DISPATCH_LEASE_SECONDS": "6",  # a horse killed with Redis frees its rows soon
            "SECRET_KEY": "fault-test",
            "JWT_SECRET_KEY": "fault-test-jwt-secret-long-enough-for-hs256",
        },
        tmp_path / "worker.log",
        fake_fcm.url,
    )
    connection = redis.Redis.from_url(throwaway_redis.url)
    try:
        assert wait_for(lambda: len(rq.Worker.all(connection=connection)) > 0, seconds=60)
        client = app_on(throwaway_redis.url).test_client()
        staff = client.post("/api/v1/auth/login", json={"username": "reception", "password": "demo"}).json
        desk = {"Authorization": f"Bearer {staff['access_token']}"}
        answers = []
        for n in range(24):
            if n == 8:
                throwaway_redis.kill()  # mid-morning, with the worker busy
            if n == 16:
                throwaway_redis.start()
            body = check_in_body("ECG", visit=f"VF{n:03d}", mrn=f"MRNF{n:03d}")
            checked_in = client.post("/api/v1/journeys", json=body, headers=desk)
            answers.append(checked_in.status_code)
            if checked_in.status_code == 201:
                journey = checked_in.json
                phone = {"Authorization": f"Bearer {journey['access_token']}"}
                device = {"token": f"phone-{n}", "platform": "android"}
                assert (
                    client.post(
                        f"/api/v1/journeys/{journey['id']}/devices", json=device, headers=phone
                    ).status_code
                    == 204
                )
                pay = next(t for t in journey["tasks"] if t["key"] == "payment")
                paid = client.post(
                    f"/api/v1/journeys/{journey['id']}/tasks/{pay['id']}/complete", headers=phone
                )
                answers.append(paid.status_code)

        assert set(answers) <= {200, 201}, answers
        session.expire_all()
        assert (
            session.scalar(
                sa.select(sa.func.count()).select_from(Journey).where(Journey.visit_number.like("VF%"))
            )
            == 24
        )

        def settled() -> bool:
            session.expire_all()
            waiting = session.scalar(
                sa.select(sa.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == Status.PENDING.value)
            )
            return waiting == 0

        rows = sa.select(
            OutboxMessage.event,
            OutboxMessage.attempts,
            OutboxMessage.next_attempt_at,
            OutboxMessage.lease_until,
            OutboxMessage.lease_owner,
            OutboxMessage.last_error,
        ).where(OutboxMessage.status == Status.PENDING.value)
        assert wait_for(settled, seconds=40), (
            session.execute(rows).all(),
            utcnow(),
        )
        delivered_rows = session.scalars(
            sa.select(OutboxMessage.event_id).where(OutboxMessage.status == Status.DELIVERED.value)
        ).all()
        accepted = fake_fcm.delivered()
        assert delivered_rows, "no message reached a phone"
        assert sorted(accepted) == sorted(delivered_rows)  # none lost
        assert max(accepted.values()) == 1  # none twice
        # The worker came back to Redis by itself: it serves wake-ups again.
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
        job = rq.Queue(QUEUE_NAME, connection=connection).enqueue("notifications.jobs.dispatch_pending")
        assert wait_for(lambda: job.get_status(refresh=True) == "finished", seconds=60)
    finally:
        kill_worker(worker)
