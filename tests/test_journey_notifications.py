"""Patients are told what to do next: outbox messages written with the change, devices,
delivery states for staff, and the live stream the phone page listens to."""

from __future__ import annotations

import json
import threading
import urllib.request

import sqlalchemy as sa

from notifications import OutboxMessage


def as_patient(journey: dict) -> dict:
    return {"Authorization": f"Bearer {journey['access_token']}"}


def messages(session, journey_id: int) -> list[OutboxMessage]:
    return list(
        session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.journey_id == journey_id).order_by(OutboxMessage.id)
        )
    )


def test_check_in_writes_started_and_next_step_messages_without_health_information(session, check_in):
    journey = check_in("GLU", "US-ABD", name="Zhang San")
    sent = messages(session, journey["id"])
    assert [m.event for m in sent] == ["journey_started", "next_step"]
    assert sent[1].step_id == str(journey["tasks"][0]["id"])
    assert "A1-02" in sent[1].detail  # the cashier's room number, no department name
    for message in sent:
        text = f"{message.title} {message.body} {message.detail}"
        for secret in ("Zhang San", "血糖", "超声", "glucose", "ultrasound", "MRN"):
            assert secret not in text


def test_paying_announces_the_blood_draw_and_eating_is_announced_after_fasting(
    client, session, clock, check_in
):
    journey = check_in("GLU", "ECG", fasting_confirmed=True)
    pay = journey["tasks"][0]["id"]
    client.post(f"/api/v1/journeys/{journey['id']}/tasks/{pay}/complete", headers=as_patient(journey))
    assert messages(session, journey["id"])[-1].event == "next_step"
    assert "A2-01" in messages(session, journey["id"])[-1].detail


def test_a_refused_action_sends_nothing(client, session, check_in):
    journey = check_in("ECG")
    before = len(messages(session, journey["id"]))
    exam = next(t for t in journey["tasks"] if t["key"] == "exam:ECG")["id"]
    response = client.post(
        f"/api/v1/journeys/{journey['id']}/tasks/{exam}/complete", headers=as_patient(journey)
    )
    assert response.status_code == 409
    assert len(messages(session, journey["id"])) == before


def test_phone_registers_its_token_and_staff_see_delivery_states(client, nurse, check_in):
    journey = check_in("ECG")
    url = f"/api/v1/journeys/{journey['id']}"
    registered = client.post(
        f"{url}/devices", json={"token": "fcm-token-1", "platform": "android"}, headers=as_patient(journey)
    )
    assert registered.status_code == 204
    bad = client.post(f"{url}/devices", json={"token": "x", "platform": "nokia"}, headers=as_patient(journey))
    assert bad.status_code == 422 and "platform" in bad.json["errors"]["json"]
    states = client.get(f"{url}/notifications", headers=nurse)
    assert states.status_code == 200
    assert [s["event"] for s in states.json] == ["journey_started", "next_step"]
    assert all(s["status"] == "pending" for s in states.json)
    assert client.get(f"{url}/notifications", headers=as_patient(journey)).status_code == 403


def test_the_live_stream_tells_the_page_when_its_journey_changes(client, live_server, check_in):
    journey = check_in("ECG")
    ticket = client.post(f"/api/v1/journeys/{journey['id']}/live-ticket", headers=as_patient(journey)).json
    received: list[dict] = []
    connected = threading.Event()

    def listen():
        with urllib.request.urlopen(f"{live_server}{ticket['stream_url']}", timeout=10) as stream:
            for raw in stream:
                line = raw.decode().strip()
                if line.startswith(": connected"):
                    connected.set()
                if line.startswith("data:"):
                    received.append(json.loads(line[5:]))
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert connected.wait(5)
    pay = journey["tasks"][0]["id"]
    client.post(f"/api/v1/journeys/{journey['id']}/tasks/{pay}/complete", headers=as_patient(journey))
    listener.join(5)
    assert received == [{"type": "journey", "journey_id": journey["id"]}]


def test_a_forged_or_foreign_ticket_opens_nothing(client):
    response = client.get("/api/v1/live?ticket=forged")
    assert response.status_code == 422 and "ticket" in response.json["errors"]["json"]
