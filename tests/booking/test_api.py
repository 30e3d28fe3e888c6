"""Reception books a patient's exams for another day; the patient reads, moves or cancels the
booking from their own link and puts it in their calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar

from navigation.booking.rules import BookingRules
from navigation.models import Booking, BookingStatus
from tests.conftest import check_in_body

PATIENT = {"mrn": "MRN-BK1", "name": "Zhou Yuting", "language": "zh", "mobility": "walking"}
ORDERS = [{"code": "GLU"}, {"code": "US-ABD"}, {"code": "COLONO"}, {"code": "BA-UGI"}]


def offers(client, reception, orders=ORDERS, **extra) -> dict:
    response = client.post("/api/v1/booking-offers", json={"orders": orders, **extra}, headers=reception)
    assert response.status_code == 200, response.json
    return response.json


def book(client, reception, day: str, visit: str = "VB-1", orders=ORDERS):
    body = {"visit_number": visit, "patient": PATIENT, "orders": orders, "day": day}
    return client.post("/api/v1/bookings", json=body, headers=reception)


def test_reception_books_and_the_patient_reads_moves_and_cancels(client, reception, clock) -> None:
    offered = offers(client, reception)
    first = offered["offers"][0]["visits"]
    assert [v["orders"] for v in first] == [["GLU", "US-ABD", "COLONO"], ["BA-UGI"]]  # two days, barium last
    assert first[1]["day"] > first[0]["day"]
    assert all(s["start"] >= first[1]["window_start"] for s in first[1]["steps"])
    booked = book(client, reception, first[0]["day"])
    assert booked.status_code == 201, booked.json
    page, token = booked.json["link"].rsplit("/", 1)
    assert page == "https://carepath.test/b" and token.startswith("bk_")  # the patient's page
    link = f"/api/v1/booking-links/{token}"
    mine = client.get(link)  # no sign-in: the link is the credential
    assert mine.status_code == 200 and mine.json["status"] == "booked"
    assert mine.json["place"] == {"en": "CarePath Demo Hospital", "zh": "CarePath 示范医院"}
    assert mine.json["timezone"] == "Asia/Shanghai" and mine.json["language"] == "zh"
    assert "Zhou" not in mine.get_data(as_text=True)
    told = mine.json["visits"][0]["preparation"]
    assert "22:00" in told[0]["en"] and "22:00" in told[0]["zh"]  # the fasting visit
    assert all("COLONO" not in line["en"] and "肠镜" not in line["zh"] for line in told)

    ics = client.get(f"{link}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    events = Calendar.from_ical(ics.data).walk("VEVENT")
    assert len(events) == 2
    assert events[0]["DTSTART"].dt == datetime.fromisoformat(first[0]["window_start"])
    assert b"COLONO" not in ics.data and b"Colonoscopy" not in ics.data  # nothing clinical
    assert "22:00" in str(events[0]["DESCRIPTION"])

    later = date.fromisoformat(first[0]["day"]) + timedelta(days=4)
    other = client.get(f"{link}/offers", query_string={"from": later.isoformat()}).json["offers"][0]
    moved = client.post(f"{link}/rebook", json={"day": other["visits"][0]["day"]})
    assert moved.status_code == 200, moved.json
    assert moved.json["visits"][0]["day"] == other["visits"][0]["day"]
    cancelled = client.post(f"{link}/cancel")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    again = client.post(f"{link}/cancel")
    assert again.status_code == 409 and "cancelled" in again.json["message"]


def test_a_full_bladder_scan_says_when_to_drink(client, reception) -> None:
    visit = offers(client, reception, [{"code": "US-PELVIS"}])["offers"][0]["visits"][0]
    booked = book(client, reception, visit["day"], "VB-US", [{"code": "US-PELVIS"}]).json
    water = next(s for s in booked["visits"][0]["steps"] if s["kind"] == "water")
    at = datetime.fromisoformat(water["start"]).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    lines = booked["visits"][0]["preparation"]
    assert any(f"At {at}, drink 1 litre of water" in line["en"] for line in lines)
    assert any(f"请于{at}饮水约1升" in line["zh"] for line in lines)


def test_a_booking_held_for_payment_never_tells_the_patient_it_is_paid(
    app, client, reception, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "BOOKING_RULES", BookingRules(payment_first=True))
    visit = offers(client, reception, [{"code": "ECG"}])["offers"][0]["visits"][0]
    held = book(client, reception, visit["day"], "VB-HELD", [{"code": "ECG"}]).json
    assert held["status"] == "held"
    said = [line[lang] for line in held["visits"][0]["preparation"] for lang in ("en", "zh")]
    assert not any("paid" in line or "已缴" in line for line in said), said
    paid = client.post(f"/api/v1/bookings/{held['id']}/pay", headers=reception).json
    assert any("you have already paid" in line["en"] for line in paid["visits"][0]["preparation"])


def test_clear_answers_for_bad_bookings(client, reception, clock) -> None:
    today = clock().date().isoformat()  # 08:30 in Shanghai: the same calendar day
    past = book(client, reception, today)
    assert past.status_code == 422 and "day" in past.json["errors"]["json"]
    unknown = client.post("/api/v1/booking-offers", json={"orders": [{"code": "XYZ"}]}, headers=reception)
    assert unknown.status_code == 422 and "orders.0.code" in unknown.json["errors"]["json"]
    day = offers(client, reception, [{"code": "ECG"}])["offers"][0]["visits"][0]["day"]
    assert book(client, reception, day, "VB-2", [{"code": "ECG"}]).status_code == 201
    twice = book(client, reception, day, "VB-2", [{"code": "ECG"}])
    assert twice.status_code == 409 and "visit_number" in twice.json["errors"]["json"]
    bad_day = book(client, reception, "tomorrow", "VB-3", [{"code": "ECG"}])
    assert bad_day.status_code == 422 and "day" in bad_day.json["errors"]["json"]
    assert client.get("/api/v1/booking-links/bk_1_" + "A" * 43).status_code == 404


def test_the_booked_slot_is_kept_for_the_patient_and_their_check_in_follows_the_booking(
    client, reception, clock, session
) -> None:
    orders = [{"code": "MRI-BRAIN"}]
    visit = offers(client, reception, orders)["offers"][0]["visits"][0]
    assert book(client, reception, visit["day"], "VB-MRI", orders).status_code == 201
    booked = next(s for s in visit["steps"] if s["key"] == "exam:MRI-BRAIN")
    booked_start = datetime.fromisoformat(booked["start"])

    clock.now = datetime.fromisoformat(visit["window_start"]) - timedelta(minutes=20)
    walk_in = client.post(
        "/api/v1/journeys", json=check_in_body("MRI-BRAIN", visit="V-WALK", mrn="MRN-WALK"), headers=reception
    ).json
    theirs = next(t for t in walk_in["tasks"] if t["key"] == "exam:MRI-BRAIN")
    same_room = theirs["room"]["code"] == booked["room"]
    start = datetime.fromisoformat(theirs["planned_start"])
    assert not (same_room and abs(start - booked_start) < timedelta(minutes=30))  # the slot is held

    clock.now = datetime.fromisoformat(visit["window_start"])
    body = check_in_body("MRI-BRAIN", visit="VB-MRI", mrn=PATIENT["mrn"], name=PATIENT["name"])
    mine = client.post("/api/v1/journeys", json=body, headers=reception).json
    mri = next(t for t in mine["tasks"] if t["key"] == "exam:MRI-BRAIN")
    assert mri["room"]["code"] == booked["room"]
    assert abs(datetime.fromisoformat(mri["planned_start"]) - booked_start) <= timedelta(minutes=15)
    booking = session.scalar(sa.select(Booking).where(Booking.visit_number == "VB-MRI"))
    assert booking.status == BookingStatus.ARRIVED


def test_a_12_hour_fast_is_told_from_the_evening_and_kept_at_check_in(client, reception, clock) -> None:
    """A lipid panel needs 12 h fasting: rather than "nothing after 22:00" and a draw at 10:00
    (the morning half gone), the patient is told when to stop eating for a draw at the
    window's start, and checking in "fasted as told" keeps that draw."""
    orders = [{"code": "LIPID"}]
    visit = offers(client, reception, orders)["offers"][0]["visits"][0]
    draw = next(s for s in visit["steps"] if s["key"] == "draw:blood")
    booked_start = datetime.fromisoformat(draw["start"])
    window = datetime.fromisoformat(visit["window_start"])
    assert booked_start - window <= timedelta(minutes=15)
    assert booked_start.astimezone(ZoneInfo("Asia/Shanghai")).hour < 10  # not held back to 10:00
    booked = book(client, reception, visit["day"], "VB-LIPID", orders).json
    told = booked["visits"][0]["preparation"][0]
    stop = (booked_start - timedelta(hours=12)).replace(minute=0 if booked_start.minute < 30 else 30)
    at = stop.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    assert at < "22:00" and f"Nothing to eat after {at}" in told["en"] and f"{at}后请勿进食" in told["zh"]

    clock.now = window
    body = check_in_body("LIPID", visit="VB-LIPID", mrn=PATIENT["mrn"], name=PATIENT["name"])
    body["patient"]["fasting_confirmed"] = True  # "I fasted as I was told"
    mine = client.post("/api/v1/journeys", json=body, headers=reception).json
    planned = next(t for t in mine["tasks"] if t["key"] == "draw:blood")["planned_start"]
    assert abs(datetime.fromisoformat(planned) - booked_start) <= timedelta(minutes=15)
