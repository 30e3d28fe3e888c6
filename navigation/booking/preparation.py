"""What a booked patient is told to do before the visit, in Chinese and English.

Only times and what to do: no exam names or diagnoses, so the lines can go into a calendar,
a push message or a lock screen. The sentences are the notifications' own (the evening
before, the same lines are pushed: navigation/booking/messages.py).
"""

from __future__ import annotations

from navigation.models import BookingStatus, BookingVisit, Site
from navigation.sequencing.model import OVERNIGHT_LAST_MEAL
from navigation.sequencing.prepare import hhmm
from notifications.templates import PREPARE_LINES

DAY_MIN = 24 * 60


def fasting_from(visit: BookingVisit) -> int | None:
    """When the patient stops eating (minutes of the visit day, negative: the evening before),
    as the engine planned it; 22:00 for visits booked before the engine said."""
    told = [
        OVERNIGHT_LAST_MEAL if s.get("fasting_from") is None else s["fasting_from"]
        for s in visit.steps
        if s.get("fasting")
    ]
    return min(told) if told else None


def preparation_times(visit: BookingVisit) -> dict[str, str]:
    """When the patient stops eating and when they drink for a full-bladder scan, if they do."""
    times: dict[str, str] = {}
    stop = fasting_from(visit)
    if stop is not None:
        times["fasting_from"] = hhmm(stop % DAY_MIN)
    water = next((s for s in visit.steps if s["kind"] == "water"), None)
    if water is not None:
        times["water_at"] = hhmm(water["start"])
    return times


def preparation(visit: BookingVisit, site: Site) -> list[dict[str, str]]:
    times = preparation_times(visit)
    lines = [{lang: PREPARE_LINES[name][lang].format(**times) for lang in ("en", "zh")} for name in times]
    start, end = site.hhmm(visit.window_start), site.hhmm(visit.window_end)
    arrive = {
        "en": f"Arrive at {site.name_en} between {start} and {end}",
        "zh": f"请于{start}至{end}之间到达{site.name_zh}",
    }
    booking = visit.booking  # none yet for an offer; held: the booking's status says to pay first
    if booking is not None and booking.status != BookingStatus.HELD:
        lines.append({"en": f"{arrive['en']}; you have already paid.", "zh": f"{arrive['zh']}，费用已缴。"})
    else:
        lines.append({"en": f"{arrive['en']}.", "zh": f"{arrive['zh']}。"})
    return lines
