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
    latest_fasting_start_min: int = 11 * 60  # and nobody fasts from the evening into the afternoon
    # the evening's message may say to stop eating from this time (minutes of the visit day,
    # negative: the evening before) when a fasting step needs it: a 12-h draw at 08:00
    earliest_fasting_from_min: int = -4 * 60
    latest_arrival_min: int = 15 * 60  # the last window anyone is offered
    same_day_share: float = 0.3  # of every room's time, kept for patients booked on the day
    # (minute of the day, share): from then on this share is kept instead, so the reserve can
    # follow the hours patients come without a booking (mostly the morning)
    same_day_share_from: tuple[tuple[int, float], ...] = ()
    share_period_min: int = 60  # the kept share is the end of every hour of opening
    # a visit with no fasting step takes a window out of the same-day peak (the hours keeping
    # more than the day's least share) if its visit there is at most this much longer: it
    # needs no morning, and the peak is where walk-ins queue and fasting visits must go
    off_peak_preference_min: int = 30
    # a day on which the visit would take this much longer than on an empty day is not
    # offered (hours of waiting between rooms, over lunch): the next day is
    max_added_wait_min: int = 120
    no_show_grace_min: int = 15  # missed the window by more than this: the capacity is released
    payment_hold_min: int = 30  # an unpaid hold lasts this long where payment comes first
    payment_first: bool = False  # the hospital requires payment before booking


def kept_share(rules: BookingRules, minute: int) -> float:
    """The share of a room's time kept for same-day patients at this time of day."""
    later = sorted(rules.same_day_share_from, reverse=True)
    return next((s for at, s in later if at <= minute), rules.same_day_share)


def in_same_day_peak(rules: BookingRules, minute: int) -> bool:
    """When more is kept than at the day's quietest: the hours patients come without a booking."""
    least = min([rules.same_day_share, *(s for _, s in rules.same_day_share_from)])
    return kept_share(rules, minute) > least


def bookable_windows(
    windows: tuple[tuple[int, int], ...],
    share: float,
    period: int,
    share_from: tuple[tuple[int, float], ...] = (),
) -> tuple[tuple[int, int], ...]:
    """The part of each opening that may be booked ahead: the first (1 - share) of every period.

    The rest of each period stays free for patients who come without a booking, spread over
    the day rather than one block, so a walk-in never waits for a whole booked morning.
    `share_from` changes the share from a time of day on.
    """
    if share <= 0 and not share_from:
        return windows
    out: list[tuple[int, int]] = []
    for a, b in windows:
        for start in range(a, b, period):
            kept = next((s for at, s in sorted(share_from, reverse=True) if at <= start), share)
            end = min(b, start + round(period * (1 - kept)))
            if end > start:
                out.append((start, end))
    return tuple(out)


@cache
def bookable_room(room: Room, rules: BookingRules) -> Room:
    windows = bookable_windows(
        room.windows, rules.same_day_share, rules.share_period_min, rules.same_day_share_from
    )
    return replace(room, windows=windows)
