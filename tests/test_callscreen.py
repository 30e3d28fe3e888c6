"""The consulting room's call screen in Chromium: the call appears in large type and is spoken in
Chinese and English, twice (the voice is stubbed, not the page); the patient's QR scanned at the
door checks them in and shows their record on the room's workstation page."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser

# Only the voice is replaced: the page calls the browser's speechSynthesis.speak as it would.
STUB_VOICE = """
window.__spoken = [];
window.speechSynthesis.speak = (utterance) => window.__spoken.push({ text: utterance.text, lang: utterance.lang });
"""


def waiting_patient(client, check_in, **kwargs) -> tuple[dict, str]:
    journey = check_in("ECG", **kwargs)
    patient = {"Authorization": f"Bearer {journey['access_token']}"}
    pay = next(t for t in journey["tasks"] if t["key"] == "payment")
    ecg = next(t for t in journey["tasks"] if t["key"] == "exam:ECG")
    client.post(f"/api/v1/journeys/{journey['id']}/tasks/{pay['id']}/complete", headers=patient)
    arrived = client.post(f"/api/v1/journeys/{journey['id']}/tasks/{ecg['id']}/arrive", headers=patient)
    return journey, arrived.json["room"]["code"]


def test_the_call_screen_shows_and_speaks_the_call_in_both_languages(
    live_server, chromium, client, check_in, nurse
):
    _, room = waiting_patient(client, check_in, visit="V-1", mrn="MRN-1", name="Wang Fang")
    waiting_patient(client, check_in, visit="V-2", mrn="MRN-2", name="Zhao Lei")
    in_line = len(client.get(f"/api/v1/call-screens/demo/{room}").json["next"])
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.add_init_script(STUB_VOICE)
    page.goto(f"{live_server}/call/demo/{room}")
    page.wait_for_function(f"document.querySelectorAll('#next li').length === {in_line}")
    assert page.evaluate("window.__spoken") == []  # nothing called yet

    called = client.post(f"/api/v1/queues/rooms/{room}/call-next", json={"desk": 1}, headers=nurse)
    assert called.status_code == 200, called.json
    ticket = called.json["entry"]["ticket"]

    # no reload: the screen hears the call on its live stream
    page.wait_for_function("window.__spoken.length === 4", timeout=10000)
    assert (
        page.evaluate("window.__spoken")
        == [
            {"text": f"请 {ticket} 号到 1 号诊室", "lang": "zh-CN"},
            {"text": f"Number {ticket}, please go to room 1", "lang": "en-US"},
        ]
        * 2
    )
    assert page.inner_text("#called-ticket") == ticket
    assert "Room 1" in page.inner_text("#called-desk")
    page.wait_for_function(f"document.querySelectorAll('#next li').length === {in_line - 1}")
    font_px = page.eval_on_selector("#called-ticket", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert font_px >= 100  # readable across a waiting room
    text = page.inner_text("body")
    assert "Wang Fang" not in text and "Zhao Lei" not in text and "ECG" not in text and "心电" not in text
    context.close()


def test_a_qr_scanned_at_the_door_checks_in_and_shows_the_record_on_the_workstation(
    live_server, chromium, client, check_in, nurse
):
    journey, room = waiting_patient(client, check_in, visit="V-3", mrn="MRN-3", name="Sun Li")
    token = nurse["Authorization"].removeprefix("Bearer ")
    staff = chromium.new_context()
    workstation = staff.new_page()
    signed_in = {"access": token, "refresh": "", "until": 4102444800000, "idleMs": 900000}
    workstation.add_init_script(
        f"sessionStorage.setItem('carepath-nurse-session', {json.dumps(json.dumps(signed_in))})"
    )
    workstation.goto(f"{live_server}/workstation/{room}")
    workstation.wait_for_selector("#desk:not([hidden])")
    screen_context = chromium.new_context()
    screen = screen_context.new_page()
    screen.add_init_script(STUB_VOICE)
    screen.goto(f"{live_server}/call/demo/{room}")
    screen.wait_for_function("document.querySelectorAll('#next li').length === 1")
    client.post(f"/api/v1/queues/rooms/{room}/call-next", json={"desk": 1}, headers=nurse)
    screen.wait_for_function("window.__spoken.length === 4", timeout=10000)

    screen.keyboard.type(journey["access_url"])  # the USB scanner types the QR's link
    screen.keyboard.press("Enter")

    screen.wait_for_function("document.querySelector('#scanned').textContent.includes('已报到')")
    assert "Sun Li" not in screen.inner_text("body")
    workstation.wait_for_selector("#patient:not([hidden])", timeout=10000)
    assert "Sun Li" in workstation.inner_text("#patient-name")
    assert "MRN-3" in workstation.inner_text("#patient-ids")
    states = client.get(f"/api/v1/journeys/{journey['id']}/notifications", headers=nurse).json
    assert all(s["seen_at"] for s in states if s["event"] == "turn_now")  # "I'm here": seen
    screen_context.close()
    staff.close()


def test_a_scan_of_something_else_is_refused_naming_the_code(client, check_in):
    _, room = waiting_patient(client, check_in, visit="V-4", mrn="MRN-4")
    answer = client.post(f"/api/v1/call-screens/demo/{room}/scans", json={"code": "hello"})
    assert (answer.status_code, list(answer.json["errors"]["json"])) == (422, ["code"])
