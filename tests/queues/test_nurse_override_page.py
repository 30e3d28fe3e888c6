"""The nurse board offers what the server allows: beginning a step whose prerequisites are not
met, with a reason that is audited (issue 10, item 4), and a pause whose category the patients
are told (item 6)."""

from __future__ import annotations

import pytest

from navigation.models import AuditRecord
from tests.queues.conftest import as_patient, ct_patient_early_at_the_door, step
from tests.queues.test_pages import sign_in

pytestmark = pytest.mark.browser


def test_a_refused_start_offers_an_override_with_a_reason(
    live_server, page, client, session, nurse, clock, check_in
):
    _, ct = ct_patient_early_at_the_door(client, nurse, clock, check_in)  # 09:27, the result due 09:32
    sign_in(page, live_server)
    page.select_option("#room", ct["room"]["code"])
    page.click("#entries li[data-ticket='001'] button[data-action=start]")
    page.wait_for_selector("#ask:not([hidden])")
    assert "09:32" in page.inner_text("#ask-title")
    assert "anyway" in page.inner_text("#ask button[type=submit]")
    page.fill("#ask [name=reason]", "result phoned through by the lab")
    page.click("#ask button[type=submit]")
    page.wait_for_selector("#entries li.in_service[data-ticket='001']")
    audit = session.query(AuditRecord).filter_by(action="queue.override").one()
    assert audit.detail["reason"] == "result phoned through by the lab"


def test_the_pause_form_sends_the_category_patients_are_told(
    live_server, page, waiting_patient, client, session
):
    patient = waiting_patient("PFT")
    sign_in(page, live_server)
    page.select_option("#room", "B5-01")
    page.wait_for_selector("#entries li[data-ticket='001']")
    page.click("#pause")
    page.fill("#ask [name=reason]", "spirometer sensor replaced")
    page.select_option("#ask [name=category]", "equipment")
    page.click("#ask button[type=submit]")
    page.wait_for_selector("#paused:not([hidden])")
    session.expire_all()  # the live server's thread paused the room
    journey = client.get(
        f"/api/v1/journeys/{patient['journey']['id']}", headers=as_patient(patient["journey"])
    )
    assert step(journey.json, "exam:PFT")["status_category"] == "equipment"
