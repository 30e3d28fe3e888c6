"""Queue fixtures: patients checked in, paid and waiting at a room, and the outbox they hear from."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from notifications.db import NotificationsBase
from notifications.outbox import OutboxMessage


@pytest.fixture(autouse=True)
def outbox(app):
    """The notifications tables (another package's metadata) for the length of one test."""
    from api.extensions import db

    NotificationsBase.metadata.create_all(db.engine, checkfirst=True)
    yield
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(NotificationsBase.metadata.sorted_tables):
            conn.execute(table.delete())


def as_patient(journey: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {journey['access_token']}"}


def step(journey: dict, key: str) -> dict:
    return next(t for t in journey["tasks"] if t["key"] == key)


def ct_patient_early_at_the_door(client, nurse, clock, check_in, language: str = "zh") -> tuple[dict, dict]:
    """A contrast CT patient whose kidney draw is done, in line at 09:27, 5 min before the
    draw's result is due: the CT cannot begin yet. Returns the journey and the CT step."""
    journey = check_in("CT-ABD-C", fasting_confirmed=True, language=language)
    me = as_patient(journey)
    url = f"/api/v1/journeys/{journey['id']}"
    client.post(f"{url}/tasks/{step(journey, 'payment')['id']}/complete", headers=me)
    draw = step(journey, "draw:blood")
    assert client.post(f"{url}/tasks/{draw['id']}/arrive", headers=me).status_code == 200
    called = client.post(
        f"/api/v1/queues/rooms/{draw['room']['code']}/call-next", json={}, headers=nurse
    ).json
    clock.advance(minutes=2)
    client.post(f"/api/v1/queues/entries/{called['entry']['id']}/complete", headers=nurse)  # 08:32
    clock.advance(minutes=55)  # 09:27: the result is due at 09:32
    ct = step(journey, "exam:CT-ABD-C")
    assert client.post(f"{url}/tasks/{ct['id']}/arrive", headers=me).status_code == 200
    return journey, ct


@pytest.fixture
def waiting_patient(client, check_in, clock) -> Callable[..., dict]:
    """Check a patient in for one exam, pay, and say "I'm here" at its room; returns
    {journey, task, room} (one more minute passes per patient, so arrival order is clear)."""
    counter = {"n": 0}

    def _make(code: str = "ECG", *, key: str | None = None, arrive: bool = True, **patient) -> dict:
        counter["n"] += 1
        n = counter["n"]
        journey = check_in(
            code, visit=f"V{n:04d}", mrn=f"MRN{n:04d}", name=patient.pop("name", f"Patient {n}"), **patient
        )
        client.post(
            f"/api/v1/journeys/{journey['id']}/tasks/{step(journey, 'payment')['id']}/complete",
            headers=as_patient(journey),
        )
        task = step(journey, key or f"exam:{code}")
        clock.advance(minutes=1)
        if arrive:
            url = f"/api/v1/journeys/{journey['id']}/tasks/{task['id']}/arrive"
            response = client.post(url, headers=as_patient(journey))
            assert response.status_code == 200, response.json
        fresh = client.get(f"/api/v1/journeys/{journey['id']}", headers=as_patient(journey)).json
        task = next(t for t in fresh["tasks"] if t["id"] == task["id"])
        return {"journey": fresh, "task": task, "room": task["room"]["code"]}

    return _make


@pytest.fixture
def messages(session) -> Callable[..., list[OutboxMessage]]:
    """The queue's messages to patients, oldest first (optionally one journey, one event)."""

    def _messages(journey_id: int | None = None, event: str | None = None) -> list[OutboxMessage]:
        query = (
            sa.select(OutboxMessage)
            .where(OutboxMessage.event.in_(["turn_soon", "turn_now", "plan_changed"]))
            .order_by(OutboxMessage.id)
        )
        if journey_id is not None:
            query = query.where(OutboxMessage.journey_id == journey_id)
        if event is not None:
            query = query.where(OutboxMessage.event == event)
        return list(session.scalars(query))

    return _messages
