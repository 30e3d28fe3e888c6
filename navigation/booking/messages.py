"""What a booked patient's phone is told before the day, through the same outbox as the day's
messages (addressed to the booking: there is no journey until check-in).

Booked (or paid, where payment comes first): "booked", with the link to their booking page;
then, each visit, what to do the evening before (at 18:00, the hospital's time, or at once
when booked later that evening) and when to arrive (an hour before the window opens), both
waiting in the outbox until then. Moving or
cancelling the booking withdraws what was waiting for the old window. A missed window or an
unpaid hold is told once, by the job that releases them. Only days, times of day and the link
travel: no name, no exam (notifications.templates refuses anything else).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from navigation.aftercommit import defer
from navigation.booking.links import BookingLinks
from navigation.booking.preparation import preparation_times
from navigation.booking.service import at
from navigation.models import Booking, BookingStatus, BookingVisit, Site
from notifications import Event, Recipient, enqueue, enqueue_at, withdraw
from notifications.events import BOOKING_REMINDERS

PREPARE_AT_MIN = 18 * 60  # the evening before, in the hospital's time
ARRIVE_BEFORE_MIN = 60  # before the window opens, on the day


def recipient(booking: Booking) -> Recipient:
    return Recipient(booking_id=booking.id)


def confirmed(session: Session, booking: Booking, site: Site, links: BookingLinks, now: datetime) -> None:
    """The booking holds its capacity for good (booked, or paid within the hold)."""
    if booking.status == BookingStatus.BOOKED:
        first = _window(site, booking.visits[0])
        _send(
            session,
            booking,
            Event.BOOKING_CONFIRMED,
            now,
            {**first, "link": links.page, "calendar": links.calendar},
        )
        _schedule(session, booking, site, now)


def moved(session: Session, booking: Booking, site: Site, links: BookingLinks, now: datetime) -> None:
    withdraw(session, recipient(booking), BOOKING_REMINDERS, now)
    if booking.status == BookingStatus.BOOKED:
        first = _window(site, booking.visits[0])
        _send(session, booking, Event.BOOKING_MOVED, now, {**first, "link": links.page})
        _schedule(session, booking, site, now)


def cancelled(session: Session, booking: Booking, now: datetime) -> None:
    withdraw(session, recipient(booking), BOOKING_REMINDERS, now)
    _send(session, booking, Event.BOOKING_CANCELLED, now, {"day": booking.visits[0].day.isoformat()})


def released(session: Session, booking: Booking, links: BookingLinks, now: datetime) -> None:
    """A missed window (with the link to choose a new one) or an unpaid hold that ran out."""
    withdraw(session, recipient(booking), BOOKING_REMINDERS, now)
    if booking.status == BookingStatus.NO_SHOW:
        _send(session, booking, Event.BOOKING_MISSED, now, {"link": links.page})
    elif booking.status == BookingStatus.EXPIRED:
        _send(session, booking, Event.BOOKING_EXPIRED, now, {})


def _schedule(session: Session, booking: Booking, site: Site, now: datetime) -> None:
    for visit in booking.visits:
        window = _window(site, visit)
        evening = at(site, visit.day - timedelta(days=1), PREPARE_AT_MIN)
        if now < at(site, visit.day, 0):  # booked after 18:00 the evening before: at once
            prepare = {**window, **preparation_times(visit)}
            _send(session, booking, Event.BOOKING_PREPARE, now, prepare, evening)
        reminder = visit.window_start - timedelta(minutes=ARRIVE_BEFORE_MIN)
        if reminder > now:
            times = {"start": window["start"], "end": window["end"]}
            _send(session, booking, Event.BOOKING_ARRIVE, now, times, reminder)


def _window(site: Site, visit: BookingVisit) -> dict[str, str]:
    return {
        "day": visit.day.isoformat(),
        "start": site.hhmm(visit.window_start),
        "end": site.hhmm(visit.window_end),
    }


def _send(
    session: Session,
    booking: Booking,
    event: Event,
    now: datetime,
    params: dict[str, str],
    not_before: datetime | None = None,
) -> None:
    language = booking.patient.language.value
    if not_before is None:
        enqueue(session, recipient(booking), event, language, now=now, **params)
    else:
        enqueue_at(session, recipient(booking), event, language, not_before, now=now, **params)
    defer(session, "outbox", booking.id)
