"""The service improves each site's day by itself, one process at a time, and carries an
improvement over to a plan that changed while it was being computed without double-booking."""

from __future__ import annotations

from datetime import timedelta

from api.background import PlanImprover
from navigation import planning, sequencing
from navigation.models import Site, Task
from tests.conftest import double_bookings


def planned_times(session) -> dict[int, tuple]:
    session.expire_all()
    return {t.id: (t.planned_start, t.planned_room_id) for t in session.query(Task)}


def test_an_improvement_computed_while_a_patient_checks_in_keeps_the_newcomers_plan(
    app, session, check_in, monkeypatch
):
    for i in range(4):
        check_in("US-ABD", "ECG", "XR-CHEST", visit=f"V{i}", mrn=f"M{i}", fasting_confirmed=True)
    arrived: list[dict] = []
    real_improve = sequencing.improve

    def improve_while_reception_checks_in(state, seconds, *args, **kwargs):
        result = real_improve(state, seconds, *args, **kwargs)
        arrived.append(check_in("US-ABD", "ECG", visit="V9", mrn="M9", fasting_confirmed=True))
        return result

    monkeypatch.setattr(sequencing, "improve", improve_while_reception_checks_in)
    from api.jobs import improve_day

    improve_day("demo", 0.5)
    after = planned_times(session)
    for task in arrived[0]["tasks"]:  # the improvement did not know them: their plan stands
        if task["planned_start"]:
            assert after[task["id"]][0].isoformat() == task["planned_start"]
    assert double_bookings(session) == []


def test_an_improvement_is_carried_over_only_where_it_still_fits():
    """A check-in took A's new slot: A keeps the old one, so B cannot move into it; C can."""
    from navigation.planning import rebase_improvement
    from navigation.sequencing import DayState, Placement, Plan, Room, StraightLineWalking
    from navigation.sequencing.model import Patient

    room = Room("R1", "ct", 1, ((480, 1020),))
    state = DayState(
        {"R1": room}, {p: Patient(p, 480, ()) for p in "ABCN"}, Plan(), StraightLineWalking.for_rooms([room])
    )

    def at(pid: str, start: int) -> Placement:
        return Placement(pid, "exam", "R1", 0, start, start + 20)

    before = Plan()
    for p in (at("A", 600), at("B", 700), at("C", 800)):
        before.put(p)
    improved = before.copy()
    for p in (at("A", 540), at("B", 600), at("C", 660)):
        improved.put(p)
    state.plan = before.copy()
    state.plan.put(at("N", 530))  # the newcomer, checked in during the solve
    rebase_improvement(state, before, improved, {"A", "B", "C"})
    assert state.plan.placements[("A", "exam")].start == 600  # its new slot was taken
    assert state.plan.placements[("B", "exam")].start == 700  # A still holds 10:00
    assert state.plan.placements[("C", "exam")].start == 660  # free: improved
    assert state.plan.placements[("N", "exam")].start == 530


def test_one_process_takes_each_turn_and_the_next_comes_after_the_interval(app, session, clock):
    site = session.query(Site).filter_by(code="demo").one()
    every = timedelta(minutes=5)
    now = clock()
    assert planning.claim_improvement(session, site, now, every)
    session.commit()
    assert not planning.claim_improvement(session, site, now + timedelta(minutes=1), every)
    assert planning.claim_improvement(session, site, now + every, every)


def test_the_improver_runs_for_sites_with_patients_and_waits_its_turn(app, session, check_in, clock):
    app.config["IMPROVE_SECONDS"] = 0.5
    improver = PlanImprover(app)
    assert improver.run_once() == {}  # nobody checked in yet: nothing to improve
    for i in range(3):
        check_in("ECG", "XR-CHEST", "ECHO", visit=f"V{i}", mrn=f"M{i}")
    first = improver.run_once()
    assert list(first) == ["demo"] and first["demo"].startswith("cost ")
    assert improver.run_once() == {}  # its turn was just taken
    clock.advance(seconds=app.config["IMPROVE_EVERY"].total_seconds())
    assert list(improver.run_once()) == ["demo"]
