"""Finding bookings at the desk: a patient phones or comes by with their visit number ("when is my
time?", "I want another day"), or reception goes through a day's arrivals. Each row is one visit
of a booking (a booking over two days has a row on each), in the order of the arrival windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from navigation.models import Booking, BookingVisit, Site


@dataclass(frozen=True)
class FoundVisit:
    booking: Booking
    visit: BookingVisit

    @property
    def visit_index(self) -> int:
        """1 for the booking's first day, 2 for its second..."""
        return self.booking.visits.index(self.visit) + 1


@dataclass(frozen=True)
class FoundPage:
    total: int  # rows matching, over every page
    rows: list[FoundVisit]


def find_bookings(
    session: Session,
    site: Site,
    *,
    visit_number: str | None,
    day: date | None,
    limit: int,
    offset: int = 0,
) -> FoundPage:
    """The site's booked visits matching every filter given, by arrival window, whatever their
    status (a cancelled or missed booking is what the patient on the phone may be asking about)."""
    where = [Booking.site_id == site.id, BookingVisit.site_id == site.id]  # the (site, day) index
    if visit_number is not None:
        where.append(Booking.visit_number == visit_number)
    if day is not None:
        where.append(BookingVisit.day == day)
    joined = sa.select(BookingVisit).join(Booking, Booking.id == BookingVisit.booking_id).where(*where)
    total = session.scalar(joined.with_only_columns(sa.func.count(), maintain_column_froms=True))
    visits = session.scalars(
        joined.options(contains_eager(BookingVisit.booking).selectinload(Booking.visits))
        .order_by(BookingVisit.window_start, Booking.id, BookingVisit.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return FoundPage(total or 0, [FoundVisit(v.booking, v) for v in visits])
