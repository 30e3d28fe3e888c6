"""Reception in the browser fetches a visit's orders from the hospital's FHIR server.

In the top folder, not in tests/interfaces: the browser's session-long event loop must start
after the tests that run asyncio themselves (the FCM SDK's clean-up does)."""

from __future__ import annotations

import pytest

from tests.interfaces.fake_fhir import TOKEN, VISIT, FakeFhirServer, configure, the_hospitals_records
from tests.staff_pages import sign_in


@pytest.fixture
def his(monkeypatch):
    monkeypatch.setenv("TEST_HIS_TOKEN", TOKEN)
    with FakeFhirServer(the_hospitals_records(), token=TOKEN) as server:
        yield server


@pytest.mark.browser
def test_the_desk_scans_a_visit_number_and_gets_the_orders_or_a_clear_message(
    live_server, page, client, admin, his
):
    configure(client, admin, his.url)
    sign_in(page, live_server, "/reception", "reception")
    page.fill("[name=visit_number]", VISIT)
    page.click("#fetch-orders")
    page.wait_for_selector("#result:not([hidden])")
    assert "CT chest" in page.inner_text("#result-steps")
    assert "acme.org/tests|LIPID" in page.inner_text("#result-notes")  # the order the table does not know
    assert page.locator("#qr svg").count() == 1

    his.stop()
    page.click("#again")
    page.fill("[name=visit_number]", "V20261125-0043")
    page.click("#fetch-orders")
    page.wait_for_function("document.querySelector('#checkin .error').textContent.includes('by hand')")
    assert "cannot be reached" in page.inner_text("#checkin .error")
    assert page.is_visible("[name=mrn]")  # the form for a check-in by hand is still there
