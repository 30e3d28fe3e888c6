"""Bookings made before the visit day: the capacity each holds, day by day, until it is used,
cancelled, paid too late or missed."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from navigation.models.base import Base, str_enum, utcnow
from navigation.models.journey import Patient


class BookingStatus(enum.StrEnum):
    HELD = "held"  # waiting for payment until `hold_expires_at`
    BOOKED = "booked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # not paid in time: the capacity went back
    NO_SHOW = "no-show"  # a window missed by more than the grace: the capacity went back
    ARRIVED = "arrived"  # checked in: the live plan has taken over


class Booking(Base):
    __tablename__ = "booking"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    visit_number: Mapped[str] = mapped_column(sa.String(64), index=True)
    orders: Mapped[list[Any]] = mapped_column(default=list)  # exam codes, as ordered
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus, "booking_status"))
    token_salt: Mapped[str] = mapped_column(sa.String(32))
    hold_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]  # cancelled, expired, missed or arrived
    patient: Mapped[Patient] = relationship()
    visits: Mapped[list[BookingVisit]] = relationship(
        back_populates="booking", order_by="BookingVisit.day", cascade="all, delete-orphan"
    )


class BookingVisit(Base):
    """One day of a booking (orders that must not share a day make two), with its window and
    the planned steps (`[{key, kind, exam_codes, room, station, start, end, fasting, fasting_from}]`,
    minutes of the day; `fasting_from` on fasting steps: when the patient was told to stop eating)."""

    __tablename__ = "booking_visit"
    __table_args__ = (sa.Index("ix_booking_visit_site_day", "site_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)
    orders: Mapped[list[Any]] = mapped_column(default=list)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    steps: Mapped[list[Any]] = mapped_column(default=list)
    booking: Mapped[Booking] = relationship(back_populates="visits")
