"""The hospital's booking settings, and the rooms as the booking engine sees them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from navigation.sequencing.model import Room


@dataclass(frozen=True)
class BookingRules:
    horizon_days: int = 14  # offers look this many days ahead
    offers: int = 3  # how many days to offer
    window_min: int = 30  # the arrival window
    lead_min: int = 10  # the window opens this long before the first exam
    first_arrival_min: int = 7 * 60 + 30  # nobody is asked to come earlier
    latest_fasting_arrival_min: int = 10 * 60  # fasting patients come in the morning
    latest_arrival_min: int = 15 * 60  # the last window anyone is offered
    same_day_share: float = 0.3  # of every room's time, kept for patients booked on the day
    share_period_min: int = 60  # the kept share is the end of every hour of opening
    no_show_grace_min: int = 15  # missed the window by more than this: the capacity is released
    payment_hold_min: int = 30  # an unpaid hold lasts this long where payment comes first
    payment_first: bool = False  # the hospital requires payment before booking


def bookable_windows(
    windows: tuple[tuple[int, int], ...], share: float, period: int
) -> tuple[tuple[int, int], ...]:
    """The part of each opening that may be booked ahead: the first (1 - share) of every period.

    The rest of each period stays free for patients who come without a booking, spread over
    the day rather than one block, so a walk-in never waits for a whole booked morning.
    """
    if share <= 0:
        return windows
    keep = round(period * (1 - share))
    out: list[tuple[int, int]] = []
    for a, b in windows:
        for start in range(a, b, period):
            end = min(b, start + keep)
            if end > start:
                out.append((start, end))
    return tuple(out)


@cache
def bookable_room(room: Room, rules: BookingRules) -> Room:
    return replace(room, windows=bookable_windows(room.windows, rules.same_day_share, rules.share_period_min))
