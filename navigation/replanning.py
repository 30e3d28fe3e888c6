"""After staff change someone's day: re-plan the touched patients and tell everyone it moved."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from navigation import planning, progress
from navigation.models import Journey, Site
from notifications import Event


def replan_and_tell(
    session: Session,
    site: Site,
    journey_ids: Iterable[int],
    now: datetime,
    closed_room: tuple[str, datetime] | None = None,
) -> set[int]:
    """Re-plan `journey_ids` (and whoever a closed room displaces). Patients moved as a side
    effect hear "your plan has changed"; the touched ones are told by the caller, who knows
    why. Steps freed by the new plan go ahead. Returns every journey whose plan moved."""
    touched = set(journey_ids)
    moved = planning.replan_touched(session, site, touched, now, closed_room)
    for journey_id in sorted(moved - touched):
        progress.notify(session, session.get_one(Journey, journey_id), Event.PLAN_CHANGED, now)
    for journey_id in sorted(moved):
        progress.replanned(session, session.get_one(Journey, journey_id), now)
    return moved
