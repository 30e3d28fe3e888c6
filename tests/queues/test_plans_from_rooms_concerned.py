"""A check-in or a nurse's click plans its patients from the bookings of the rooms they can use
or stand in, not from the whole day (`planning.load_day` with `only`): the plans must be the
ones the whole day gives, or a patient would be booked over someone in a room not read."""

from __future__ import annotations

from datetime import datetime

from navigation import planning, sequencing
from navigation.models import Journey
from tests.queues.conftest import as_patient, step

ORDERS = [("ECG",), ("US-ABD", "ECG"), ("XR-CHEST",), ("ECHO", "ECG"), ("GLU", "PFT"), ("XR-CHEST", "ECG")]
SETTINGS = sequencing.SolverSettings(workers=1, time_limit_s=2.0)  # one worker: the same answer each time


def a_busy_morning(check_in, waiting_patient) -> None:
    """Patients booked across the building, some of them already in a room's line."""
    for _ in range(4):
        waiting_patient("ECG")
        waiting_patient("XR-CHEST")
    for n, orders in enumerate(ORDERS * 2):
        check_in(*orders, visit=f"B{n:03d}", mrn=f"MB{n:03d}", fasting_confirmed=True)


def in_rooms(day: planning.SiteDay, rooms: set[str], leave_out: str) -> set[sequencing.Placement]:
    return {p for p in day.state.plan.placements.values() if p.room in rooms and p.patient != leave_out}


def test_a_check_in_is_planned_as_the_whole_day_would_plan_it(session, clock, check_in, waiting_patient):
    a_busy_morning(check_in, waiting_patient)
    answer = check_in("XR-CHEST", "ECG", visit="NEW", mrn="MNEW")
    journey = session.get(Journey, answer["id"])
    full = planning.load_day(session, journey.site, clock(), skip=[journey.id])  # everyone whole
    narrow = planning.load_day(session, journey.site, clock(), skip=[journey.id], only=(), joining=[journey])
    assert set(narrow.state.rooms) < set(full.state.rooms)  # it read less
    assert in_rooms(narrow, set(narrow.state.rooms), "") == in_rooms(full, set(narrow.state.rooms), "")
    plans = []
    for day in (full, narrow):
        patient = planning.add_journey(day, journey)
        sequencing.plan_arrival(day.state, patient, SETTINGS)
        plans.append(
            (set(day.state.plan.of_patient(patient.id)), set(day.state.plan.unplaced_of(patient.id)))
        )
    assert plans[0] == plans[1]
    written = {
        (t["key"], t["room"]["code"], datetime.fromisoformat(t["planned_start"]))
        for t in answer["tasks"]
        if t["room"] and t["planned_start"]
    }
    planned = {(p.task, p.room, full.at(p.start)) for p in plans[0][0] if p.room}
    assert planned <= written  # and the check-in booked those rooms and times


def test_a_nurses_call_replans_as_the_whole_day_would(
    client, nurse, session, clock, check_in, waiting_patient
):
    a_busy_morning(check_in, waiting_patient)
    first = waiting_patient("US-ABD")  # one more step after this one: the call re-plans the rest
    patient = check_in("US-ABD", "ECG", visit="TWO", mrn="MTWO")
    client.post(
        f"/api/v1/journeys/{patient['id']}/tasks/{step(patient, 'payment')['id']}/complete",
        headers=as_patient(patient),
    )
    answer = client.post(f"/api/v1/queues/rooms/{first['room']}/call-next", json={"desk": 1}, headers=nurse)
    assert answer.status_code == 200, answer.json
    called = str(answer.json["entry"]["journey_id"])
    site = session.get(Journey, int(called)).site
    full = planning.load_day(session, site, clock())
    narrow = planning.load_day(session, site, clock(), only=[int(called)])
    assert set(narrow.state.rooms) < set(full.state.rooms)
    assert in_rooms(narrow, set(narrow.state.rooms), called) == in_rooms(
        full, set(narrow.state.rooms), called
    )
    plans = []
    for day in (full, narrow):
        sequencing.improve(day.state, 5.0, SETTINGS, reference=day.state.plan.copy(), only=[called])
        plans.append((set(day.state.plan.of_patient(called)), set(day.state.plan.unplaced_of(called))))
    assert plans[0] == plans[1]
