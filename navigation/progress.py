"""Tell the patient (push through the outbox) and the open pages (live) what just changed.

Every place that moves a journey forward ends here, so the messages stay consistent: the
next step with its walking time, "you may eat now" when the fasting steps are done, "report
ready", "journey complete". Messages carry no names and no exams (see notifications).
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy.orm import Session

from navigation.aftercommit import defer
from navigation.models import Journey, JourneyStatus, Task
from navigation.opening import come_back
from navigation.task_states import FINISHED, next_step, refresh_readiness
from navigation.wayfinding import next_route
from notifications import Event, enqueue, journey_channel, room_queue_channel


def journey_changed(session: Session, journey: Journey, now: datetime, rooms: set[str] | None = None) -> None:
    """Open pages of this journey (and of the rooms' queues) reload after the commit."""
    defer(session, "live", (journey_channel(journey.id), {"type": "journey", "journey_id": journey.id}))
    for room in sorted(rooms or ()):
        defer(session, "live", (room_queue_channel(room), {"type": "queue", "room": room}))


def notify(
    session: Session,
    journey: Journey,
    event: Event,
    now: datetime,
    step: Task | None = None,
    **params: int | str,
) -> None:
    enqueue(
        session,
        journey.id,
        event,
        journey.patient.language.value,
        step_id=step.id if step else None,
        now=now,
        **params,
    )
    defer(session, "outbox", journey.id)


def started(session: Session, journey: Journey, now: datetime) -> None:
    session.flush()
    notify(session, journey, Event.JOURNEY_STARTED, now)
    _announce_next(session, journey, now)
    journey_changed(session, journey, now)


def advanced(session: Session, journey: Journey, released: list[Task], now: datetime) -> None:
    """After a step finished and `released` became ready."""
    kinds = {t.kind for t in released}
    fasting_done = all(t.status in FINISHED for t in journey.tasks if t.fasting_hours > 0)
    if "meal" in kinds and fasting_done:  # "your fasting exams are done": only when they are
        notify(session, journey, Event.MAY_EAT, now, next(t for t in released if t.kind == "meal"))
    if "report" in kinds:
        notify(session, journey, Event.REPORT_READY, now, next(t for t in released if t.kind == "report"))
    if journey.status == JourneyStatus.COMPLETED:
        notify(session, journey, Event.JOURNEY_COMPLETE, now)
    elif next_step(journey) in released:
        _announce_next(session, journey, now)
    journey_changed(session, journey, now)


def replanned(session: Session, journey: Journey, now: datetime) -> None:
    """After a re-plan: steps that only followed one now set aside for today go ahead (the
    meal, once a paused lab means no fasting draw today)."""
    released = refresh_readiness(journey, now)
    if released:
        advanced(session, journey, released, now)


def _announce_next(session: Session, journey: Journey, now: datetime) -> None:
    step = None if come_back(session, journey, now) is not None else next_step(journey)
    if step is None or step.planned_room is None or step.kind in ("meal", "report"):
        return
    route = next_route(session, journey)
    minutes = math.ceil(route["seconds"] / 60) if route and route.get("available") else 0
    notify(session, journey, Event.NEXT_STEP, now, step, room=step.planned_room.code, walking_minutes=minutes)
