"""A nurse's free text and the planner's notes are for staff: the patient's own reads (the
journey, its steps, the places in line) carry categories only, whoever read the journey first."""

from __future__ import annotations

from tests.queues.conftest import as_patient, step

WORDS = "electrode cart broken, Dr Wang"


def _paused_in_line(client, nurse, waiting_patient) -> dict:
    me = waiting_patient("ECG")
    paused = client.post(
        f"/api/v1/queues/rooms/{me['room']}/pause",
        json={"reason": WORDS, "category": "equipment", "minutes": 40},
        headers=nurse,
    )
    assert paused.status_code == 200, paused.json
    return me


def test_the_patient_reads_the_category_never_the_nurses_words_even_after_a_staff_read(
    client, nurse, waiting_patient
):
    me = _paused_in_line(client, nurse, waiting_patient)
    url = f"/api/v1/journeys/{me['journey']['id']}"
    staff_read = client.get(url, headers=nurse)  # read first: its answer is kept
    assert WORDS in step(staff_read.json, "exam:ECG")["status_reason"]

    mine = client.get(url, headers=as_patient(me["journey"]))
    assert mine.status_code == 200 and "Wang" not in mine.text and "electrode" not in mine.text
    ecg = step(mine.json, "exam:ECG")
    assert ecg["status_category"] == "equipment" and ecg["status_reason"] is None
    assert ecg["status_reason_given"] is True  # the page says "your plan has changed"
    assert mine.headers["ETag"] != staff_read.headers["ETag"]
    # the patient's conditional read of staff's ETag is no 304: the answers differ
    staff_etag = {"If-None-Match": staff_read.headers["ETag"]}
    assert client.get(url, headers={**as_patient(me["journey"]), **staff_etag}).status_code == 200

    # and the patient's kept answer never reaches staff
    assert WORDS in step(client.get(url, headers=nurse).json, "exam:ECG")["status_reason"]


def test_the_patients_other_answers_carry_no_staff_words(client, nurse, waiting_patient):
    me = _paused_in_line(client, nurse, waiting_patient)
    journey, mine = me["journey"], as_patient(me["journey"])
    tickets = client.get(f"/api/v1/queues/journeys/{journey['id']}", headers=mine)
    assert tickets.status_code == 200 and "Wang" not in tickets.text
    # the fasting answer returns the whole journey, the paused step with it
    answered = client.post(f"/api/v1/journeys/{journey['id']}/fasting", json={}, headers=mine)
    assert answered.status_code == 200, answered.json
    assert step(answered.json, "exam:ECG")["status_category"] == "equipment"
    assert "Wang" not in answered.text and "electrode" not in answered.text


def test_the_planners_note_reaches_the_patient_as_a_category(client, nurse, check_in):
    journey = check_in("GLU", "ECG")  # fasting not answered: the blood draw waits for it
    url = f"/api/v1/journeys/{journey['id']}"
    draw = step(client.get(url, headers=as_patient(journey)).json, "draw:blood")
    assert draw["plan_note"] is None and draw["plan_category"] == "fasting_answer"
    assert "fasting" in step(client.get(url, headers=nurse).json, "draw:blood")["plan_note"]
