"""Bookings in the database: offer, book, pay, cancel, rebook, and release what nobody used.

The adapter around `engine`: a site's rooms, its catalog and the capacity its bookings hold
come from the database; times become aware datetimes in the hospital's zone. Nothing is held
forever: an unpaid hold ends at `hold_expires_at`, a missed window `no_show_grace_min` after it
closes, and either way the capacity is free for the next offer at once (offers read only
bookings that still hold).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation import audit, planning
from navigation.access import new_salt
from navigation.booking.engine import DayBook, Hospital, Offer, VisitOffer, desk_types, offer_days
from navigation.booking.rules import BookingRules
from navigation.catalog.variants import site_catalog
from navigation.checkin import PatientDetails, upsert_patient
from navigation.errors import Conflict, DomainError
from navigation.models import Booking, BookingStatus, BookingVisit, Journey, Site, StaffUser
from navigation.sequencing.model import Placement

ACTIVE = (BookingStatus.HELD, BookingStatus.BOOKED)


def local_day(site: Site, now: datetime) -> date:
    return now.astimezone(ZoneInfo(site.timezone)).date()


def at(site: Site, day: date, minute: int) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(site.timezone)) + timedelta(minutes=minute)


def holding(now: datetime) -> sa.ColumnElement[bool]:
    """Bookings whose capacity is still theirs: booked, or held and not yet expired."""
    return sa.or_(
        Booking.status == BookingStatus.BOOKED,
        sa.and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now),
    )


def _hospital(session: Session, site: Site) -> Hospital:
    rooms, walking, entrance = planning.site_rooms(session, site)
    return Hospital(rooms, walking, entrance, desk_types(site_catalog(session, site)))


def _day_books(
    session: Session, site: Site, hospital: Hospital, rules: BookingRules, now: datetime, skip: int | None
):
    books: dict[date, DayBook] = {}

    def held_on(day: date) -> DayBook:
        if day not in books:
            rows = session.scalars(
                sa.select(BookingVisit.steps)
                .join(Booking, Booking.id == BookingVisit.booking_id)
                .where(
                    BookingVisit.site_id == site.id,
                    BookingVisit.day == day,
                    holding(now),
                    Booking.id != (skip or 0),
                )
            )
            books[day] = DayBook(
                hospital,
                rules,
                (
                    Placement("held", s["key"], s["room"], s["station"], s["start"], s["end"])
                    for steps in rows
                    for s in steps
                    if s["room"] is not None
                ),
            )
        return books[day]

    return held_on


def _first_day(site: Site, now: datetime, day: date | None, field: str) -> date:
    tomorrow = local_day(site, now) + timedelta(days=1)
    if day is None:
        return tomorrow
    if day < tomorrow:
        raise DomainError(
            f"{day.isoformat()} is not bookable: bookings start tomorrow ({tomorrow.isoformat()}); "
            "today's patients check in at reception",
            field=field,
        )
    return day


def offer(
    session: Session,
    site: Site,
    orders: Sequence[str],
    now: datetime,
    rules: BookingRules,
    from_day: date | None = None,
    skip: int | None = None,
) -> list[Offer]:
    """The earliest days on which all of `orders` fit, from `from_day` (tomorrow by default)."""
    first = _first_day(site, now, from_day, "from")
    rules = _fasting_from_now_on(site, first, now, rules)
    hospital = _hospital(session, site)
    held_on = _day_books(session, site, hospital, rules, now, skip)
    return offer_days(site_catalog(session, site), hospital, orders, first, held_on, rules)


def _fasting_from_now_on(site: Site, first: date, now: datetime, rules: BookingRules) -> BookingRules:
    """Booked late in the evening for tomorrow: nobody is told to have stopped eating already."""
    since = (now - at(site, first, 0)) / timedelta(minutes=1)
    if since <= rules.earliest_fasting_from_min:
        return rules
    return replace(rules, earliest_fasting_from_min=math.ceil(since / 30) * 30)


def visits_of(site: Site, offered: Offer) -> list[BookingVisit]:
    return [
        BookingVisit(
            site_id=site.id,
            day=v.day,
            orders=list(v.orders),
            window_start=at(site, v.day, v.window_start),
            window_end=at(site, v.day, v.window_end),
            steps=[_step(v, i) for i in range(len(v.steps))],
        )
        for v in offered.visits
    ]


def _step(visit: VisitOffer, i: int) -> dict:
    s = visit.steps[i]
    return {
        "key": s.key,
        "kind": s.kind,
        "exam_codes": list(s.exam_codes),
        "room": s.room,
        "station": s.station,
        "start": s.start,
        "end": s.end,
        "fasting": s.fasting,
        "fasting_from": visit.fasting_from if s.fasting else None,  # told the evening before
    }


def _chosen(offers: list[Offer], day: date) -> Offer:
    found = next((o for o in offers if o.visits[0].day == day), None)
    if found is None:
        days = ", ".join(o.visits[0].day.isoformat() for o in offers)
        raise Conflict(
            f"{day.isoformat()} is no longer free for these orders; free days: {days}", field="day"
        )
    return found


def book(
    session: Session,
    *,
    site: Site,
    visit_number: str,
    patient: PatientDetails,
    orders: Sequence[str],
    day: date,
    actor: StaffUser | None,
    now: datetime,
    rules: BookingRules,
) -> Booking:
    """Hold the capacity of the offer starting on `day` (in the caller's transaction)."""
    _first_day(site, now, day, "day")
    taken = session.scalar(
        sa.select(Booking.id).where(
            Booking.site_id == site.id, Booking.visit_number == visit_number, holding(now)
        )
    )
    if taken is not None:
        raise Conflict(
            f"visit {visit_number} is already booked (booking {taken}); rebook or cancel it",
            field="visit_number",
        )
    if session.scalar(
        sa.select(Journey.id).where(Journey.site_id == site.id, Journey.visit_number == visit_number)
    ):
        raise Conflict(f"visit {visit_number} has already checked in", field="visit_number")
    chosen = _chosen(offer(session, site, orders, now, rules, day), day)
    booking = Booking(
        site_id=site.id,
        patient=upsert_patient(session, site, patient),
        visit_number=visit_number,
        orders=list(dict.fromkeys(orders)),
        status=BookingStatus.HELD if rules.payment_first else BookingStatus.BOOKED,
        token_salt=new_salt(),
        hold_expires_at=now + timedelta(minutes=rules.payment_hold_min) if rules.payment_first else None,
        created_at=now,
    )
    booking.visits = visits_of(site, chosen)
    session.add(booking)
    session.flush()
    audit.record(
        session, actor, "booking.book", "booking", booking.id, site_id=site.id, now=now, day=day.isoformat()
    )
    return booking


def _refresh_status(booking: Booking, now: datetime) -> None:
    if booking.status == BookingStatus.HELD and booking.hold_expires_at and booking.hold_expires_at <= now:
        booking.status, booking.ended_at = BookingStatus.EXPIRED, booking.hold_expires_at


def _still_holding(booking: Booking, now: datetime, what: str) -> None:
    _refresh_status(booking, now)
    if booking.status not in ACTIVE:
        raise Conflict(
            f"booking {booking.id} is {booking.status.value}: it cannot be {what}", field="booking_id"
        )


def pay(session: Session, booking: Booking, actor: StaffUser | None, now: datetime) -> Booking:
    """Paid within the hold: the booking is confirmed. After it, the capacity is gone: book again."""
    _still_holding(booking, now, "paid")
    booking.status, booking.hold_expires_at = BookingStatus.BOOKED, None
    audit.record(session, actor, "booking.pay", "booking", booking.id, site_id=booking.site_id, now=now)
    return booking


def cancel(session: Session, booking: Booking, actor: StaffUser | None, now: datetime) -> Booking:
    _still_holding(booking, now, "cancelled")
    booking.status, booking.ended_at = BookingStatus.CANCELLED, now
    audit.record(session, actor, "booking.cancel", "booking", booking.id, site_id=booking.site_id, now=now)
    return booking


def rebook(
    session: Session,
    site: Site,
    booking: Booking,
    day: date,
    actor: StaffUser | None,
    now: datetime,
    rules: BookingRules,
) -> Booking:
    """Move the booking to the offer starting on `day`; its own capacity counts as free meanwhile.
    A missed window (no-show) can be rebooked too: the patient is offered a new one."""
    _refresh_status(booking, now)
    if booking.status not in (*ACTIVE, BookingStatus.NO_SHOW):
        raise Conflict(f"booking {booking.id} is {booking.status.value}: book again", field="booking_id")
    _first_day(site, now, day, "day")
    chosen = _chosen(offer(session, site, booking.orders, now, rules, day, skip=booking.id), day)
    booking.visits = visits_of(site, chosen)
    if booking.status == BookingStatus.NO_SHOW:
        booking.status, booking.ended_at = BookingStatus.BOOKED, None
    audit.record(
        session, actor, "booking.rebook", "booking", booking.id, site_id=site.id, now=now, day=day.isoformat()
    )
    return booking


def release_missed(session: Session, site: Site, now: datetime, rules: BookingRules) -> list[Booking]:
    """Unpaid holds past their time expire; windows missed by more than the grace become no-shows.
    Their capacity is free from now on; the caller commits (and tells the patients).

    Several workers may run this at once: each returns only the bookings it released itself."""
    return [booking for booking in overdue(session, site, now, rules) if release(session, booking, now)]


def overdue(session: Session, site: Site, now: datetime, rules: BookingRules) -> list[Booking]:
    """Unpaid holds past their time, and bookings whose first window was missed by more than the
    grace by a patient who has not checked in."""
    cutoff = now - timedelta(minutes=rules.no_show_grace_min)
    checked_in = sa.select(Journey.id).where(
        Journey.site_id == Booking.site_id, Journey.visit_number == Booking.visit_number
    )
    # The first visit is the earliest: a booking any of whose windows passed missed the first.
    missed = sa.and_(
        Booking.status == BookingStatus.BOOKED,
        Booking.id.in_(sa.select(BookingVisit.booking_id).where(BookingVisit.window_end < cutoff)),
        ~checked_in.exists(),
    )
    unpaid = sa.and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at <= now)
    query = sa.select(Booking).where(Booking.site_id == site.id, sa.or_(unpaid, missed)).order_by(Booking.id)
    return list(session.scalars(query))


def release(session: Session, booking: Booking, now: datetime) -> bool:
    """End an overdue booking (expired, or no-show) by a conditional update: of several workers
    that found it, exactly one gets True (and tells the patient)."""
    before = booking.status
    if before == BookingStatus.HELD:
        values = {"status": BookingStatus.EXPIRED, "ended_at": booking.hold_expires_at}
    else:
        values = {"status": BookingStatus.NO_SHOW, "ended_at": now}
    won = session.execute(
        sa.update(Booking).where(Booking.id == booking.id, Booking.status == before).values(**values),
        execution_options={"synchronize_session": False},
    ).rowcount  # type: ignore[attr-defined]
    session.refresh(booking)  # what the database holds now: this worker's change, or another's
    return bool(won)
