"""Redis away (stopped, or never reachable): what the database committed answers 2xx, wake-ups
are left for the dispatcher's sweep, and sign-in and routing count their limits in memory."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from navigation.models import Room, Site
from notifications import NotificationsBase, OutboxMessage, Status
from tests.conftest import free_port


@pytest.fixture
def without_redis(app):
    """A second app on the same database whose REDIS_URL points where no Redis answers, with
    rate limits on (as in production)."""
    from api import create_app
    from api.extensions import db, limiter

    # flask-limiter's one Limiter keeps the last app's settings: give them back afterwards.
    limiter_settings = dict(vars(limiter))
    NotificationsBase.metadata.create_all(db.engine, checkfirst=True)
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "JWT_SECRET_KEY")}
    broken = create_app(
        {
            **config,
            "TESTING": True,
            "CLOCK": app.config["CLOCK"],
            "PUBLIC_BASE_URL": "https://carepath.test",
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}/0",
        }
    )
    yield broken
    vars(limiter).clear()
    vars(limiter).update(limiter_settings)
    with broken.app_context():
        db.engine.dispose()
    with db.engine.begin() as conn:
        conn.execute(sa.delete(OutboxMessage))


def test_committed_check_in_and_call_next_answer_2xx_and_leave_the_push_for_the_sweep(
    without_redis, session, caplog
):
    client = without_redis.test_client()
    token = client.post("/api/v1/auth/login", json={"username": "reception", "password": "demo"})
    assert token.status_code == 200, token.json
    staff = {"Authorization": f"Bearer {token.json['access_token']}"}
    body = {
        "visit_number": "V-REDIS-1",
        "patient": {"mrn": "MRN-R1", "name": "Li Wei", "language": "zh", "mobility": "walking"},
        "orders": [{"code": "ECG"}],
    }

    with caplog.at_level(logging.WARNING):
        checked_in = client.post("/api/v1/journeys", json=body, headers={**staff, "Idempotency-Key": "r-1"})

    assert checked_in.status_code == 201, checked_in.json
    assert "left for the sweep" in caplog.text
    # The patient's welcome push is stored, waiting for the dispatcher's sweep.
    session.expire_all()
    waiting = session.scalars(
        sa.select(OutboxMessage.status).where(OutboxMessage.journey_id == checked_in.json["id"])
    ).all()
    assert waiting and set(waiting) == {Status.PENDING.value}
    # The desk's retry (same key) finds the same journey: it was saved, not lost.
    again = client.post("/api/v1/journeys", json=body, headers={**staff, "Idempotency-Key": "r-1"})
    assert again.status_code == 200 and again.json["id"] == checked_in.json["id"]

    journey = checked_in.json
    patient = {"Authorization": f"Bearer {journey['access_token']}"}
    pay = next(t for t in journey["tasks"] if t["key"] == "payment")
    assert (
        client.post(
            f"/api/v1/journeys/{journey['id']}/tasks/{pay['id']}/complete", headers=patient
        ).status_code
        == 200
    )
    ecg = next(t for t in journey["tasks"] if t["key"] == "exam:ECG")
    arrived = client.post(f"/api/v1/journeys/{journey['id']}/tasks/{ecg['id']}/arrive", headers=patient)
    assert arrived.status_code == 200, arrived.json
    room = arrived.json["room"]["code"] if arrived.json.get("room") else ecg["room"]["code"]
    nurse = client.post("/api/v1/auth/login", json={"username": "nurse", "password": "demo"}).json
    called = client.post(
        f"/api/v1/queues/rooms/{room}/call-next",
        json={"desk": 1},
        headers={"Authorization": f"Bearer {nurse['access_token']}"},
    )
    assert called.status_code == 200, called.json


def test_sign_in_and_routing_count_limits_in_memory_without_redis(without_redis, caplog):
    client = without_redis.test_client()
    with caplog.at_level(logging.WARNING):
        route = client.get("/api/v1/sites/demo/route", query_string={"from": "A1-01", "to": "B3-05"})
        signed_in = [
            client.post("/api/v1/auth/login", json={"username": "nurse", "password": "demo"}).status_code
            for _ in range(21)
        ]
    assert route.status_code == 200, route.json
    assert signed_in[:20] == [200] * 20
    assert signed_in[20] == 429  # still limited, per process
    assert "falling back to in-memory storage" in caplog.text


def test_a_live_stream_without_redis_answers_503_not_500(without_redis, session):
    client = without_redis.test_client()
    staff = client.post("/api/v1/auth/login", json={"username": "nurse", "password": "demo"}).json
    room = session.scalar(
        sa.select(Room.id).join(Site, Site.id == Room.site_id).where(Site.code == "demo").limit(1)
    )
    ticket = client.post(
        f"/api/v1/rooms/{room}/live-ticket", headers={"Authorization": f"Bearer {staff['access_token']}"}
    )
    assert ticket.status_code == 200, ticket.json
    stream = client.get("/api/v1/live", query_string={"ticket": ticket.json["ticket"]})
    assert stream.status_code == 503
    assert stream.headers["Retry-After"] == "5"
