"""Why a step changed or waits, as a category the patient's page and pushes translate: never
the planner's English nor a nurse's free text, which may name a person or an illness."""

from __future__ import annotations

import re

from notifications.templates import PAUSE_CATEGORIES  # why a room is paused, as the nurse picks it

__all__ = ["PAUSE_CATEGORIES", "plan_category"]

# The planner's notes (navigation/sequencing), most specific first.
_PLAN_NOTES = (
    ("fasting_answer", re.compile(r"not confirmed fasting|answer about fasting")),
    ("orders", re.compile(r"contradict each other|which has already started")),
    (
        "depends",
        re.compile(r"first\b.*cannot be done today|nothing to collect|results the doctor|settles the"),
    ),
    ("fasting", re.compile(r"fast")),
    ("closed", re.compile(r"is open|no room of type|open long enough")),
    ("full", re.compile(r"no free")),
)


def plan_category(note: str | None) -> str | None:
    """The category of a step the plan cannot fit in today (None while it is planned)."""
    if note is None:
        return None
    return next((category for category, pattern in _PLAN_NOTES if pattern.search(note)), "other")
