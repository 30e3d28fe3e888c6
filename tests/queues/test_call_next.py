"""A nurse calls the line in order; patients hear "your turn soon" and "your turn" (room and
desk only) and see how long they will wait."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.queues.conftest import as_patient, step


def call(client, nurse, room: str, desk: int = 1, **body):
    return client.post(f"/api/v1/queues/rooms/{room}/call-next", json={"desk": desk, **body}, headers=nurse)


def test_patients_are_called_in_arrival_order_to_the_nurses_desk(client, nurse, waiting_patient, messages):
    first = waiting_patient("PFT", name="Zhang San")
    second = waiting_patient("PFT")
    room = first["room"]
    assert second["room"] == room == "B5-01"
    board = client.get(f"/api/v1/queues/rooms/{room}", headers=nurse).json
    assert [e["ticket"] for e in board["entries"]] == ["001", "002"]
    assert board["entries"][0]["patient_name"] == "Zhang San"

    called = call(client, nurse, room)
    assert called.status_code == 200, called.json
    entry = called.json["entry"]
    assert (entry["ticket"], entry["status"], entry["desk"]) == ("001", "called", 1)
    assert entry["journey_id"] == first["journey"]["id"]
    assert called.headers["ETag"] == f'"{entry["version"]}"'
    turn = messages(first["journey"]["id"], "turn_now")
    assert [m.detail for m in turn] == ["轮到您了：B5-01 室，1 号台。"]  # a room number, never the exam
    assert call(client, nurse, room, confirm=True).json["entry"]["ticket"] == "002"
    page = client.get(f"/api/v1/journeys/{first['journey']['id']}", headers=as_patient(first["journey"])).json
    assert next(t for t in page["tasks"] if t["id"] == first["task"]["id"])["business_status"] == "called"


def test_an_empty_or_paused_room_and_a_missing_desk_are_refused_clearly(client, nurse, waiting_patient):
    empty = call(client, nurse, "B5-01")
    assert empty.status_code == 409 and "no one is waiting" in empty.json["message"]
    waiting_patient("PFT")
    assert call(client, nurse, "B5-01", desk=2).status_code == 422  # one desk in that room
    assert call(client, nurse, "Z9-99").status_code == 404
    pause = client.post(
        "/api/v1/queues/rooms/B5-01/pause", json={"reason": "machine", "minutes": 20}, headers=nurse
    )
    assert pause.status_code == 200
    paused = call(client, nurse, "B5-01")
    assert paused.status_code == 409 and "paused" in paused.json["message"]


def test_a_patient_two_places_from_the_front_is_told_their_turn_is_soon(
    client, nurse, waiting_patient, messages
):
    patients = [waiting_patient("PFT") for _ in range(4)]
    assert messages(event="turn_soon") == []  # those who join near the front see it on the phone
    call(client, nurse, "B5-01")
    soon = messages(event="turn_soon")
    assert [m.journey_id for m in soon] == [patients[3]["journey"]["id"]]
    assert soon[0].detail.startswith("您前面还有 2 人")
    call(client, nurse, "B5-01")
    assert len(messages(event="turn_soon")) == 1  # told once


def test_waits_are_estimated_from_the_rooms_own_service_times(client, nurse, waiting_patient, clock):
    patients = [waiting_patient("PFT") for _ in range(3)]
    board = client.get("/api/v1/queues/rooms/B5-01", headers=nurse).json
    assert [e["wait_minutes"] for e in board["entries"]] == [0, 20, 40]  # catalog: 20 min each
    first = call(client, nurse, "B5-01").json["entry"]
    client.post(f"/api/v1/queues/entries/{first['id']}/start", json={}, headers=nurse)
    clock.advance(minutes=8)
    client.post(f"/api/v1/queues/entries/{first['id']}/complete", headers=nurse)
    board = client.get("/api/v1/queues/rooms/B5-01", headers=nurse).json
    learned = 20 + 0.3 * (8 - 20)  # moving average: this room is faster than the catalog says
    assert [e["wait_minutes"] for e in board["entries"]] == [0, round(learned)]
    mine = client.get(
        f"/api/v1/queues/journeys/{patients[2]['journey']['id']}", headers=as_patient(patients[2]["journey"])
    ).json
    assert mine == [
        {
            "task_id": patients[2]["task"]["id"],
            "ticket": "003",
            "status": "waiting",
            "room": "B5-01",
            "desk": None,
            "people_ahead": 1,
            "wait_minutes": round(learned),
            "starts_at": None,
            "grace_until": None,
        }
    ]


def test_raised_priority_goes_first_and_lowered_goes_back(client, nurse, waiting_patient):
    patients = [waiting_patient("PFT") for _ in range(3)]
    board = client.get("/api/v1/queues/rooms/B5-01", headers=nurse).json
    third = board["entries"][2]
    up = client.post(
        f"/api/v1/queues/entries/{third['id']}/priority",
        json={"priority": 2, "reason": "frail"},
        headers=nurse,
    )
    assert up.status_code == 200 and up.json["entry"]["people_ahead"] == 0
    no_reason = client.post(
        f"/api/v1/queues/entries/{third['id']}/priority", json={"priority": 0}, headers=nurse
    )
    assert no_reason.status_code == 422
    assert call(client, nurse, "B5-01").json["entry"]["journey_id"] == patients[2]["journey"]["id"]


def test_a_shared_line_lets_a_free_room_call_the_first_patient_of_the_service(client, nurse, waiting_patient):
    first = waiting_patient("ECG")
    second = waiting_patient("ECG")
    room = first["room"]  # the plan spreads the two over the ECG rooms
    assert second["room"] != room
    client.post(f"/api/v1/queues/rooms/{room}/call-next", json={"desk": 1}, headers=nurse)
    alone = call(client, nurse, room, confirm=True)
    assert alone.status_code == 409  # its own line is empty
    shared = call(client, nurse, room, from_service=True, confirm=True)
    assert shared.status_code == 200
    entry = shared.json["entry"]
    assert (entry["journey_id"], entry["room"], entry["ticket"]) == (second["journey"]["id"], room, "001")
    service = client.get("/api/v1/queues/services/ecg", headers=nurse).json
    assert [r["room"] for r in service["rooms"]] == ["A2-08", "A2-09", "B5-02"]
    statuses = {r["room"]: [e["status"] for e in r["entries"]] for r in service["rooms"]}
    assert statuses[room] == ["called", "called"]


def test_calling_next_onto_a_busy_desk_asks_first(client, nurse, waiting_patient):
    [waiting_patient("PFT") for _ in range(2)]
    first = call(client, nurse, "B5-01").json["entry"]
    client.post(f"/api/v1/queues/entries/{first['id']}/start", json={}, headers=nurse)
    busy = call(client, nurse, "B5-01")
    assert busy.status_code == 409
    assert "desk 1" in busy.json["message"] and first["ticket"] in busy.json["message"]
    assert "confirm" in busy.json["errors"]["json"]
    board = client.get("/api/v1/queues/rooms/B5-01", headers=nurse).json["entries"]
    assert [e["status"] for e in board].count("called") == 0  # nobody else was called
    confirmed = call(client, nurse, "B5-01", confirm=True)
    assert confirmed.status_code == 200 and confirmed.json["entry"]["ticket"] == "002"


def test_a_free_room_calls_first_whoever_would_stay_longer_by_waiting(
    client, nurse, check_in, session, clock
):
    """X's day ends with an X-ray at 11:00, so X's ECG may wait; Y's day ends with the ECG."""
    from navigation.models import Room, Task

    x = check_in("ECG", "XR-CHEST", visit="V0101", mrn="MRN0101")
    y = check_in("ECG", visit="V0102", mrn="MRN0102")
    room = session.scalar(sa.select(Room).where(Room.code == "A2-08"))
    start = clock.now + timedelta(minutes=10)
    for journey, ecg_at in ((x, start), (y, start + timedelta(minutes=5))):
        later = ecg_at + timedelta(hours=2)
        for t in journey["tasks"]:
            task = session.get(Task, t["id"])
            if task.key == "exam:ECG":
                task.planned_start, task.planned_end, task.planned_room_id = (
                    ecg_at,
                    ecg_at + timedelta(minutes=10),
                    room.id,
                )
            elif task.key != "payment":  # the X-ray and reports: long after
                task.planned_start, task.planned_end = later, later + timedelta(minutes=10)
                later += timedelta(hours=4)
    session.commit()
    for journey in (x, y):
        client.post(
            f"/api/v1/journeys/{journey['id']}/tasks/{step(journey, 'payment')['id']}/complete",
            headers=as_patient(journey),
        )
        arrived = client.post(
            f"/api/v1/journeys/{journey['id']}/tasks/{step(journey, 'exam:ECG')['id']}/arrive",
            headers=as_patient(journey),
        )
        assert arrived.status_code == 200, arrived.json
    called = call(client, nurse, "A2-08").json["entry"]
    assert called["journey_id"] == y["id"], "Y, planned 5 minutes after X, goes first"
    assert call(client, nurse, "A2-08", confirm=True).json["entry"]["journey_id"] == x["id"]
