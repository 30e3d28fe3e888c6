"""Where the patient is and how they get to their next step, in their mobility profile."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from navigation import routing
from navigation.errors import DomainError
from navigation.models import Journey, TaskStatus
from navigation.route_cache import RouteCache
from navigation.task_states import next_step
from pathfinding import NoRouteError, UnknownPlaceError


def current_place(session: Session, journey: Journey, versions: routing.MapVersions | None = None) -> str:
    """The room of the last step done, else the entrance they came in by."""
    done = [
        (t.completed_at, t.planned_room.code)
        for t in journey.tasks
        if t.status == TaskStatus.COMPLETED and t.planned_room and t.completed_at
    ]
    if done:
        return max(done)[1]
    entrance = routing.main_entrance(routing.router_for(session, journey.site, versions))
    if entrance is None:
        raise DomainError("the map has no entrance")
    return entrance


def next_route(
    session: Session,
    journey: Journey,
    cache: RouteCache | None = None,
    versions: routing.MapVersions | None = None,
) -> dict[str, Any] | None:
    """The route to the next step's room, or why there is none (never an error for the page).
    `versions`: the site's map versions if the caller read them in this transaction already."""
    step = next_step(journey)
    if step is None or step.planned_room is None:
        return None
    versions = versions or routing.map_versions(session, journey.site_id)
    if versions is None:
        return None
    origin = current_place(session, journey, versions)
    profile = routing.PROFILE_OF[journey.patient.mobility]
    try:
        route = routing.route_dict(
            session, journey.site, origin, step.planned_room.code, profile, cache, versions
        )
    except NoRouteError as exc:
        return {"task_id": step.id, "available": False, **exc.to_dict()}
    except UnknownPlaceError as exc:
        return {
            "task_id": step.id,
            "available": False,
            "code": "not_on_map",
            "reason_en": str(exc),
            "reason_zh": "地图上没有这个位置",
            "blocked": [exc.place],
        }
    return {"task_id": step.id, "available": True, **route}
