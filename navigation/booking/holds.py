"""Bookings on the day: their times hold rooms in the live plan until the patient checks in,
and at check-in they become the hint of the patient's plan."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.booking.preparation import fasting_from
from navigation.booking.rules import BookingRules
from navigation.models import Booking, BookingStatus, BookingVisit, Site
from navigation.sequencing.model import Placement
from notifications import Recipient, withdraw
from notifications.devices import copy_addresses
from notifications.events import BOOKING_REMINDERS

MOVED_MIN = 15  # a planned time moved further than this from the booking is pushed to the patient


def todays_holds(session: Session, site_id: int, day: date, now: datetime) -> list[Placement]:
    """Room steps of today's bookings whose patient has not checked in, nor missed the window
    by more than the grace (from then on the capacity is the day's, whatever the status says)."""
    grace = timedelta(minutes=BookingRules.no_show_grace_min)
    rows = session.execute(
        sa.select(Booking.id, BookingVisit.steps)
        .join(Booking, Booking.id == BookingVisit.booking_id)
        .where(
            BookingVisit.site_id == site_id,
            BookingVisit.day == day,
            BookingVisit.window_end >= now - grace,
            Booking.status == BookingStatus.BOOKED,
        )
    )
    return [
        Placement(f"booking-{booking_id}", s["key"], s["room"], s["station"], s["start"], s["end"])
        for booking_id, steps in rows
        for s in steps
        if s["room"] is not None and s["station"] >= 0
    ]


def told_last_meal(session: Session, site: Site, visit_number: str, day: date) -> datetime | None:
    """When today's booking told the patient to stop eating (None: no fasting visit booked).

    A booked patient who says they fasted as told has fasted since then, not since 22:00:
    their 12-h draw booked at 08:00 stays at 08:00 in the live plan."""
    visit = session.scalar(
        sa.select(BookingVisit)
        .join(Booking, Booking.id == BookingVisit.booking_id)
        .where(
            Booking.site_id == site.id,
            Booking.visit_number == visit_number,
            Booking.status == BookingStatus.BOOKED,
            BookingVisit.day == day,
        )
    )
    stop = None if visit is None else fasting_from(visit)
    if stop is None:
        return None
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(site.timezone)) + timedelta(minutes=stop)


def arrive(
    session: Session, site_id: int, visit_number: str, day: date, now: datetime, journey_id: int
) -> dict[str, Placement]:
    """The booked patient checks in: the booking ends as arrived and its times for today (step
    key -> placement) become the hint, and the phone the booking reached is the journey's too
    (results ready, come back at). No booking for today: nothing."""
    found = session.execute(
        sa.select(Booking, BookingVisit)
        .join(BookingVisit, BookingVisit.booking_id == Booking.id)
        .where(
            Booking.site_id == site_id,
            Booking.visit_number == visit_number,
            Booking.status == BookingStatus.BOOKED,
            BookingVisit.day == day,
        )
    ).first()
    if found is None:
        return {}
    booking, visit = found
    booked = Recipient(booking_id=booking.id)
    copy_addresses(session, booked, Recipient(journey_id=journey_id))
    if visit.id == booking.visits[-1].id:  # the last day: nothing more to hold, or to remind of
        booking.status, booking.ended_at = BookingStatus.ARRIVED, now
        withdraw(session, booked, BOOKING_REMINDERS, now)
    session.flush()
    return {
        s["key"]: Placement("", s["key"], s["room"], s["station"], s["start"], s["end"]) for s in visit.steps
    }
