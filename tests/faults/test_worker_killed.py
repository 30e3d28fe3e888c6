"""`carepath worker` killed (SIGKILL) in the middle of a batch, then started again: every
message reaches the phones; only what FCM accepted from the dead worker's unrecorded batch is
sent again, with the same event id (the phone drops it)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from notifications import NotificationsBase, OutboxMessage, Status, enqueue, register_device
from notifications.events import Event
from tests.faults.conftest import kill_worker, start_worker, wait_for

pytestmark = pytest.mark.faults


@pytest.fixture
def outbox_engine(database_url):
    engine = sa.create_engine(database_url)
    NotificationsBase.metadata.create_all(engine)
    yield engine
    with engine.begin() as conn:
        for table in reversed(NotificationsBase.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


def test_worker_killed_mid_batch_loses_nothing(
    outbox_engine, database_url, fake_fcm, service_account_file, tmp_path
):
    with sa.orm.Session(outbox_engine) as session:
        for journey_id in range(1, 61):
            register_device(session, journey_id, f"phone-{journey_id}", "android")
            enqueue(session, journey_id, Event.REPORT_READY, "en")
        session.commit()
        event_ids = set(session.scalars(sa.select(OutboxMessage.event_id)))
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "CAREPATH_FCM_CREDENTIALS": str(service_account_file),
        "CAREPATH_SWEEP_SECONDS": "1",
        "CAREPATH_DISPATCH_LEASE_SECONDS": "4",
        "SECRET_KEY": "fault-test",
        "JWT_SECRET_KEY": "fault-test-jwt-secret-long-enough-for-hs256",
    }
    fake_fcm.hold_after(20)
    first = start_worker(env, tmp_path / "first.log", fake_fcm.url)
    try:
        assert wait_for(lambda: len(fake_fcm.delivered()) >= 20, seconds=60), (
            tmp_path / "first.log"
        ).read_text()
    finally:
        kill_worker(first)  # mid-batch: FCM holds the rest of its batch
    dead_credentials = {r.headers["authorization"] for r in fake_fcm.requests}
    fake_fcm.hold_from = None
    fake_fcm.release()

    second = start_worker(env, tmp_path / "second.log", fake_fcm.url)
    try:

        def all_delivered() -> bool:
            with outbox_engine.connect() as conn:
                statuses = conn.scalars(sa.select(OutboxMessage.status)).all()
            return set(statuses) == {Status.DELIVERED.value}

        assert wait_for(all_delivered, seconds=60), (tmp_path / "second.log").read_text()[-3000:]
    finally:
        kill_worker(second)
    delivered = fake_fcm.delivered()
    assert set(delivered) == event_ids  # none lost
    from_the_dead = {
        r.event_id
        for r in fake_fcm.requests
        if r.status == 200 and r.headers["authorization"] in dead_credentials
    }
    assert {e for e, n in delivered.items() if n > 1} <= from_the_dead  # nothing else twice
    assert max(delivered.values()) <= 2
