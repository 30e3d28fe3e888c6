"""Where is everyone? Staff find today's patients at their own site, see where each one is,
reprint a slip for a patient already checked in, cancel a step or close a visit with a reason."""

from __future__ import annotations

import sqlalchemy as sa

from navigation.models import AuditRecord, Site
from tests.queues.conftest import as_patient, step

SEARCH = "/api/v1/journeys"


def audits(session, action: str) -> list[AuditRecord]:
    session.expire_all()
    return list(
        session.scalars(sa.select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id))
    )


def test_staff_find_a_patient_by_visit_mrn_or_name_and_see_step_room_and_state(
    client, reception, nurse, session, waiting_patient
):
    in_line = waiting_patient("ECG", name="Zhang Xiuying")
    not_yet = waiting_patient("ECG", name="Li Wei", arrive=False)
    by_visit = client.get(
        SEARCH, query_string={"visit_number": in_line["journey"]["visit_number"]}, headers=reception
    )
    assert by_visit.status_code == 200
    [found] = by_visit.json
    assert found["id"] == in_line["journey"]["id"] and found["status"] == "active"
    assert found["patient"]["name"] == "Zhang Xiuying"
    current = found["current_step"]
    assert current["id"] == in_line["task"]["id"] and current["room"] == in_line["room"]
    assert current["ticket"] == "001" and current["queue_status"] == "waiting"
    assert current["status"] == "ready" and current["business_status"] == "arrived"

    [by_mrn] = client.get(
        SEARCH, query_string={"mrn": not_yet["journey"]["patient"]["mrn"]}, headers=nurse
    ).json
    assert by_mrn["id"] == not_yet["journey"]["id"]
    assert by_mrn["current_step"]["ticket"] is None and by_mrn["current_step"]["room"] == not_yet["room"]

    by_name = client.get(SEARCH, query_string={"q": "xiuy"}, headers=reception).json
    assert [j["id"] for j in by_name] == [in_line["journey"]["id"]]
    everyone = client.get(SEARCH, headers=reception).json
    assert [j["id"] for j in everyone] == [not_yet["journey"]["id"], in_line["journey"]["id"]]  # newest first
    assert client.get(SEARCH, query_string={"q": "%"}, headers=reception).json == []  # no wildcard probing
    reads = audits(session, "journey.search")
    assert len(reads) == 5  # one per request
    mrn = not_yet["journey"]["patient"]["mrn"]
    assert [r.detail.get("query") for r in reads][1:3] == [{"mrn": mrn}, {"q": "xiuy"}]  # who looked for whom
    assert sorted(r.actor for r in reads) == ["nurse"] + ["reception"] * 4
    demo = session.scalar(sa.select(Site.id).where(Site.code == "demo"))
    assert {r.site_id for r in reads} == {demo}


def test_staff_of_another_site_find_nobody_here(client, reception, north, waiting_patient):
    patient = waiting_patient("ECG")
    elsewhere = north["nurse"]
    visit = patient["journey"]["visit_number"]
    assert client.get(SEARCH, query_string={"visit_number": visit}, headers=elsewhere).json == []
    assert client.get(SEARCH, query_string={"site": "demo"}, headers=elsewhere).status_code == 404
    cancel = f"/api/v1/journeys/{patient['journey']['id']}/close"
    assert client.post(cancel, json={"reason": "x"}, headers=elsewhere).status_code == 404
    assert client.get(SEARCH, query_string={"visit_number": visit}, headers=reception).json != []


def test_search_input_is_checked_and_patients_cannot_search(client, reception, waiting_patient):
    patient = waiting_patient("ECG")
    bad = client.get(SEARCH, query_string={"limit": "0", "q": ""}, headers=reception)
    assert bad.status_code == 422
    assert set(bad.json["errors"]["query"]) == {"limit", "q"}
    assert client.get(SEARCH, headers=as_patient(patient["journey"])).status_code == 403


def test_a_second_check_in_points_at_the_journey_to_reprint(client, reception, check_in):
    first = check_in("ECG", visit="V-REPRINT")
    again = client.post(
        SEARCH,
        json={
            "visit_number": "V-REPRINT",
            "patient": {"mrn": "MRN001", "name": "Li Wei", "language": "zh", "mobility": "walking"},
            "orders": [{"code": "ECG"}],
        },
        headers=reception,
    )
    assert again.status_code == 409
    assert again.json["errors"]["json"]["visit_number"]
    assert again.json["journey"]["id"] == first["id"]
    assert again.json["journey"]["qr"] == f"/api/v1/journeys/{first['id']}/qr.svg"
    reprint = client.get(again.json["journey"]["href"], headers=reception)
    assert reprint.status_code == 200 and reprint.json["access_url"] == first["access_url"]
    assert client.get(again.json["journey"]["qr"], headers=reception).mimetype == "image/svg+xml"


def test_the_qr_code_scales_to_any_size(client, reception, check_in):
    journey = check_in("ECG")
    svg = client.get(f"/api/v1/journeys/{journey['id']}/qr.svg", headers=reception).get_data(as_text=True)
    assert 'viewBox="0 0 ' in svg
    assert ' width="' not in svg.split(">")[0]  # the page and the printed slip choose the size


def test_cancelling_a_step_takes_the_patient_out_of_line_and_tells_them(
    client, reception, nurse, session, waiting_patient, messages
):
    first = waiting_patient("PFT")
    second = waiting_patient("PFT")
    url = f"/api/v1/journeys/{first['journey']['id']}/tasks/{first['task']['id']}/cancel"
    assert client.post(url, json={"reason": " "}, headers=reception).json["errors"]["json"]["reason"]
    answer = client.post(url, json={"reason": "done at the other hospital"}, headers=reception)
    assert answer.status_code == 200, answer.json
    cancelled = step(answer.json, first["task"]["key"])
    assert cancelled["status"] == "cancelled"
    assert first["room"] == second["room"]
    board = client.get(f"/api/v1/queues/rooms/{first['room']}", headers=nurse).json
    assert [e["ticket"] for e in board["entries"]] == ["002"]
    [mine] = client.get(
        f"/api/v1/queues/journeys/{second['journey']['id']}", headers=as_patient(second["journey"])
    ).json
    assert mine["people_ahead"] == 0
    events = [m.event for m in messages(first["journey"]["id"])]
    assert "plan_changed" in events
    [record] = audits(session, "journey.step.cancel")
    assert record.actor == "reception" and record.detail["reason"] == "done at the other hospital"
    again = client.post(url, json={"reason": "twice"}, headers=reception)
    assert again.status_code == 409


def test_a_prerequisite_cannot_be_cancelled_while_its_exam_still_needs_it(client, reception, check_in):
    journey = check_in("CT-ABD-C", fasting_confirmed=True)
    draw = next(t for t in journey["tasks"] if t["kind"] == "blood_draw")
    url = f"/api/v1/journeys/{journey['id']}/tasks/{draw['id']}/cancel"
    refused = client.post(url, json={"reason": "vein problem"}, headers=reception)
    assert refused.status_code == 409
    assert "cancel it before this one" in refused.json["message"]


def test_closing_a_visit_cancels_every_open_step_and_tells_the_patient(
    client, reception, nurse, session, waiting_patient
):
    from notifications.outbox import OutboxMessage

    patient = waiting_patient("ECG")
    journey_id = patient["journey"]["id"]
    assert client.post(f"/api/v1/journeys/{journey_id}/close", json={}, headers=reception).status_code == 422
    closed = client.post(
        f"/api/v1/journeys/{journey_id}/close", json={"reason": "admitted to ward"}, headers=nurse
    )
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "cancelled"
    assert {t["status"] for t in closed.json["tasks"]} == {"completed", "cancelled"}
    assert client.get(f"/api/v1/queues/rooms/{patient['room']}", headers=nurse).json["entries"] == []
    session.expire_all()
    last = session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.journey_id == journey_id)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert last.event == "journey_closed" and "ask at reception" not in last.title
    [record] = audits(session, "journey.close")
    assert record.actor == "nurse" and record.detail["reason"] == "admitted to ward"
    [found] = client.get(
        SEARCH, query_string={"visit_number": patient["journey"]["visit_number"]}, headers=nurse
    ).json
    assert found["status"] == "cancelled" and found["current_step"] is None
    assert (
        client.post(f"/api/v1/journeys/{journey_id}/close", json={"reason": "x"}, headers=nurse).status_code
        == 409
    )
