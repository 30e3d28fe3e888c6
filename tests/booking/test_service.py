"""Bookings in the database: held capacity, cancel and rebook, unpaid holds and missed windows
that give their capacity back, and clear answers for past days and double bookings."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from navigation.booking import service
from navigation.booking.holds import todays_holds
from navigation.booking.rules import BookingRules
from navigation.checkin import PatientDetails
from navigation.errors import Conflict, DomainError
from navigation.models import BookingStatus, Language, Mobility, Site, StaffUser

RULES = BookingRules()


@pytest.fixture
def site(session) -> Site:
    return session.scalar(sa.select(Site).where(Site.code == "demo"))


@pytest.fixture
def desk(session) -> StaffUser:
    return session.scalar(sa.select(StaffUser).where(StaffUser.username == "reception"))


def patient(n: int) -> PatientDetails:
    return PatientDetails(f"MRN-B{n}", f"Patient {n}", Language.ZH, Mobility.WALKING)


def book(session, site, desk, clock, n: int, orders: list[str], rules: BookingRules = RULES, day=None):
    day = day or service.offer(session, site, orders, clock(), rules)[0].visits[0].day
    return service.book(
        session,
        site=site,
        visit_number=f"VB{n}",
        patient=patient(n),
        orders=orders,
        day=day,
        actor=desk,
        now=clock(),
        rules=rules,
    )


def first_window(session, site, clock, orders: list[str]):
    """The first offer's day, window and rooms: a held slot changes one of them."""
    visit = service.offer(session, site, orders, clock(), RULES)[0].visits[0]
    return visit.day, visit.window_start, tuple((s.room, s.station, s.start) for s in visit.steps)


def test_a_booking_holds_its_capacity_until_cancelled(session, site, desk, clock) -> None:
    free = first_window(session, site, clock, ["MRI-BRAIN"])
    assert free[0] == service.local_day(site, clock()) + timedelta(days=1)
    booking = book(session, site, desk, clock, 1, ["MRI-BRAIN"])
    visit = booking.visits[0]
    assert (visit.day, visit.window_end - visit.window_start) == (free[0], timedelta(minutes=30))
    assert service.at(site, visit.day, free[1]) == visit.window_start
    assert first_window(session, site, clock, ["MRI-BRAIN"]) != free  # held
    service.cancel(session, booking, desk, clock())
    assert first_window(session, site, clock, ["MRI-BRAIN"]) == free  # released


def test_past_days_today_and_double_bookings_are_refused(session, site, desk, clock) -> None:
    today = service.local_day(site, clock())
    for day in (today - timedelta(days=1), today):
        with pytest.raises(DomainError) as refused:
            book(session, site, desk, clock, 2, ["ECG"], day=day)
        assert refused.value.field == "day" and "bookings start tomorrow" in refused.value.message
    book(session, site, desk, clock, 2, ["ECG"])
    with pytest.raises(Conflict) as twice:
        book(session, site, desk, clock, 2, ["ECG"])
    assert twice.value.field == "visit_number" and "already booked" in twice.value.message


def test_an_unpaid_hold_expires_and_frees_its_slot(session, site, desk, clock) -> None:
    rules = replace(RULES, payment_first=True)
    free = first_window(session, site, clock, ["MRI-BRAIN"])
    held = book(session, site, desk, clock, 3, ["MRI-BRAIN"], rules)
    assert held.status == BookingStatus.HELD
    assert held.hold_expires_at == clock() + timedelta(minutes=30)
    assert first_window(session, site, clock, ["MRI-BRAIN"]) != free
    clock.advance(minutes=31)
    assert first_window(session, site, clock, ["MRI-BRAIN"]) == free
    with pytest.raises(Conflict) as late:
        service.pay(session, held, desk, clock())
    assert "expired" in late.value.message
    paid = book(session, site, desk, clock, 4, ["MRI-BRAIN"], rules)
    clock.advance(minutes=10)
    assert service.pay(session, paid, desk, clock()).status == BookingStatus.BOOKED
    clock.advance(hours=2)
    assert first_window(session, site, clock, ["MRI-BRAIN"]) != free  # paid: held for good


def test_a_missed_window_releases_the_capacity_and_can_be_rebooked(session, site, desk, clock) -> None:
    booking = book(session, site, desk, clock, 5, ["MRI-BRAIN"])
    end = booking.visits[0].window_end
    clock.now = end + timedelta(minutes=RULES.no_show_grace_min)
    assert service.release_missed(session, site, clock(), RULES) == []  # within the grace
    clock.advance(minutes=1)
    assert service.release_missed(session, site, clock(), RULES) == [booking]
    assert booking.status == BookingStatus.NO_SHOW
    again = service.offer(session, site, ["MRI-BRAIN"], clock(), RULES)[0].visits[0]
    service.rebook(session, site, booking, again.day, desk, clock(), RULES)
    assert booking.status == BookingStatus.BOOKED and booking.visits[0].day == again.day


def test_the_live_plan_holds_a_booking_until_its_window_is_missed(session, site, desk, clock) -> None:
    booking = book(session, site, desk, clock, 8, ["MRI-BRAIN"])
    visit = booking.visits[0]
    clock.now = visit.window_start - timedelta(minutes=5)
    held = todays_holds(session, site.id, visit.day, clock())
    assert [(p.task, p.room) for p in held] == [
        (s["key"], s["room"]) for s in visit.steps if s["station"] >= 0
    ]
    clock.now = visit.window_end + timedelta(minutes=RULES.no_show_grace_min + 1)
    assert todays_holds(session, site.id, visit.day, clock()) == []  # missed: the day's again


def test_rebooking_moves_the_visit_and_frees_the_old_day(session, site, desk, clock) -> None:
    booking = book(session, site, desk, clock, 6, ["MRI-BRAIN"])
    old = booking.visits[0].day
    later = old + timedelta(days=3)
    service.rebook(session, site, booking, later, None, clock(), RULES)
    session.flush()
    assert [v.day for v in booking.visits] == [later]
    assert first_window(session, site, clock, ["MRI-BRAIN"])[0] == old
    service.cancel(session, booking, None, clock())
    with pytest.raises(Conflict):
        service.rebook(session, site, booking, later, None, clock(), RULES)


def test_colonoscopy_and_barium_are_booked_on_two_days(session, site, desk, clock) -> None:
    booking = book(session, site, desk, clock, 7, ["COLONO", "BA-UGI"])
    first, second = booking.visits
    assert first.orders == ["COLONO"] and second.orders == ["BA-UGI"]
    assert second.day > first.day


def test_booked_at_21_00_for_tomorrow_nobody_is_told_to_have_stopped_eating_at_20_00(
    session, site, clock
) -> None:
    """A 12-h draw is booked early with "nothing to eat after 20:00"; booked at 21:00 the
    evening before, the patient may have eaten since: the draw moves to when 12 h are kept."""
    zone = ZoneInfo(site.timezone)
    evening = datetime.combine(clock().astimezone(zone).date(), time(21, 0), tzinfo=zone)
    clock.now = evening
    visit = service.offer(session, site, ["LIPID"], clock(), RULES)[0].visits[0]
    assert visit.day == evening.date() + timedelta(days=1)
    assert visit.fasting_from is not None and visit.fasting_from >= -3 * 60  # 21:00, not 20:00
    draw = next(s for s in visit.steps if s.key == "draw:blood")
    assert draw.start >= visit.fasting_from + 12 * 60
