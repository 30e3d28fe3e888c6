"""Every nurse operation: what the nurse sees afterwards, what the patient hears, what history
keeps; finished tickets, wrong rooms, stale versions and unknown ids change nothing."""

from __future__ import annotations

import sqlalchemy as sa

from navigation.models import AuditRecord, QueueEvent
from tests.queues.conftest import as_patient


def post(client, nurse, path: str, body: dict | None = None, **headers):
    return client.post(f"/api/v1/queues/{path}", json=body or {}, headers={**nurse, **headers})


def board(client, nurse, room: str = "B5-01") -> list[dict]:
    return client.get(f"/api/v1/queues/rooms/{room}", headers=nurse).json["entries"]


def steps(client, patient: dict, reader: dict | None = None) -> dict[str, dict]:
    journey = client.get(
        f"/api/v1/journeys/{patient['journey']['id']}", headers=reader or as_patient(patient["journey"])
    ).json
    return {t["key"]: t for t in journey["tasks"]}


def test_start_and_complete_move_the_step_and_release_the_next(client, nurse, waiting_patient, clock):
    patient = waiting_patient("PFT")
    entry = post(client, nurse, "rooms/B5-01/call-next").json["entry"]
    assert post(client, nurse, f"entries/{entry['id']}/recall").json["entry"]["recalls"] == 1
    started = post(client, nurse, f"entries/{entry['id']}/start")
    assert started.json["entry"]["status"] == "in_service"
    assert steps(client, patient)["exam:PFT"]["status"] == "in-progress"
    clock.advance(minutes=15)
    done = post(client, nurse, f"entries/{entry['id']}/complete")
    assert done.json["entry"]["status"] == "done" and done.json["journeys"] == [patient["journey"]["id"]]
    after = steps(client, patient)
    assert after["exam:PFT"]["status"] == "completed"
    assert after["report"]["status"] == "requested"  # until the result is out (marked, or due in the demo)
    again = post(client, nurse, f"entries/{entry['id']}/complete")
    assert again.status_code == 409 and "done" in again.json["message"]
    assert post(client, nurse, f"entries/{entry['id']}/recall").status_code == 409
    assert board(client, nurse) == []
    history = client.get(f"/api/v1/queues/entries/{entry['id']}", headers=nurse).json["history"]
    assert [h["action"] for h in history] == ["join", "call", "recall", "start", "complete"]
    assert history[-1]["detail"]["minutes"] == 15.0


def test_skip_puts_the_called_patient_back_n_places_and_tells_them(client, nurse, waiting_patient, messages):
    patients = [waiting_patient("PFT") for _ in range(4)]
    first = post(client, nurse, "rooms/B5-01/call-next").json["entry"]
    assert (
        post(client, nurse, f"entries/{first['id']}/skip", {"places": 2}).status_code == 422
    )  # reason needed
    skipped = post(
        client, nurse, f"entries/{first['id']}/skip", {"places": 2, "reason": "not back from toilet"}
    )
    assert skipped.status_code == 200 and skipped.json["entry"]["status"] == "skipped"
    assert [e["ticket"] for e in board(client, nurse)] == ["002", "003", "001", "004"]
    assert [m.event for m in messages(patients[0]["journey"]["id"])] == ["turn_now", "plan_changed"]
    assert post(client, nurse, "rooms/B5-01/call-next").json["entry"]["ticket"] == "002"


def test_no_show_keeps_the_place_for_the_grace_period_then_the_end(client, nurse, waiting_patient, clock):
    patients = [waiting_patient("PFT") for _ in range(3)]
    first = post(client, nurse, "rooms/B5-01/call-next").json["entry"]
    gone = post(client, nurse, f"entries/{first['id']}/no-show", {"grace_minutes": 10})
    assert gone.json["entry"]["status"] == "no_show" and gone.json["entry"]["grace_until"]
    clock.advance(minutes=5)
    me = patients[0]
    back = client.post(
        f"/api/v1/journeys/{me['journey']['id']}/tasks/{me['task']['id']}/arrive",
        headers=as_patient(me["journey"]),
    )
    assert back.status_code == 200
    assert [e["ticket"] for e in board(client, nurse)][:1] == ["001"]  # within grace: first again
    again = post(client, nurse, "rooms/B5-01/call-next").json["entry"]
    post(client, nurse, f"entries/{again['id']}/no-show", {"grace_minutes": 10})
    clock.advance(minutes=30)
    rejoined = post(client, nurse, f"entries/{again['id']}/rejoin")
    assert rejoined.status_code == 200
    assert [e["ticket"] for e in board(client, nurse)] == ["002", "003", "001"]  # after grace: the end


def test_move_to_another_room_that_performs_the_exam(client, nurse, waiting_patient, messages):
    patient = waiting_patient("ECG")
    assert patient["room"] == "A2-08"
    entry = board(client, nurse, "A2-08")[0]
    wrong = post(client, nurse, f"entries/{entry['id']}/move", {"room": "B5-01", "reason": "less busy"})
    assert wrong.status_code == 422 and "does not perform" in wrong.json["message"]
    unknown = post(client, nurse, f"entries/{entry['id']}/move", {"room": "Q1-01", "reason": "x"})
    assert unknown.status_code == 404
    assert board(client, nurse, "A2-08")[0]["version"] == entry["version"]  # nothing changed
    moved = post(client, nurse, f"entries/{entry['id']}/move", {"room": "A2-09", "reason": "room 1 busy"})
    assert moved.status_code == 200, moved.json
    assert moved.json["entry"]["room"] == "A2-09" and moved.json["rooms"] == ["A2-08", "A2-09"]
    assert board(client, nurse, "A2-08") == [] and board(client, nurse, "A2-09")[0]["id"] == entry["id"]
    assert steps(client, patient)["exam:ECG"]["room"]["code"] == "A2-09"  # the phone shows where to go
    assert [m.event for m in messages(patient["journey"]["id"])] == ["plan_changed"]


def test_hold_and_release_keep_the_place(client, nurse, waiting_patient):
    [waiting_patient("PFT") for _ in range(2)]
    first = board(client, nurse)[0]
    post(client, nurse, f"entries/{first['id']}/hold", {"reason": "drinking water"})
    assert post(client, nurse, "rooms/B5-01/call-next").json["entry"]["ticket"] == "002"
    post(client, nurse, f"entries/{first['id']}/release")
    assert board(client, nurse)[1]["ticket"] == "001" and board(client, nurse)[1]["people_ahead"] == 0


def test_pausing_a_room_sends_its_patients_to_other_rooms_and_explains(
    client, nurse, waiting_patient, messages
):
    patients = [waiting_patient("ECG") for _ in range(6)]
    in_a208 = [p for p in patients if p["room"] == "A2-08"]
    assert len(in_a208) == 2
    paused = post(client, nurse, "rooms/A2-08/pause", {"reason": "ECG machine broken", "minutes": 30})
    assert paused.status_code == 200 and "2 patient(s) sent" in paused.json["message"]
    assert board(client, nurse, "A2-08") == []
    for p in in_a208:
        ecg = steps(client, p)["exam:ECG"]
        assert ecg["room"]["code"] in ("A2-09", "B5-02")
        assert ecg["status_reason_given"]  # the phone says the plan changed; staff read why
        assert steps(client, p, nurse)["exam:ECG"]["status_reason"] == "room A2-08 paused: ECG machine broken"
        assert [m.event for m in messages(p["journey"]["id"])] == ["plan_changed"]
    assert post(client, nurse, "rooms/A2-08/pause", {"reason": "again", "minutes": 5}).status_code == 409
    resumed = post(client, nurse, "rooms/A2-08/resume")
    assert resumed.status_code == 200 and post(client, nurse, "rooms/A2-08/resume").status_code == 409


def test_pausing_the_only_room_delays_its_patients_and_says_so(
    client, nurse, waiting_patient, messages, clock
):
    patient = waiting_patient("PFT")
    post(client, nurse, "rooms/B5-01/pause", {"reason": "cleaning", "minutes": 30})
    assert board(client, nurse)[0]["wait_minutes"] == 30
    pft = steps(client, patient, nurse)["exam:PFT"]
    assert pft["planned_start"] >= "2026-11-25T01:0" and pft["status_reason"] == "room B5-01 paused: cleaning"
    assert [m.event for m in messages(patient["journey"]["id"])] == ["plan_changed"]


def test_undo_takes_back_the_last_operation_but_not_a_finished_exam(client, nurse, waiting_patient, messages):
    [waiting_patient("PFT") for _ in range(2)]
    assert post(client, nurse, "rooms/B5-01/undo").status_code == 409  # joins are the patients' own
    first = post(client, nurse, "rooms/B5-01/call-next").json["entry"]
    undone = post(client, nurse, "rooms/B5-01/undo")
    assert undone.status_code == 200 and undone.json["message"] == "undid call of ticket 001"
    assert [(e["ticket"], e["status"]) for e in board(client, nurse)] == [
        ("001", "waiting"),
        ("002", "waiting"),
    ]
    assert post(client, nurse, "rooms/B5-01/call-next").json["entry"]["id"] == first["id"]
    post(client, nurse, f"entries/{first['id']}/complete")
    refused = post(client, nurse, "rooms/B5-01/undo")
    assert refused.status_code == 409 and "complete" in refused.json["message"]


def test_undo_of_a_move_brings_the_patient_back(client, nurse, waiting_patient):
    room = waiting_patient("ECG")["room"]  # whichever ECG room the plan chose
    other = "A2-09" if room == "A2-08" else "A2-08"
    entry = board(client, nurse, room)[0]
    post(client, nurse, f"entries/{entry['id']}/move", {"room": other, "reason": "busy"})
    assert post(client, nurse, f"rooms/{room}/undo").status_code == 200
    back = board(client, nurse, room)
    assert [(e["id"], e["ticket"]) for e in back] == [(entry["id"], entry["ticket"])]
    assert board(client, nurse, other) == []


def test_a_stale_version_is_refused_with_the_current_state(client, nurse, waiting_patient):
    waiting_patient("PFT")
    entry = board(client, nurse)[0]
    post(client, nurse, f"entries/{entry['id']}/priority", {"priority": 1, "reason": "pain"})
    stale = post(
        client, nurse, f"entries/{entry['id']}/hold", {"reason": "x"}, **{"If-Match": f'"{entry["version"]}"'}
    )
    assert stale.status_code == 409
    assert stale.json["current"]["priority"] == 1 and stale.json["current"]["status"] == "waiting"
    assert stale.headers["ETag"] == f'"{stale.json["current"]["version"]}"'
    fresh = post(
        client, nurse, f"entries/{entry['id']}/hold", {"reason": "x"}, **{"If-Match": stale.headers["ETag"]}
    )
    assert fresh.status_code == 200
    assert (
        post(client, nurse, f"entries/{entry['id']}/hold", {"reason": "x"}, **{"If-Match": "abc"}).status_code
        == 422
    )


def test_unknown_ids_other_sites_and_non_nurses_are_refused(
    client, nurse, reception, session, waiting_patient
):
    from navigation.models import Role, Site
    from navigation.staff import create_user

    waiting_patient("PFT")
    entry = board(client, nurse)[0]
    assert post(client, nurse, "entries/999999/start").status_code == 404
    assert post(client, nurse, "entries/99999999999999/start").status_code == 404
    assert post(client, reception, f"entries/{entry['id']}/start").status_code == 403
    other = Site(code="north", name_en="North", name_zh="北院", timezone="Asia/Shanghai")
    session.add(other)
    session.flush()
    create_user(session, "north-nurse", "pw", Role.NURSE, other.id)
    session.commit()
    token = client.post("/api/v1/auth/login", json={"username": "north-nurse", "password": "pw"}).json
    elsewhere = {"Authorization": f"Bearer {token['access_token']}"}
    assert post(client, elsewhere, f"entries/{entry['id']}/start").status_code == 404
    assert client.get("/api/v1/queues/rooms/B5-01", headers=elsewhere).status_code == 404
    assert board(client, nurse)[0]["status"] == "waiting"


def test_every_operation_is_history_and_audit(client, nurse, waiting_patient, session):
    [waiting_patient("PFT") for _ in range(2)]
    first = post(client, nurse, "rooms/B5-01/call-next").json["entry"]
    post(client, nurse, f"entries/{first['id']}/skip", {"places": 1, "reason": "not here"})
    events = session.scalars(sa.select(QueueEvent.action).order_by(QueueEvent.id)).all()
    assert events == ["join", "join", "call", "skip"]
    audits = session.scalars(
        sa.select(AuditRecord.action).where(AuditRecord.action.like("queue.%")).order_by(AuditRecord.id)
    ).all()
    assert audits == ["queue.call", "queue.skip"]
    skip = session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "queue.skip")).one()
    assert skip.actor == "nurse" and skip.detail["reason"] == "not here"


def test_a_no_show_message_says_the_hospitals_time(client, nurse, waiting_patient):
    waiting_patient("PFT")  # in line at 08:31 at the hospital
    entry = post(client, nurse, "rooms/B5-01/call-next").json["entry"]
    gone = post(client, nurse, f"entries/{entry['id']}/no-show", {"grace_minutes": 15})
    assert gone.json["message"] == "ticket 001 not here; keeps the place until 08:46"
