"""A booked patient's phone is told, by SMS through the real Tencent SDK against the local fake:
booked (with the link to their booking page), what to do the evening before, when to arrive on
the day, a move or a cancellation, and a missed window once, whoever runs the release job. The
texts carry days, times and the link: never a name or an exam."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from api.jobs import release_missed_bookings
from navigation.booking import service
from navigation.booking.rules import BookingRules
from navigation.catalog.variants import site_catalog
from navigation.models import Booking, Site
from notifications import Dispatcher
from notifications.transports.sms import SmsTransport
from tests.notifications.channel_fakes import PHONE_KEY, running_channels
from tests.test_results_ready import _x_ray_done

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "+8613800138000"
NAME = "Zhou Yuting"
# One approved template per message, each filled with what the hospital chose to show.
TEMPLATES = {
    "booking_confirmed": {
        "template_id": "200001",
        "params": ["{day}", "{start}", "{end}", "{link}", "{calendar}"],
    },
    "booking_prepare": {"template_id": "200002", "params": ["{detail}"]},
    "booking_arrive": {"template_id": "200003", "params": ["{start}", "{end}"]},
    "booking_moved": {"template_id": "200004", "params": ["{day}", "{start}", "{link}"]},
    "booking_cancelled": {"template_id": "200005", "params": ["{day}"]},
    "booking_missed": {"template_id": "200006", "params": ["{link}"]},
    "*": {"template_id": "200000", "params": ["{detail}"]},
}
KIND = {spec["template_id"]: event for event, spec in TEMPLATES.items()}


class Phone:
    """The patient's phone behind the fake SMS service, and the dispatcher that reaches it."""

    def __init__(self, sms, environ: dict[str, str], session: Session, clock) -> None:
        self.sms, self.clock, self.read = sms, clock, 0
        environ = {**environ, "CAREPATH_SMS_TEMPLATES": json.dumps(TEMPLATES)}
        self.transport = SmsTransport.from_environment(environ)
        assert self.transport is not None
        self.dispatcher = Dispatcher(sessionmaker(session.get_bind()), [self.transport], clock=clock)

    def new_texts(self) -> list[tuple[str, list[str]]]:
        """Deliver what is due at the clock's time; the texts this number got since last asked."""
        self.dispatcher.run_until_idle()
        texts = [t for t in self.sms.texts[self.read :] if t.code == "Ok"]
        self.read = len(self.sms.texts)
        assert all(t.phone == PHONE for t in texts)
        return [(KIND[t.template_id], t.params) for t in texts]


@pytest.fixture
def phone(app, session, clock, monkeypatch):
    monkeypatch.setitem(app.config, "PHONE_KEY", PHONE_KEY)
    with running_channels() as channels:
        reached = Phone(channels.sms, channels.environ, session, clock)
        yield reached
        reached.transport.close()


def book(client, reception, codes: list[str], visit: str, mrn: str = "MRN-BK7", phone=PHONE) -> dict:
    orders = [{"code": c} for c in codes]
    offered = client.post("/api/v1/booking-offers", json={"orders": orders}, headers=reception)
    assert offered.status_code == 200, offered.json
    day = offered.json["offers"][0]["visits"][0]["day"]
    patient = {"mrn": mrn, "name": NAME, "language": "zh", "mobility": "walking"}
    body = {"visit_number": visit, "patient": patient, "orders": orders, "day": day}
    booked = client.post(
        "/api/v1/bookings", json={**body, "phone": phone} if phone else body, headers=reception
    )
    assert booked.status_code == 201, booked.json
    return booked.json


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(SHANGHAI)


def link_path(link: str) -> str:
    """The API behind the booking page the text links to."""
    assert link.startswith("https://carepath.test/b/bk_")
    return "/api/v1/booking-links/" + link.rsplit("/", 1)[1]


def exam_words(session, codes: list[str]) -> list[str]:
    site = session.scalar(sa.select(Site).where(Site.code == "demo"))
    catalog = site_catalog(session, site)
    return [w for c in codes for w in (c, catalog.exam(c).name_en, catalog.exam(c).name_zh)]


def test_booked_the_evening_before_and_on_the_day_the_phone_is_told_when_and_nothing_clinical(
    client, reception, session, clock, phone, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    codes = ["GLU", "US-PELVIS"]
    booked = book(client, reception, codes, "VB-SMS")
    visit = booked["visits"][0]
    start, end = local(visit["window_start"]), local(visit["window_end"])
    window = [start.strftime("%H:%M"), end.strftime("%H:%M")]
    water = next(s for s in visit["steps"] if s["kind"] == "water")

    [(kind, (day, *times, link, calendar))] = phone.new_texts()
    assert kind == "booking_confirmed" and day == visit["day"] and times == window
    assert client.get(link_path(link)).json["status"] == "booked"  # the link opens their booking
    ics = client.get(calendar.removeprefix("https://carepath.test"))
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"

    evening = datetime.combine(start.date() - timedelta(days=1), datetime.min.time(), SHANGHAI)
    clock.now = evening + timedelta(hours=17, minutes=59)
    assert phone.new_texts() == []  # nothing before 18:00 the evening before
    clock.now = evening + timedelta(hours=18)
    [(kind, [detail])] = phone.new_texts()
    assert kind == "booking_prepare"
    assert "22:00后请勿进食" in detail  # zh: the patient's language
    assert f"请于{local(water['start']).strftime('%H:%M')}饮水约1升" in detail
    assert f"{window[0]}至{window[1]}之间到达" in detail

    clock.now = start - timedelta(minutes=61)
    assert phone.new_texts() == []
    clock.now = start - timedelta(minutes=60)
    assert phone.new_texts() == [("booking_arrive", window)]

    sent = json.dumps([t.params for t in phone.sms.texts], ensure_ascii=False)
    for word in [NAME, *exam_words(session, codes)]:
        assert word not in sent and word not in caplog.text


def test_a_move_or_a_cancellation_replaces_what_was_waiting(client, reception, clock, phone) -> None:
    booked = book(client, reception, ["ECG"], "VB-MOVE")
    first = booked["visits"][0]
    [(kind, (_, _, _, link, _))] = phone.new_texts()
    later = (local(first["window_start"]).date() + timedelta(days=3)).isoformat()
    other = client.get(f"{link_path(link)}/offers", query_string={"from": later}).json["offers"][0]
    moved = client.post(f"{link_path(link)}/rebook", json={"day": other["visits"][0]["day"]})
    assert moved.status_code == 200, moved.json
    new = moved.json["visits"][0]
    [(kind, (day, start, _))] = phone.new_texts()
    assert kind == "booking_moved" and day == new["day"]
    assert start == local(new["window_start"]).strftime("%H:%M")

    clock.now = local(first["window_start"]) - timedelta(minutes=30)  # the old day
    assert phone.new_texts() == []  # neither "tomorrow" nor "today" for the old window
    eve = local(new["window_start"]).date() - timedelta(days=1)
    clock.now = datetime.combine(eve, datetime.min.time(), SHANGHAI) + timedelta(hours=18, minutes=1)
    assert [kind for kind, _ in phone.new_texts()] == ["booking_prepare"]

    assert client.post(f"{link_path(link)}/cancel").status_code == 200
    assert phone.new_texts() == [("booking_cancelled", [new["day"]])]
    clock.now = local(new["window_start"])
    assert phone.new_texts() == []  # no "arrive" for a cancelled visit


def test_booked_after_18_00_the_evening_before_the_patient_is_told_what_to_do_at_once(
    client, reception, clock, phone
) -> None:
    evening = datetime.combine(clock().astimezone(SHANGHAI).date(), datetime.min.time(), SHANGHAI)
    clock.now = evening + timedelta(hours=19)
    booked = book(client, reception, ["GLU"], "VB-LATE-EVE")
    assert booked["visits"][0]["day"] == (evening + timedelta(days=1)).date().isoformat()
    texts = dict(phone.new_texts())
    assert sorted(texts) == ["booking_confirmed", "booking_prepare"]
    assert "22:00后请勿进食" in texts["booking_prepare"][0]


def test_a_number_given_after_booking_gets_the_messages_still_to_come(
    client, reception, clock, phone
) -> None:
    booked = book(client, reception, ["ECG"], "VB-LATE", phone=None)
    assert phone.new_texts() == []  # nobody to tell yet
    url = f"/api/v1/bookings/{booked['id']}/phone"
    bad = client.put(url, json={"phone": "call me maybe"}, headers=reception)
    assert bad.status_code == 422 and "phone" in bad.json["errors"]["json"]
    assert client.put(url, json={"phone": "138 0013 8000"}, headers=reception).status_code == 204
    clock.now = local(booked["visits"][0]["window_start"]) - timedelta(minutes=60)
    assert [kind for kind, _ in phone.new_texts()] == ["booking_arrive"]


def test_a_missed_window_releases_the_capacity_and_the_patient_is_told_once_by_two_runners(
    app, client, reception, session, clock, phone
) -> None:
    booked = book(client, reception, ["MRI-BRAIN"], "VB-MISS")
    phone.new_texts()
    clock.now = local(booked["visits"][0]["window_end"]) + timedelta(minutes=15)
    assert release_missed_bookings() == {}  # within the grace
    clock.advance(minutes=1)

    # Two workers find the same missed booking; one of them releases it and tells the patient.
    with Session(session.get_bind()) as other:
        site = other.scalar(sa.select(Site).where(Site.code == "demo"))
        found = service.overdue(other, site, clock(), BookingRules())
        assert [b.id for b in found] == [booked["id"]]
        assert release_missed_bookings() == {"demo": 1}
        assert [b for b in found if service.release(other, b, clock())] == []
        other.commit()
    assert release_missed_bookings() == {}

    [(kind, [link])] = phone.new_texts()  # the reminders of the missed day went stale unsent
    assert kind == "booking_missed"
    session.expire_all()
    assert session.get(Booking, booked["id"]).status.value == "no-show"
    again = client.get(f"{link_path(link)}/offers").json["offers"][0]["visits"][0]
    rebooked = client.post(f"{link_path(link)}/rebook", json={"day": again["day"]})
    assert rebooked.status_code == 200 and rebooked.json["status"] == "booked"
    assert [kind for kind, _ in phone.new_texts()] == ["booking_moved"]


def test_an_unpaid_hold_is_released_and_told_by_the_background_round(
    app, client, reception, clock, phone, monkeypatch
) -> None:
    from api.background import PlanImprover

    monkeypatch.setitem(app.config, "BOOKING_RULES", BookingRules(payment_first=True))
    held = book(client, reception, ["ECG"], "VB-HOLD")
    paid = book(client, reception, ["ECG"], "VB-PAID", mrn="MRN-BK8")
    assert held["status"] == "held" and phone.new_texts() == []  # not booked until paid
    assert client.post(f"/api/v1/bookings/{paid['id']}/pay", headers=reception).status_code == 200
    assert [kind for kind, _ in phone.new_texts()] == ["booking_confirmed"]
    clock.advance(minutes=31)
    PlanImprover(app).run_once()  # what the serving process (or `carepath worker`) runs
    assert phone.new_texts() == [("*", ["您的预约未按时缴费，已释放。请到服务台重新预约。"])]
    assert client.get(f"/api/v1/bookings/{held['id']}", headers=reception).json["status"] == "expired"
    assert client.get(f"/api/v1/bookings/{paid['id']}", headers=reception).json["status"] == "booked"


def test_a_booked_patient_who_checked_in_gets_the_results_on_the_same_phone(
    client, reception, nurse, clock, check_in, phone
) -> None:
    booked = book(client, reception, ["XR-CHEST"], "V0001", mrn="MRN001")
    phone.new_texts()
    clock.now = local(booked["visits"][0]["window_start"])
    journey = _x_ray_done(client, nurse, clock, check_in)
    xray = next(t for t in journey["tasks"] if t["key"] == "exam:XR-CHEST")
    marked = client.post(f"/api/v1/journeys/{journey['id']}/tasks/{xray['id']}/result-ready", headers=nurse)
    assert marked.status_code == 200, marked.json
    told = [detail for kind, [detail] in phone.new_texts() if kind == "*"]
    assert "报告已出，可在服务台领取或在 CarePath 查看。" in told
