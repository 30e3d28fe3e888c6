"""The desk finds a booking: a patient phones with their visit number ("when is my time?"), or
reception reads the day's arrivals in the order of their windows, each with its status. Only
the desk's own site, every read audited, bad filters named. Days come from the hospital's clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from api.jobs import release_missed_bookings
from navigation.booking.rules import BookingRules
from navigation.models import AuditRecord, Site
from tests.booking.booked import booked
from tests.conftest import check_in_body
from tests.queries import statements


def found(client, headers: dict, **query) -> dict:
    answer = client.get("/api/v1/bookings", query_string=query, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def rows(listed: dict) -> list[tuple[str, str]]:
    return [(b["visit_number"], b["status"]) for b in listed["bookings"]]


def test_a_days_bookings_come_by_arrival_window_with_their_status_that_day_and_after(
    app, client, reception, clock, monkeypatch
) -> None:
    first = booked(client, reception, "LIPID", visit="VB-FIRST")  # booked first, a 08:00 window
    day = first["visits"][0]["day"]
    missed = booked(client, reception, "ECG", visit="VB-MISS")
    here = booked(client, reception, "GLU", visit="VB-HERE")  # booked last, the earliest window
    gone = booked(client, reception, "XR-CHEST", visit="VB-GONE")
    client.post(f"/api/v1/bookings/{gone['id']}/cancel", headers=reception)
    monkeypatch.setitem(app.config, "BOOKING_RULES", BookingRules(payment_first=True))
    held = booked(client, reception, "CBC", visit="VB-HELD")
    assert {b["visits"][0]["day"] for b in (missed, here, gone, held)} == {day}

    tomorrow = found(client, reception, day=day)
    assert tomorrow["day"] == day and tomorrow["timezone"] == "Asia/Shanghai" and tomorrow["total"] == 5
    listed = tomorrow["bookings"]
    windows = [(b["window_start"], b["id"]) for b in listed]
    assert windows == sorted(windows) and [b["id"] for b in listed] != sorted(b["id"] for b in listed)
    assert listed[0]["visit_number"] == "VB-HERE"  # a 07:30 draw comes before those booked earlier
    assert dict(rows(tomorrow)) == {
        "VB-FIRST": "booked",
        "VB-MISS": "booked",
        "VB-HERE": "booked",
        "VB-GONE": "cancelled",
        "VB-HELD": "held",
    }
    assert next(b for b in listed if b["status"] == "held")["hold_expires_at"] is not None
    assert all(b["day"] == day and b["visit_index"] == b["visit_count"] == 1 for b in listed)
    assert not any("Zhou" in str(b) or "MRN" in str(b) or "link" in b for b in listed)  # no patient details
    assert found(client, reception)["day"] < day  # no filter: today, not tomorrow

    # the day itself: one checked in, two missed their 08:00 windows, the unpaid hold ran out
    clock.now = datetime.fromisoformat(here["visits"][0]["window_start"])
    body = check_in_body("GLU", visit="VB-HERE", mrn="MRN-VB-HERE", name="Zhou Yuting")
    assert client.post("/api/v1/journeys", json=body, headers=reception).status_code == 201
    clock.now = datetime.fromisoformat(missed["visits"][0]["window_end"]) + timedelta(minutes=16)
    release_missed_bookings()
    today = found(client, reception)  # no filter: today's bookings
    assert today["day"] == day
    assert dict(rows(today)) == {
        "VB-FIRST": "no-show",
        "VB-MISS": "no-show",
        "VB-HERE": "arrived",
        "VB-GONE": "cancelled",
        "VB-HELD": "expired",
    }


def test_a_visit_number_finds_every_booking_of_the_visit_on_every_day(client, reception, clock) -> None:
    two_days = booked(client, reception, "COLONO", "BA-UGI", visit="VB-TWO")  # must not share a day
    first, second = (v["day"] for v in two_days["visits"])
    booked(client, reception, "ECG", visit="VB-OTHER")
    mine = found(client, reception, visit_number="VB-TWO")
    assert mine["day"] is None and mine["total"] == 2
    assert [(b["id"], b["day"], b["visit_index"], b["visit_count"]) for b in mine["bookings"]] == [
        (two_days["id"], first, 1, 2),
        (two_days["id"], second, 2, 2),
    ]
    on_the_second = found(client, reception, visit_number="VB-TWO", day=second)
    assert [(b["day"], b["visit_index"]) for b in on_the_second["bookings"]] == [(second, 2)]
    after = (date.fromisoformat(second) + timedelta(days=1)).isoformat()
    assert found(client, reception, visit_number="VB-TWO", day=after)["bookings"] == []
    assert found(client, reception, visit_number="VB-TW")["total"] == 0  # exact, not a part

    # cancelled, then booked again under the same visit number: the desk sees both
    client.post(f"/api/v1/bookings/{two_days['id']}/cancel", headers=reception)
    again = booked(client, reception, "COLONO", visit="VB-TWO")
    statuses = {(b["id"], b["status"]) for b in found(client, reception, visit_number="VB-TWO")["bookings"]}
    assert statuses == {(two_days["id"], "cancelled"), (again["id"], "booked")}


def test_a_long_day_comes_in_pages_each_read_in_the_same_statements(client, reception) -> None:
    day = booked(client, reception, "ECG", visit="VB-0")["visits"][0]["day"]
    one = statements(lambda: found(client, reception, day=day))
    for n in range(1, 5):
        booked(client, reception, "ECG", visit=f"VB-{n}")
    five = statements(lambda: found(client, reception, day=day))
    assert len(five) == len(one), five  # no statement per row
    whole = found(client, reception, day=day)["bookings"]
    assert len(whole) == 5
    page = found(client, reception, day=day, limit=2, offset=2)
    assert page["total"] == 5 and page["bookings"] == whole[2:4]
    assert found(client, reception, day=day, limit=2, offset=4)["bookings"] == whole[4:]


def test_each_site_finds_only_its_own_bookings_and_every_read_is_audited(
    client, reception, north, nurse, regional_admin, session
) -> None:
    demo = booked(client, reception, "ECG", visit="VB-SAME")
    day = demo["visits"][0]["day"]
    north_booking = booked(client, north["admin"], "ECG", visit="VB-SAME")
    assert north_booking["visits"][0]["day"] == day
    assert [b["id"] for b in found(client, reception, visit_number="VB-SAME")["bookings"]] == [demo["id"]]
    assert [b["id"] for b in found(client, north["admin"], day=day)["bookings"]] == [north_booking["id"]]
    other = client.get("/api/v1/bookings", query_string={"site": "demo"}, headers=north["admin"])
    assert other.status_code == 404 and "site" in other.json["errors"]["json"]
    opened = client.get(f"/api/v1/bookings/{demo['id']}", headers=north["admin"])
    assert opened.status_code == 404  # and not opened from the other site's list either
    for refused in (nurse, regional_admin):  # no booking desk: no bookings to read
        assert client.get("/api/v1/bookings", headers=refused).status_code == 403
    assert client.get("/api/v1/bookings").status_code == 401

    session.expire_all()
    searches = session.scalars(
        sa.select(AuditRecord).where(AuditRecord.action == "booking.search").order_by(AuditRecord.id)
    ).all()
    sites = dict(session.execute(sa.select(Site.id, Site.code)).all())
    assert [(a.actor, sites[a.site_id], a.target_id, a.detail) for a in searches] == [
        ("reception", "demo", "/api/v1/bookings", {"query": {"visit_number": "VB-SAME"}}),
        ("north-admin", "north", "/api/v1/bookings", {"query": {"day": day}}),
    ]


def test_bad_filters_are_named(client, reception) -> None:
    for query, field in (
        ({"day": "2026-13-01"}, "day"),
        ({"day": "tomorrow"}, "day"),
        ({"visit_number": ""}, "visit_number"),
        ({"visit_number": "V" * 65}, "visit_number"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
    ):
        answer = client.get("/api/v1/bookings", query_string=query, headers=reception)
        assert answer.status_code == 422 and field in answer.json["errors"]["query"], (query, answer.json)
    unknown = client.get("/api/v1/bookings", query_string={"site": "nowhere"}, headers=reception)
    assert unknown.status_code == 404 and "site" in unknown.json["errors"]["json"]
