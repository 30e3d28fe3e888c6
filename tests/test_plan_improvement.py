"""The service improves each site's day by itself, one process at a time, and never writes an
improvement over a plan that changed while it was being computed."""

from __future__ import annotations

from datetime import timedelta

from api.background import PlanImprover
from navigation import planning, sequencing
from navigation.models import Site, Task


def planned_times(session) -> dict[int, tuple]:
    session.expire_all()
    return {t.id: (t.planned_start, t.planned_room_id) for t in session.query(Task)}


def test_an_improvement_computed_while_a_patient_checks_in_is_thrown_away(
    app, session, check_in, monkeypatch
):
    for i in range(4):
        check_in("US-ABD", "ECG", "XR-CHEST", visit=f"V{i}", mrn=f"M{i}", fasting_confirmed=True)
    before = planned_times(session)
    arrived: list[dict] = []
    real_improve = sequencing.improve

    def improve_while_reception_checks_in(state, seconds, *args, **kwargs):
        result = real_improve(state, seconds, *args, **kwargs)
        arrived.append(check_in("US-ABD", "ECG", visit="V9", mrn="M9", fasting_confirmed=True))
        return result

    monkeypatch.setattr(sequencing, "improve", improve_while_reception_checks_in)
    from api.jobs import improve_day

    improvement = improve_day("demo", 0.5)
    assert improvement.superseded and not improvement.changed
    after = planned_times(session)
    assert {k: after[k] for k in before} == before  # nobody's plan was overwritten
    newcomer = {t["id"] for t in arrived[0]["tasks"]}
    assert all(after[k][0] is not None for k in newcomer if k in after)


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
