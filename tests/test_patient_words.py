"""On the phone, in the patient's language: the ticket first, the time a step can begin
instead of "about 0 min", and what happened in line in their words, never a nurse's note
nor a machine timestamp (issue 10, items 6 and 8)."""

from __future__ import annotations

import re

import pytest

from tests.queues.conftest import ct_patient_early_at_the_door

pytestmark = pytest.mark.browser

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _open(chromium, live_server, clock, journey):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.clock.set_fixed_time(clock())
    page.goto(f"{live_server}/p/{journey['access_token']}")
    page.wait_for_selector("#next-ticket:not([hidden])")
    return context, page


def test_the_ticket_comes_first_with_the_time_the_step_can_begin(
    live_server, chromium, client, nurse, clock, check_in
):
    journey, _ = ct_patient_early_at_the_door(client, nurse, clock, check_in, "zh")
    context, page = _open(chromium, live_server, clock, journey)
    try:
        ticket = page.inner_text("#next-ticket")
        assert "您的号码 001" in ticket and "09:32 开始" in ticket
        assert "0 分钟" not in page.inner_text("#next")
        box = page.locator("#next-ticket").bounding_box()
        name = page.locator("#next-name").bounding_box()
        assert box["y"] < name["y"]  # the ticket comes before the step's name
        assert not ISO.search(page.inner_text("body"))
    finally:
        context.close()


def test_a_hold_is_told_in_the_patients_words_not_the_nurses(
    live_server, chromium, client, nurse, clock, check_in
):
    journey, ct = ct_patient_early_at_the_door(client, nurse, clock, check_in, "en")
    board = client.get(f"/api/v1/queues/rooms/{ct['room']['code']}", headers=nurse).json
    entry = next(e for e in board["entries"] if e["task_id"] == ct["id"])
    held = client.post(
        f"/api/v1/queues/entries/{entry['id']}/hold",
        json={"reason": "borderline result, ask Dr Wang"},
        headers=nurse,
    )
    assert held.status_code == 200, held.json
    context, page = _open(chromium, live_server, clock, journey)
    try:
        text = page.inner_text("#next")
        assert "asked you to wait a little" in text
        assert "Dr Wang" not in page.inner_text("body")
        page.click("#lang")
        assert "护士请您稍候" in page.inner_text("#next") and not ISO.search(page.inner_text("body"))
    finally:
        context.close()
