"""What a booked patient is told to do before the visit, in Chinese and English.

Only times and what to do: no exam names or diagnoses, so the lines can go into a calendar,
a push message or a lock screen.
"""

from __future__ import annotations

from navigation.models import BookingVisit, Site
from navigation.sequencing.prepare import hhmm


def preparation(visit: BookingVisit, site: Site) -> list[dict[str, str]]:
    lines: list[dict[str, str]] = []
    if any(s.get("fasting") for s in visit.steps):
        lines.append(
            {
                "en": "Nothing to eat after 22:00 the evening before; plain water is fine.",
                "zh": "检查前一天22:00后请勿进食，可以喝白开水。",
            }
        )
    water = next((s for s in visit.steps if s["kind"] == "water"), None)
    if water is not None:
        at = hhmm(water["start"])
        lines.append(
            {
                "en": f"At {at}, drink 1 litre of water and do not empty your bladder until the scan.",
                "zh": f"请于{at}饮水约1升，检查前请勿排尿。",
            }
        )
    start, end = site.hhmm(visit.window_start), site.hhmm(visit.window_end)
    lines.append(
        {
            "en": f"Arrive at {site.name_en} between {start} and {end}; you have already paid.",
            "zh": f"请于{start}至{end}之间到达{site.name_zh}，费用已缴。",
        }
    )
    return lines
