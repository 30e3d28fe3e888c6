"""The patient's own booking link: like a journey's link, an HMAC of the booking id and a salt
under the server's secret, so no token is stored and reception can resend the same link."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from navigation.models import Booking

TOKEN_PATTERN = re.compile(r"^bk_(\d{1,18})_([A-Za-z0-9_-]{43})$")
PAGE = "/b/{token}"  # the patient's booking page (what the messages link to)
CALENDAR = "/api/v1/booking-links/{token}/calendar.ics"  # api/booking.py: BookingCalendar


@dataclass(frozen=True)
class BookingLinks:
    """What the patient's messages link to: their page, where they read, move or cancel the
    booking, and its calendar file."""

    page: str
    calendar: str


def booking_token(secret: str, booking: Booking) -> str:
    mac = hmac.new(secret.encode(), f"booking:{booking.id}:{booking.token_salt}".encode(), hashlib.sha256)
    return f"bk_{booking.id}_{base64.urlsafe_b64encode(mac.digest()).decode().rstrip('=')}"


def booking_links(base_url: str, secret: str, booking: Booking) -> BookingLinks:
    base, token = base_url.rstrip("/"), booking_token(secret, booking)
    return BookingLinks(base + PAGE.format(token=token), base + CALENDAR.format(token=token))


def booking_for_token(session: Session, secret: str, token: str) -> Booking | None:
    """The booking a link opens, or None (constant-time comparison)."""
    match = TOKEN_PATTERN.match(token)
    if not match or int(match.group(1)) > 2**31 - 1:
        return None
    booking = session.get(Booking, int(match.group(1)))
    if booking is None or not hmac.compare_digest(booking_token(secret, booking), token):
        return None
    return booking
