"""Why a step changed, in the patient's words: a room pause reaches the patient as a translated
category ("the room is closed for maintenance"), the planner's notes as categories too; the
nurse's own words stay with staff (issue 10, item 6)."""

from __future__ import annotations

from tests.queues.conftest import as_patient, step


def _in_line_at_the_ecg(client, check_in, clock, language: str) -> tuple[dict, dict]:
    journey = check_in("ECG", "XR-CHEST", "PFT", fasting_confirmed=True, language=language)
    me = as_patient(journey)
    url = f"/api/v1/journeys/{journey['id']}"
    client.post(f"{url}/tasks/{step(journey, 'payment')['id']}/complete", headers=me)
    ecg = step(client.get(url, headers=me).json, "exam:ECG")
    clock.advance(minutes=2)
    assert client.post(f"{url}/tasks/{ecg['id']}/arrive", headers=me).status_code == 200
    return journey, ecg


def test_a_moved_patient_hears_the_category_never_the_nurses_words(client, nurse, check_in, clock, messages):
    journey, ecg = _in_line_at_the_ecg(client, check_in, clock, "zh")
    room = ecg["room"]["code"]
    paused = client.post(
        f"/api/v1/queues/rooms/{room}/pause",
        json={"reason": "electrode cart broken, Dr Wang", "category": "equipment", "minutes": 40},
        headers=nurse,
    )
    assert paused.status_code == 200, paused.json
    url = f"/api/v1/journeys/{journey['id']}"
    mine = step(client.get(url, headers=as_patient(journey)).json, "exam:ECG")
    assert mine["status_category"] == "equipment"
    push = messages(journey["id"], "plan_changed")[-1]
    [ticket] = client.get(f"/api/v1/queues/journeys/{journey['id']}", headers=as_patient(journey)).json
    assert "设备" in push.detail and ticket["room"] in push.detail and ticket["room"] != room
    assert "Wang" not in push.detail and "electrode" not in push.detail
    # staff still read the nurse's words
    assert "electrode cart broken" in step(client.get(url, headers=nurse).json, "exam:ECG")["status_reason"]
    assert client.post(f"/api/v1/queues/rooms/{room}/resume", headers=nurse).status_code == 200
    assert step(client.get(url, headers=as_patient(journey)).json, "exam:ECG")["status_category"] is None


def test_a_pause_without_a_category_says_the_room_is_closed_for_a_while(
    client, nurse, check_in, clock, messages
):
    journey, ecg = _in_line_at_the_ecg(client, check_in, clock, "en")
    room = ecg["room"]["code"]
    client.post(f"/api/v1/queues/rooms/{room}/pause", json={"reason": "x", "minutes": 10}, headers=nurse)
    push = messages(journey["id"], "plan_changed")[-1]
    assert "closed for a while" in push.detail


def test_an_unknown_pause_category_is_refused_by_name(client, nurse):
    refused = client.post(
        "/api/v1/queues/rooms/A2-08/pause",
        json={"reason": "x", "category": "lunch", "minutes": 10},
        headers=nurse,
    )
    assert refused.status_code == 422 and "category" in str(refused.json)


def test_steps_the_plan_cannot_fit_in_say_why_by_category(client, clock, check_in):
    unanswered = check_in("GLU", "ECG")
    assert step(unanswered, "draw:blood")["plan_category"] == "fasting_answer"
    assert step(unanswered, "exam:ECG")["plan_category"] is None
    clock.advance(hours=8, minutes=58)  # 17:28: the cashiers close at 17:30
    late = check_in("CBC", visit="V0002", mrn="MRN002")
    assert step(late, "payment")["plan_category"] == "closed"
