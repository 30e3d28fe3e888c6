"""The demo hospital's clock: set to a chosen local time, then running in real time, so the
demo can show a morning's fasting tests at any hour of the real day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from navigation.models import utcnow


class OffsetClock:
    """Real time shifted by a fixed offset: `start` local time today, now; ticking on."""

    def __init__(self, start: time, timezone: str, real: Callable[[], datetime] = utcnow):
        self.real = real
        here = real().astimezone(ZoneInfo(timezone))
        self.offset = datetime.combine(here.date(), start, tzinfo=here.tzinfo) - here

    def __call__(self) -> datetime:
        return self.real() + self.offset


def parse_local_time(text: str) -> time:
    """'08:00' -> 08:00; anything else raises ValueError with the format to use."""
    try:
        hours, minutes = text.split(":")
        if len(minutes) != 2:
            raise ValueError
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day as HH:MM (e.g. 08:00)") from None
