"""Every page passes axe-core (WCAG rules, any impact) in Chinese and in English, and the header
still fits at 200 % text."""

from __future__ import annotations

import pytest

from tests.axe import axe_script
from tests.booking.booked import booked_token
from tests.staff_pages import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def axe():
    script = axe_script()
    if script is None:
        pytest.skip("axe-core is not available (npm pack axe-core) and not cached")
    return script


def violations(page, axe) -> list[str]:
    page.add_script_tag(path=str(axe))
    found = page.evaluate("axe.run(document).then(r => r.violations)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in found
    ]


def test_front_reception_nurse_and_signage_pages_have_no_violations(live_server, page, axe, check_in):
    journey = check_in("ECG", visit="V-A11Y")
    page.goto(f"{live_server}/")
    assert violations(page, axe) == []
    page.goto(f"{live_server}/signage/demo/ultrasound")
    page.wait_for_selector("#clock:not(:empty)")
    assert violations(page, axe) == []
    page.goto(f"{live_server}/reception")
    page.wait_for_selector("#login:not([hidden])")
    assert violations(page, axe) == []
    sign_in(page, live_server, "/reception", "reception")
    page.fill("#find-form [name=value]", "V-A11Y")
    page.click("#find-form button")
    page.wait_for_selector("#found li")
    assert violations(page, axe) == []
    page.locator("#found li button").first.click()
    page.wait_for_selector("#result:not([hidden]) #qr svg")
    assert violations(page, axe) == []
    page.goto(f"{live_server}/nurse")
    page.wait_for_selector("#login:not([hidden])")
    assert violations(page, axe) == []
    sign_in(page, live_server, "/nurse", "nurse")
    assert violations(page, axe) == []
    assert journey["id"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_booking_desk_and_the_patients_booking_page_have_no_violations(
    live_server, page, axe, client, reception, language
):
    token = booked_token(client, reception, "GLU", "US-PELVIS", language=language)
    sign_in(page, live_server, "/reception/bookings", "reception")
    assert violations(page, axe) == []
    page.fill("#booking-form [name=visit_number]", "VB-A11Y")
    page.fill("#booking-form [name=mrn]", "MRN-A11Y")
    page.fill("#booking-form [name=name]", "Sun Li")
    page.check("#orders input[value=ECG]")
    page.click("#booking-form button[type=submit]")
    page.wait_for_selector("#offer-list li")
    assert violations(page, axe) == []
    page.fill("#find-form [name=visit_number]", "VB-1")  # the booking made above
    page.click("#find-form button[type=submit]")
    page.wait_for_selector("#found li")
    assert violations(page, axe) == []
    page.goto(f"{live_server}/b/{token}")
    page.wait_for_selector("#summary:not([hidden])")
    assert page.evaluate("document.documentElement.lang") == language
    assert violations(page, axe) == []
    page.click("#rebook")
    page.wait_for_selector("#rebook-list button")
    page.click("#lang")  # and in the other language
    assert violations(page, axe) == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_patient_page_and_the_invalid_link_page_have_no_violations(
    live_server, chromium, axe, check_in, language
):
    journey = check_in("GLU", "US-ABD", "ECG", language=language)
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN" if language == "zh" else "en-US"
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server}/p/{journey['access_token']}")
        page.wait_for_selector("#next:not([hidden]), #fasting:not([hidden])")
        assert page.evaluate("document.documentElement.lang").startswith(language)
        assert violations(page, axe) == []
        page.click("#lang")  # and in the other language
        assert violations(page, axe) == []
        page.goto(f"{live_server}/p/pt_1_{'x' * 43}")
        page.wait_for_selector("#invalid:not([hidden])")
        assert violations(page, axe) == []
        page.click("#lang")
        assert violations(page, axe) == []
    finally:
        context.close()


# Latin words (CJK text may break between any two characters) that the browser split over two
# lines although the word alone fits the line: a word broken mid-word to squeeze a box.
BROKEN_WORDS = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, box = node.parentElement;
    if (!box || !box.checkVisibility()) continue;
    const style = getComputedStyle(box);
    const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    canvas.font = style.font;
    for (const m of node.textContent.matchAll(/[A-Za-z0-9'’]+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.bottom)));
      if (lines.size > 1 && canvas.measureText(m[0]).width <= room) broken.push(m[0]);
    }
  }
  return broken;
}"""


# Text running off the right edge of the screen (the page would scroll sideways).
OVERFLOWING = """() => {
  const off = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(walker.currentNode);
    if (!walker.currentNode.parentElement.checkVisibility()) continue;
    if ([...range.getClientRects()].some((r) => r.width > 0 && r.right > innerWidth + 0.5)) {
      off.push(walker.currentNode.textContent.trim().slice(0, 60));
    }
  }
  return off;
}"""


def text_at_200_percent(page) -> None:
    """What a phone set to 'largest text' does: the root font size doubles."""
    page.add_style_tag(content="html { font-size: 200% }")


def assert_fits(page, where: str) -> None:
    """Nothing runs off the screen, the header's parts stay inside it, no word is squeezed apart."""
    assert page.evaluate(OVERFLOWING) == [], where
    header = page.locator("header").bounding_box()
    for part in page.locator("header > *").all():
        if part.is_visible():
            box = part.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= header["width"] + 0.5, where
    assert page.evaluate(BROKEN_WORDS) == [], where


@pytest.mark.parametrize("language", ["zh", "en"])
def test_at_200_percent_text_the_header_fits_and_no_word_breaks(
    live_server, chromium, check_in, client, reception, language
):
    journey = check_in("US-ABD", "ECG", "FOLLOWUP", language=language, fasting_confirmed=True)
    booking = booked_token(client, reception, "GLU", "US-PELVIS", "COLONO", "BA-UGI", language=language)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    try:
        ready = {
            "/": "main h1",
            "/reception": "#login:not([hidden])",
            "/reception/bookings": "#login:not([hidden])",
            "/nurse": "#login:not([hidden])",
            f"/b/{booking}": "#summary:not([hidden])",
            f"/p/{journey['access_token']}": "#next:not([hidden])",
        }
        for path, shown in ready.items():
            page.goto(f"{live_server}{path}")
            page.wait_for_selector(shown)
            normal = page.eval_on_selector("main", "e => parseFloat(getComputedStyle(e).fontSize)")
            text_at_200_percent(page)
            larger = page.eval_on_selector("main", "e => parseFloat(getComputedStyle(e).fontSize)")
            assert larger >= 1.9 * normal, path  # the text really grew
            assert_fits(page, path)
        page.click("#lang")  # the patient page in the other language, still at 200 %
        assert_fits(page, "patient page, other language")
        sign_in(page, live_server, "/nurse", "nurse")
        text_at_200_percent(page)
        assert_fits(page, "nurse board")
        sign_in(page, live_server, "/reception", "reception")
        text_at_200_percent(page)
        page.click("#find-form button")
        page.wait_for_selector("#found li")
        assert_fits(page, "reception, signed in")
        page.click("text=Book for another day")
        page.wait_for_selector("#booking-form:not([hidden])")
        text_at_200_percent(page)
        assert_fits(page, "booking desk, signed in")
        page.fill("#find-form [name=visit_number]", "VB-1")  # the two-day booking above
        page.click("#find-form button[type=submit]")
        page.wait_for_selector("#found li + li")
        assert_fits(page, "booking desk, a booking found")
    finally:
        context.close()
