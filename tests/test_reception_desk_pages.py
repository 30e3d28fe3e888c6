"""The reception desk in a real browser: the printed slip a phone can scan, finding a patient,
reprinting their slip, closing a visit."""

from __future__ import annotations

import io
import re

import pytest

from tests.staff_pages import sign_in

pytestmark = pytest.mark.browser


def scanned(page) -> str:
    """What a phone camera reads from the slip's QR code, as printed."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    image = Image.open(io.BytesIO(page.locator("#qr svg").screenshot()))
    [code] = zxingcpp.read_barcodes(image)
    return code.text


def test_the_printed_slip_names_the_patient_and_first_step_and_its_qr_code_scans(live_server, page):
    sign_in(page, live_server, "/reception", "reception")
    page.fill("[name=visit_number]", "V2026-0100")
    page.fill("[name=mrn]", "MRN-100")
    page.fill("[name=name]", "Wang Fang")
    page.check("input[value=ECG]")
    page.click("#checkin button[type=submit]")
    page.wait_for_selector("#result:not([hidden]) #qr svg")
    link = page.inner_text("#link")
    page.emulate_media(media="print")
    assert page.is_hidden("header") and page.is_hidden("#result-steps") and page.is_hidden("#print")
    assert page.inner_text("#slip-name") == "Wang Fang"
    assert "V2026-0100" in page.inner_text("#slip-visit")
    first = page.inner_text("#slip-first")
    assert "缴费" in first and re.search(r"· \d\d:\d\d$", first)  # hospital time, no ISO timestamp
    assert "T0" not in first and "+00:00" not in first
    assert scanned(page) == link
    box = page.locator("#qr svg").bounding_box()
    modules = int(page.get_attribute("#qr svg", "viewBox").split()[2])
    millimetres = box["width"] / 96 * 25.4
    assert 40 <= millimetres <= 50 and millimetres / modules >= 0.8  # big enough for any phone camera


def test_reception_finds_a_patient_reprints_their_slip_and_closes_the_visit(live_server, page, check_in):
    journey = check_in("ECG", visit="V2026-0200", name="Zhang Xiuying")
    sign_in(page, live_server, "/reception", "reception")
    page.fill("[name=visit_number]", "V2026-0200")  # checked in again by mistake
    page.fill("[name=mrn]", "MRN001")
    page.fill("[name=name]", "Zhang Xiuying")
    page.check("input[value=ECG]")
    page.click("#checkin button[type=submit]")
    page.wait_for_selector("#reprint-existing:not([hidden])")
    assert "already checked in" in page.inner_text("#checkin .error")
    page.click("#reprint-existing")
    page.wait_for_selector("#result:not([hidden]) #qr svg")
    assert page.inner_text("#link") == journey["access_url"]
    assert scanned(page) == journey["access_url"]

    page.select_option("#find-form [name=by]", "q")
    page.fill("#find-form [name=value]", "xiuying")
    page.click("#find-form button")
    row = page.locator("#found li[data-visit='V2026-0200']")
    row.wait_for()
    assert "缴费" in row.inner_text() and "Zhang Xiuying" in row.inner_text()
    row.get_by_role("button", name=re.compile("Close visit")).click()
    page.fill("#reason-form [name=reason]", "went home unwell")
    page.click("#reason-form button[type=submit]")
    page.wait_for_function("document.querySelector('#find-status').textContent.includes('Done')")
    assert "Closed" in page.inner_text("#found li[data-visit='V2026-0200']")


def test_a_lost_phone_gets_a_new_link_on_a_new_slip_and_the_old_link_ends(
    live_server, page, check_in, client, session
):
    journey = check_in("ECG", visit="V2026-0300", name="Sun Li")
    sign_in(page, live_server, "/reception", "reception")
    page.fill("#find-form [name=value]", "V2026-0300")
    page.click("#find-form button")
    row = page.locator("#found li[data-visit='V2026-0300']")
    row.get_by_role("button", name=re.compile("New link")).click()
    page.wait_for_function(
        "document.querySelector('#slip-note').textContent.includes('old one no longer opens')"
    )
    new_link = page.inner_text("#link")
    assert new_link != journey["access_url"] and scanned(page) == new_link
    session.expire_all()  # the browser changed the journey through the live server
    old = {"Authorization": f"Bearer {journey['access_token']}"}
    assert client.get(f"/api/v1/journeys/{journey['id']}", headers=old).status_code == 410
    new = {"Authorization": f"Bearer {new_link.rsplit('/', 1)[1]}"}
    assert client.get(f"/api/v1/journeys/{journey['id']}", headers=new).status_code == 200


def test_a_search_answering_late_does_not_replace_the_one_the_receptionist_made_after_it(
    live_server, page, check_in
):
    check_in("ECG", visit="V2026-0400", mrn="MRN-400", name="Wang Fang")
    check_in("ECG", visit="V2026-0401", mrn="MRN-401", name="Li Na")
    held = []

    def slow_first_search(route) -> None:  # a slow network: the search for Wang answers last
        if "Wang" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v1/journeys?*", slow_first_search)
    sign_in(page, live_server, "/reception", "reception")
    page.select_option("#find-form [name=by]", "q")
    page.fill("#find-form [name=value]", "Wang")
    page.click("#find-form button")
    while not held:  # the first search is on its way, held
        page.wait_for_timeout(20)
    page.fill("#find-form [name=value]", "Li Na")
    page.click("#find-form button")
    page.locator("#found li[data-visit='V2026-0401']").wait_for()
    with page.expect_response(lambda answer: "Wang" in answer.url):
        held[0].continue_()
    page.wait_for_timeout(300)  # the late answer's script has run
    assert page.locator("#found li").count() == 1
    assert "Li Na" in page.inner_text("#found") and "Wang Fang" not in page.inner_text("#found")
