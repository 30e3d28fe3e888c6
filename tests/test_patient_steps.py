"""The patient follows their steps: self-service steps, "I'm here", gaps, and refused moves."""

from __future__ import annotations

import pytest

from navigation.errors import Conflict
from navigation.models import Journey, Task, TaskStatus
from navigation.task_states import transition


def as_patient(journey: dict) -> dict:
    return {"Authorization": f"Bearer {journey['access_token']}"}


def step(journey: dict, key: str) -> dict:
    return next(t for t in journey["tasks"] if t["key"] == key)


def test_paying_releases_the_next_steps(client, check_in):
    journey = check_in("ECG", "XR-CHEST")
    url = f"/api/v1/journeys/{journey['id']}"
    done = client.post(f"{url}/tasks/{step(journey, 'payment')['id']}/complete", headers=as_patient(journey))
    assert done.status_code == 200 and done.json["status"] == "completed"
    now = client.get(url, headers=as_patient(journey)).json
    assert step(now, "exam:ECG")["status"] == "ready"
    assert (
        now["next_step_id"] == step(now, "exam:XR-CHEST")["id"]
        or now["next_step_id"] == step(now, "exam:ECG")["id"]
    )


def test_patient_cannot_complete_an_exam_or_a_step_not_yet_ready(client, check_in):
    journey = check_in("ECG")
    url = f"/api/v1/journeys/{journey['id']}/tasks"
    exam = client.post(f"{url}/{step(journey, 'exam:ECG')['id']}/complete", headers=as_patient(journey))
    assert exam.status_code == 409 and "staff" in exam.json["message"]
    report = client.post(f"{url}/{step(journey, 'report')['id']}/complete", headers=as_patient(journey))
    assert report.status_code == 409 and "cannot begin yet" in report.json["message"]


def test_im_here_marks_arrival_only_when_the_step_is_ready(client, check_in):
    journey = check_in("ECG")
    url = f"/api/v1/journeys/{journey['id']}/tasks"
    early = client.post(f"{url}/{step(journey, 'exam:ECG')['id']}/arrive", headers=as_patient(journey))
    assert early.status_code == 409
    client.post(f"{url}/{step(journey, 'payment')['id']}/complete", headers=as_patient(journey))
    here = client.post(f"{url}/{step(journey, 'exam:ECG')['id']}/arrive", headers=as_patient(journey))
    assert here.status_code == 200 and here.json["business_status"] == "arrived"


def test_unknown_ids_are_404_and_huge_ids_never_500(client, check_in):
    journey = check_in("ECG")
    base = f"/api/v1/journeys/{journey['id']}"
    assert client.post(f"{base}/tasks/999999/complete", headers=as_patient(journey)).status_code == 404
    assert client.get("/api/v1/journeys/99999999999999999999", headers=as_patient(journey)).status_code == 404


def test_a_kidney_result_gap_holds_the_contrast_ct_until_the_result_is_out(session, clock, check_in):
    data = check_in("CT-ABD-C")
    journey = session.get(Journey, data["id"])
    tasks = {t.key: t for t in journey.tasks}
    from navigation.journeys import complete_self_service
    from navigation.task_states import refresh_readiness

    complete_self_service(session, journey, tasks["payment"].id, clock.now)
    draw = tasks["draw:blood"]
    transition(draw, TaskStatus.IN_PROGRESS, actor="staff:nurse", now=clock.now)
    transition(draw, TaskStatus.COMPLETED, actor="staff:nurse", now=clock.advance(minutes=5))
    refresh_readiness(journey, clock.now)
    ct = tasks["exam:CT-ABD-C"]
    assert ct.status == TaskStatus.READY
    assert (ct.not_before - draw.completed_at).total_seconds() == 3600


def test_illegal_transitions_are_refused_and_history_is_kept(session, check_in, clock):
    data = check_in("ECG")
    journey = session.get(Journey, data["id"])
    ecg = next(t for t in journey.tasks if t.key == "exam:ECG")
    with pytest.raises(Conflict) as error:
        transition(ecg, TaskStatus.COMPLETED, actor="staff:nurse", now=clock.now)
    assert "requested" in error.value.message
    pay = journey.tasks[0]
    transition(pay, TaskStatus.COMPLETED, actor="patient", now=clock.now)
    with pytest.raises(Conflict):
        transition(pay, TaskStatus.IN_PROGRESS, actor="patient", now=clock.now)
    assert [(h.from_status, h.to_status) for h in session.scalars(pay.transitions.select())] == [
        (None, "requested"),
        ("requested", "ready"),
        ("ready", "completed"),
    ]


def test_journey_completes_when_every_step_is_done(session, check_in, clock):
    from navigation.journeys import complete_self_service
    from navigation.models import JourneyStatus
    from navigation.task_states import refresh_readiness

    journey = session.get(Journey, check_in("ECG")["id"])
    for task in journey.tasks:
        if task.self_service:
            complete_self_service(session, journey, task.id, clock.advance(minutes=20))
        else:
            transition(task, TaskStatus.IN_PROGRESS, actor="staff:nurse", now=clock.now)
            transition(task, TaskStatus.COMPLETED, actor="staff:nurse", now=clock.advance(minutes=10))
            task.result_ready_at = clock.now  # the lab says the result is out
            refresh_readiness(journey, clock.now)
    assert journey.status == JourneyStatus.COMPLETED


def test_fasting_step_waits_when_the_patient_ate_recently(check_in):
    journey = check_in("GLU", last_meal_at="2026-11-25T00:00:00+00:00")  # ate 30 min before arrival
    draw = step(journey, "draw:blood")
    assert draw["not_before"].startswith("2026-11-25T08:00")


def test_a_step_deleted_takes_its_history_with_it(session, check_in, clock):
    """The history is written without being read (a write-only collection): deleting its step
    must leave the rows to the database's cascade, not fail trying to load them."""
    journey = session.get(Journey, check_in("ECG")["id"])
    ecg = next(t for t in journey.tasks if t.key == "exam:ECG")
    transition(ecg, TaskStatus.CANCELLED, actor="staff:nurse", now=clock.now)
    session.flush()
    session.delete(ecg)
    session.flush()
    assert session.get(Task, ecg.id) is None
