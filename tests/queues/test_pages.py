"""The nurse's page and the waiting-room screen in a real browser (Debian Chromium)."""

from __future__ import annotations

import pytest

from tests import staff_pages

pytestmark = pytest.mark.browser


def sign_in(page, live_server) -> None:
    staff_pages.sign_in(page, live_server, "/nurse", "nurse")


def tickets(page) -> list[str]:
    return page.eval_on_selector_all(
        "#entries li", "items => items.map(i => i.dataset.ticket + ':' + i.className)"
    )


def test_nurse_calls_skips_undoes_and_pauses_with_big_buttons(live_server, page, waiting_patient):
    waiting_patient("PFT", name="Chen Jing")
    waiting_patient("PFT")
    sign_in(page, live_server)
    page.select_option("#room", "B5-01")
    page.wait_for_function("document.querySelectorAll('#entries li').length === 2")
    assert tickets(page) == ["001:waiting", "002:waiting"]
    assert "Chen Jing" in page.inner_text("#entries li:first-child")
    assert "~20 min" in page.inner_text("#entries li:nth-child(2)")
    assert page.eval_on_selector("#call-next", "b => b.getBoundingClientRect().height") >= 60
    plan = page.inner_text("#plan")  # who the sequencer expects, with their tickets
    assert "001 · Chen Jing" in plan and "002 · " in plan

    page.click("#call-next")
    page.wait_for_selector("#entries li.called[data-ticket='001']")
    assert "ticket 001 called to desk 1" in page.inner_text("#status")

    page.click("#entries li[data-ticket='001'] button[data-action=skip]")
    page.fill("#ask [name=reason]", "not back yet")
    page.click("#ask button[type=submit]")
    page.wait_for_selector("#entries li.skipped[data-ticket='001']")
    assert tickets(page) == ["002:waiting", "001:skipped"]

    page.click("#undo")
    page.wait_for_selector("#entries li.called[data-ticket='001']")
    assert "undid skip" in page.inner_text("#status")

    page.click("#pause")
    page.fill("#ask [name=reason]", "cleaning")
    page.fill("#ask [name=minutes]", "10")
    page.click("#ask button[type=submit]")
    page.wait_for_selector("#paused:not([hidden])")
    assert "cleaning" in page.inner_text("#paused")
    assert page.is_disabled("#call-next") and page.is_visible("#resume")


def test_a_late_answer_for_the_room_the_nurse_left_does_not_replace_the_board_she_picked(
    live_server, page, client, nurse, waiting_patient
):
    waiting_patient("PFT")
    client.post("/api/v1/queues/rooms/B5-01/pause", json={"reason": "cleaning", "minutes": 30}, headers=nurse)
    first = client.get("/api/v1/queues/rooms", headers=nurse).json[0]["code"]  # shown at sign-in
    assert first != "B5-01"
    held = []

    def slow_first_room(route) -> None:  # a slow network: the first room's board answers last
        if route.request.url.endswith(f"/queues/rooms/{first}"):
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v1/queues/rooms/*", slow_first_room)
    sign_in(page, live_server)
    page.select_option("#room", "B5-01")
    page.wait_for_selector("#paused:not([hidden])")
    with page.expect_response(lambda answer: answer.url.endswith(f"/queues/rooms/{first}")):
        held[0].continue_()
    page.wait_for_timeout(300)  # the late answer's script has run
    assert page.input_value("#room") == "B5-01"
    assert page.is_visible("#paused") and "cleaning" in page.inner_text("#paused")
    assert page.is_disabled("#call-next")


def test_signage_shows_ticket_numbers_and_rooms_but_no_names_or_exams(
    live_server, page, client, nurse, waiting_patient
):
    waiting_patient("PFT", name="Chen Jing")
    waiting_patient("PFT", name="Wu Min")
    client.post("/api/v1/queues/rooms/B5-01/call-next", json={"desk": 1}, headers=nurse)
    page.goto(f"{live_server}/signage/demo/pulmonary")
    page.wait_for_selector("#calling li")
    assert page.inner_text("#calling li").replace("\n", " ").startswith("001")
    assert "B5-01" in page.inner_text("#calling")
    assert "002" in page.inner_text("#next")
    text = page.inner_text("body")
    for secret in ("Chen", "Wu Min", "Pulmonary", "肺功能", "PFT"):
        assert secret not in text


def test_the_board_shows_a_new_arrival_without_waiting_for_a_refresh(live_server, page, waiting_patient):
    waiting_patient("PFT")
    sign_in(page, live_server)
    page.select_option("#room", "B5-01")
    page.wait_for_function("document.querySelectorAll('#entries li').length === 1")
    waiting_patient("PFT")  # says "I'm here" on the phone; the board's poll is 30 s away
    page.wait_for_function("document.querySelectorAll('#entries li').length === 2", timeout=5000)
    assert tickets(page) == ["001:waiting", "002:waiting"]


def test_the_nurse_board_shows_the_hospitals_time_on_a_computer_set_to_utc(
    live_server, chromium, client, nurse, waiting_patient, clock
):
    waiting_patient("PFT")
    paused = client.post(
        "/api/v1/queues/rooms/B5-01/pause", json={"reason": "cleaning", "minutes": 30}, headers=nurse
    )
    assert paused.status_code == 200  # at 08:31 at the hospital: until 09:01
    context = chromium.new_context(viewport={"width": 1024, "height": 800}, timezone_id="UTC")
    try:
        page = context.new_page()
        page.clock.set_fixed_time(clock())
        sign_in(page, live_server)
        page.select_option("#room", "B5-01")
        page.wait_for_selector("#paused:not([hidden])")
        assert "09:01" in page.inner_text("#paused") and "01:01" not in page.inner_text("#paused")
    finally:
        context.close()
