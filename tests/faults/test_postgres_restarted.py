"""PostgreSQL stopped and started again under a running app and worker: during the outage every
request answers 503 with Retry-After at once (no hang, no 500); afterwards the same processes
serve again, nothing restarted."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from notifications import OutboxMessage, Status
from tests.conftest import check_in_body
from tests.faults.conftest import kill_worker, sign_in, start_worker, wait_for

pytestmark = pytest.mark.faults


def test_postgres_restart_gives_clear_503s_then_recovers_without_a_restart(
    hospital_on_throwaway_postgres, throwaway_postgres, tmp_path
):
    app, url = hospital_on_throwaway_postgres("carepath_faults")
    worker = start_worker(
        {
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "SECRET_KEY": "fault-test",
            "CAREPATH_SWEEP_SECONDS": "1",
            "JWT_SECRET_KEY": "fault-test-jwt-secret-long-enough-for-hs256",
        },
        tmp_path / "worker.log",
    )
    engine = sa.create_engine(url)
    try:
        client = app.test_client()
        desk = {"Authorization": f"Bearer {sign_in(client)}"}
        assert (
            client.post(
                "/api/v1/journeys", json=check_in_body("ECG", visit="VP1", mrn="MP1"), headers=desk
            ).status_code
            == 201
        )

        throwaway_postgres.stop()
        started = time.monotonic()
        during = [
            client.post("/api/v1/journeys", json=check_in_body("ECG", visit="VP2", mrn="MP2"), headers=desk),
            client.post("/api/v1/auth/login", json={"username": "nurse", "password": "demo"}),
            client.get("/readyz"),
        ]
        assert time.monotonic() - started < 15  # answered, not hung
        assert [r.status_code for r in during] == [503, 503, 503]
        assert during[0].headers["Retry-After"] == during[1].headers["Retry-After"] == "5"
        assert during[0].json["message"].startswith("the database is not available")
        assert during[2].json["database"] == "unavailable"

        throwaway_postgres.start()
        after = client.post(
            "/api/v1/journeys", json=check_in_body("ECG", visit="VP2", mrn="MP2"), headers=desk
        )
        assert after.status_code == 201, after.json  # the same app, its pool healed by pre-ping
        assert sign_in(client)

        def delivered_by_the_worker() -> bool:
            with engine.connect() as conn:
                waiting = conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(OutboxMessage)
                    .where(
                        OutboxMessage.journey_id == after.json["id"],
                        OutboxMessage.status == Status.PENDING.value,
                    )
                )
            return waiting == 0

        assert wait_for(delivered_by_the_worker, seconds=30), (tmp_path / "worker.log").read_text()[-3000:]
        assert worker.poll() is None  # it lived through the outage
    finally:
        kill_worker(worker)
        engine.dispose()
