"""Reports are ready when the results are: marked ready by staff, or in the demo when their
due time has passed; never announced early (issue 10, item 4)."""

from __future__ import annotations

import sqlalchemy as sa

from navigation.models import AuditRecord, Journey, Site
from notifications import OutboxMessage


def step(journey: dict, key: str) -> dict:
    return next(t for t in journey["tasks"] if t["key"] == key)


def _x_ray_done(client, nurse, clock, check_in) -> dict:
    journey = check_in("XR-CHEST")
    me = {"Authorization": f"Bearer {journey['access_token']}"}
    url = f"/api/v1/journeys/{journey['id']}"
    client.post(f"{url}/tasks/{step(journey, 'payment')['id']}/complete", headers=me)
    xray = step(journey, "exam:XR-CHEST")
    assert client.post(f"{url}/tasks/{xray['id']}/arrive", headers=me).status_code == 200
    entry = client.post(f"/api/v1/queues/rooms/{xray['room']['code']}/call-next", json={}, headers=nurse).json
    clock.advance(minutes=3)
    assert (
        client.post(f"/api/v1/queues/entries/{entry['entry']['id']}/complete", headers=nurse).status_code
        == 200
    )
    return client.get(url, headers=me).json


def _reports_ready(session, journey_id: int) -> int:
    session.expire_all()
    return session.scalar(
        sa.select(sa.func.count()).where(
            OutboxMessage.journey_id == journey_id, OutboxMessage.event == "report_ready"
        )
    )


def test_the_report_is_ready_only_once_staff_mark_the_result_ready(client, session, nurse, clock, check_in):
    journey = _x_ray_done(client, nurse, clock, check_in)
    me = {"Authorization": f"Bearer {journey['access_token']}"}
    url = f"/api/v1/journeys/{journey['id']}"
    report, xray = step(journey, "report"), step(journey, "exam:XR-CHEST")
    assert report["status"] == "requested" and _reports_ready(session, journey["id"]) == 0
    clock.advance(hours=2)  # long past the usual turnaround, but nobody said the result is out
    early = client.post(f"{url}/tasks/{report['id']}/complete", headers=me)
    assert early.status_code == 409 and journey["status"] == "active"
    assert client.post(f"{url}/tasks/{xray['id']}/result-ready", headers=me).status_code in (401, 403)
    marked = client.post(f"{url}/tasks/{xray['id']}/result-ready", headers=nurse)
    assert marked.status_code == 200, marked.json
    assert step(client.get(url, headers=me).json, "report")["status"] == "ready"
    assert _reports_ready(session, journey["id"]) == 1
    assert session.query(AuditRecord).filter_by(action="task.result_ready").count() == 1
    done = client.post(f"{url}/tasks/{report['id']}/complete", headers=me)
    assert done.status_code == 200
    assert client.get(url, headers=me).json["status"] == "completed"


def test_in_the_demo_a_result_is_ready_when_its_due_time_has_passed(client, session, nurse, clock, check_in):
    from navigation.results import release_due_results

    journey = _x_ray_done(client, nurse, clock, check_in)  # done at 08:34, due an hour later
    site = session.scalar(sa.select(Site).where(Site.code == "demo"))
    clock.advance(minutes=55)
    assert release_due_results(session, site, clock.now) == 0
    session.commit()
    assert _reports_ready(session, journey["id"]) == 0
    clock.advance(minutes=6)
    assert release_due_results(session, site, clock.now) == 1
    session.commit()
    assert _reports_ready(session, journey["id"]) == 1
    report = next(t for t in session.get(Journey, journey["id"]).tasks if t.kind == "report")
    assert report.status.value == "ready" and report.not_before is None


def test_the_demo_improver_round_releases_due_results(app, client, session, nurse, clock, check_in):
    from api.background import PlanImprover

    journey = _x_ray_done(client, nurse, clock, check_in)
    session.commit()
    clock.advance(minutes=61)
    app.config["DEMO_RESULTS"] = True
    try:
        PlanImprover(app).run_once()
    finally:
        app.config["DEMO_RESULTS"] = False
    assert _reports_ready(session, journey["id"]) == 1
