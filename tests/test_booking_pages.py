"""Booking before the day in Chromium (issue 13): reception books a patient's exams on the desk
page, the patient reads the day, arrival window and preparation on their phone in Chinese,
moves the booking to another offered day and cancels it; the desk takes a payment, rebooks and
cancels; finds a booking by visit number or in a day's list and rebooks it; a refused booking
names its field. Times come from the hospital's clock."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from navigation.booking.rules import BookingRules
from notifications.devices import Device
from tests.booking.booked import booked
from tests.staff_pages import sign_in

pytestmark = pytest.mark.browser

ORDERS = ("GLU", "US-ABD", "COLONO", "BA-UGI")  # a fasting test, and two that must not share a day
ENGLISH_WORD = re.compile(r"\b[A-Z]?[a-z]{2,}\b")
ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def hhmm(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")


def fill_patient(page, visit: str, *codes: str) -> None:
    page.fill("#booking-form [name=visit_number]", visit)
    page.fill("#booking-form [name=mrn]", f"MRN-{visit}")
    page.fill("#booking-form [name=name]", "Zhou Yuting")
    for code in codes:
        page.check(f"#orders input[value={code}]")


def offered(client, reception, *codes: str) -> list[dict]:
    """The offers the desk page gets: it sends the ticked orders in the catalog's order."""
    listed = [e["code"] for e in client.get("/api/v1/catalog/exams").json if e["code"] in codes]
    answer = client.post(
        "/api/v1/booking-offers", json={"orders": [{"code": c} for c in listed]}, headers=reception
    )
    assert answer.status_code == 200, answer.json
    return answer.json["offers"]


def test_reception_books_several_exams_and_the_patient_moves_then_cancels_on_the_phone(
    live_server, page, chromium, client, reception, clock
):
    [first, *_] = offered(client, reception, *ORDERS)
    sign_in(page, live_server, "/reception", "reception")
    page.click("text=Book for another day")  # the desk is one click from check-in, still signed in
    page.wait_for_selector("#booking-form:not([hidden])")
    fill_patient(page, "VB-PAGE", *ORDERS)
    page.click("#booking-form button[type=submit]")
    offer = page.locator("#offer-list > li").first
    offer.wait_for()
    shown = offer.inner_text()
    for visit in first["visits"]:  # two days, each with its window and every step's time
        assert visit["day"] in shown
        assert f"Arrive {hhmm(visit['window_start'])}–{hhmm(visit['window_end'])}" in shown
        for step in visit["steps"]:
            assert f"{hhmm(step['start'])} " in shown
    assert "Visit 2 of 2" in shown and "Colonoscopy" in shown
    offer.get_by_role("button", name=re.compile("Book this day")).click()
    page.wait_for_selector("#booking:not([hidden])")
    assert page.inner_text("#booking-status").startswith("Booked")
    link = page.inner_text("#booking-link")
    assert link.startswith("https://carepath.test/b/bk_") and not any(c in link for c in ORDERS)
    token = link.rsplit("/", 1)[1]

    # the patient's phone: another time zone than the hospital's, the pages' own CSP enforced
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, timezone_id="Europe/London", bypass_csp=False
    )
    refused: list[str] = []
    try:
        phone = context.new_page()
        phone.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
        phone.on("pageerror", lambda e: refused.append(str(e)))
        phone.clock.set_fixed_time(clock())
        phone.goto(f"{live_server}/b/{token}")
        phone.wait_for_selector("#summary:not([hidden])")
        shown = phone.inner_text("main")
        for visit in first["visits"]:
            assert f"请于 {hhmm(visit['window_start'])} 至 {hhmm(visit['window_end'])} 之间到达" in shown
        assert "地点：CarePath 示范医院" in shown and "22:00后请勿进食" in shown
        assert ENGLISH_WORD.findall(shown) == [] and not ISO.search(shown), shown
        exams = {e["code"]: e for e in client.get("/api/v1/catalog/exams").json}
        for code in ORDERS:  # nothing clinical in the title, the address or the page
            for word in (code, exams[code]["name_en"], exams[code]["name_zh"]):
                assert word not in phone.title() and word not in phone.url and word not in shown
        for box in ("#visits", "#actions"):  # a phone's width, nothing off the side
            frame = phone.locator(box).bounding_box()
            assert frame["x"] >= 0 and frame["x"] + frame["width"] <= 390
        calendar = phone.request.get(f"{live_server}{phone.get_attribute('#calendar', 'href')}")
        assert calendar.ok and "BEGIN:VCALENDAR" in calendar.text()
        assert phone.inner_text("#calendar") == "加入日历"

        phone.click("#rebook")
        choice = phone.locator("#rebook-list button").first
        choice.wait_for()
        day = choice.get_attribute("data-day")
        assert day != first["visits"][0]["day"]
        choice.click()
        phone.wait_for_selector("#rebook-days", state="hidden")
        moved = client.get(f"/api/v1/booking-links/{token}").json
        assert moved["status"] == "booked" and moved["visits"][0]["day"] == day
        assert "已改到" in phone.inner_text("#summary-state")
        visit = moved["visits"][0]
        window = f"请于 {hhmm(visit['window_start'])} 至 {hhmm(visit['window_end'])} 之间到达"
        assert window in phone.inner_text(f"#visits [data-day='{day}']")

        phone.click("#cancel")
        phone.click("#cancel-no")  # asked first; "no" keeps it
        assert phone.is_hidden("#cancel-confirm")
        assert client.get(f"/api/v1/booking-links/{token}").json["status"] == "booked"
        phone.click("#cancel")
        phone.click("#cancel-yes")
        phone.wait_for_selector("#actions", state="hidden")
        assert "此预约已取消" in phone.inner_text("#summary-state")
        assert client.get(f"/api/v1/booking-links/{token}").json["status"] == "cancelled"
    finally:
        context.close()
    assert refused == []


def test_the_desk_takes_the_payment_a_hold_waits_for_then_rebooks_and_cancels(
    live_server, page, client, reception, clock, app, monkeypatch
):
    monkeypatch.setitem(app.config, "BOOKING_RULES", BookingRules(payment_first=True, payment_hold_min=30))
    offers = offered(client, reception, "ECG", "XR-CHEST")
    sign_in(page, live_server, "/reception/bookings", "reception")
    fill_patient(page, "VB-PAY", "ECG", "XR-CHEST")
    page.click("#booking-form button[type=submit]")
    page.wait_for_selector("#offers:not([hidden])")
    assert "Pay first: a booking is held 30 min until paid" in page.inner_text("#pay-first")
    page.locator("#offer-list > li").first.get_by_role("button").click()
    page.wait_for_selector("#pay:not([hidden])")
    until = (clock() + timedelta(minutes=30)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    assert f"Held until {until}" in page.inner_text("#booking-status")
    page.click("#pay")
    page.wait_for_selector("#pay", state="hidden")
    assert page.inner_text("#booking-status").startswith("Booked")

    page.click("#rebook")
    later = page.locator(f"#offer-list > li[data-day='{offers[1]['visits'][0]['day']}']")
    later.get_by_role("button", name=re.compile("Move to this day")).click()
    page.wait_for_function("document.querySelector('#booking-status').textContent.includes('Moved')")
    assert offers[1]["visits"][0]["day"] in page.inner_text("#booking-visits")
    page.click("#cancel")
    page.click("#cancel-yes")
    page.wait_for_function("document.querySelector('#booking-status').textContent.startsWith('Cancelled')")
    assert page.is_hidden("#rebook") and page.is_hidden("#cancel")


def test_a_refused_booking_names_its_field_on_the_desk(live_server, page, check_in):
    check_in("ECG", visit="V-HERE")  # already checked in today
    sign_in(page, live_server, "/reception/bookings", "reception")
    fill_patient(page, "V-HERE")
    page.click("#booking-form button[type=submit]")  # no order ticked
    page.wait_for_function("document.querySelector('#booking-form .error').textContent !== ''")
    assert "Orders · 医嘱: " in page.inner_text("#booking-form .error")

    page.check("#orders input[value=ECG]")
    page.click("#booking-form button[type=submit]")
    page.locator("#offer-list > li").first.get_by_role("button").click()
    page.wait_for_selector("#booking-form [name=visit_number][aria-invalid=true]")
    error = page.inner_text("#booking-form .error")
    assert error == "Visit number · 就诊号: visit V-HERE has already checked in"
    assert page.is_hidden("#booking") and page.is_hidden("#offers")
    assert page.evaluate("document.activeElement.name") == "visit_number"


def test_reception_finds_a_booking_by_visit_number_and_in_the_days_list_and_rebooks_it(
    live_server, page, client, reception, clock, session
):
    mine = booked(client, reception, "ECG", visit="VB-FIND")
    gone = booked(client, reception, "XR-CHEST", visit="VB-GONE")
    early = booked(client, reception, "GLU", visit="VB-EARLY")  # booked last, the earliest window
    client.post(f"/api/v1/bookings/{gone['id']}/cancel", headers=reception)
    day = mine["visits"][0]["day"]
    clock.now = datetime.fromisoformat(mine["visits"][0]["window_start"]) - timedelta(hours=1)  # that day
    sign_in(page, live_server, "/reception/bookings", "reception")

    page.click("#find-today")  # the hospital's today, whatever this computer's calendar says
    page.wait_for_selector("#found li")
    assert page.input_value("#find-day") == day
    listed = client.get("/api/v1/bookings", headers=reception).json["bookings"]
    order = [b["visit_number"] for b in listed]
    assert page.eval_on_selector_all("#found li", "rows => rows.map((r) => r.dataset.visit)") == order
    assert order[0] == "VB-EARLY" and len(order) == 3
    row = page.inner_text("#found li[data-visit=VB-EARLY]")
    assert f"{hhmm(early['visits'][0]['window_start'])}–{hhmm(early['visits'][0]['window_end'])}" in row
    assert "Booked · 已预约" in row
    assert "Cancelled · 已取消" in page.inner_text("#found li[data-visit=VB-GONE]")

    page.fill("#find-form [name=visit_number]", "VB-FIND")
    page.click("#find-form button[type=submit]")
    page.wait_for_function("document.querySelectorAll('#found li').length === 1")
    found = page.locator("#found li[data-visit=VB-FIND]")
    assert day in found.inner_text() and "1 found" in page.inner_text("#found-title")
    found.get_by_role("button", name=re.compile("Open")).click()
    page.wait_for_selector("#booking:not([hidden])")
    assert "VB-FIND" in page.inner_text("#booking-title")
    assert page.inner_text("#booking-status").startswith("Booked")

    page.fill("#phone-form [name=phone]", "12")  # a new number for the text messages, mistyped
    page.click("#phone-form button")
    page.wait_for_selector("#phone-form [name=phone][aria-invalid=true]")
    assert "Mobile for text messages · 短信手机号: Length must be" in page.inner_text("#booking .error")
    page.fill("#phone-form [name=phone]", "+8613800138000")
    page.click("#phone-form button")
    page.wait_for_function("document.querySelector('#booking-status').textContent.includes('Number saved')")
    sms = sa.select(Device).where(Device.booking_id == mine["id"], Device.channel == "sms")
    assert session.scalar(sa.select(sa.func.count()).select_from(sms.subquery())) == 1
    assert "13800138000" not in page.inner_text("main")  # never shown back

    page.click("#rebook")  # the patient wants another day
    offer = page.locator("#offer-list > li").first
    offer.wait_for()
    new_day = offer.get_attribute("data-day")
    assert new_day > day
    offer.get_by_role("button", name=re.compile("Move to this day")).click()
    page.wait_for_function("document.querySelector('#booking-status').textContent.includes('Moved')")
    moved = client.get(f"/api/v1/bookings/{mine['id']}", headers=reception).json
    assert moved["status"] == "booked" and moved["visits"][0]["day"] == new_day
    page.wait_for_function(f"document.querySelector('#found li').textContent.includes('{new_day}')")
