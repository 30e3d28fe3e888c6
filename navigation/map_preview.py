"""What importing a map would change at a site, without storing anything (`map import --check`).

An IT person replacing a live map wants to know, before patients are routed on it, which
rooms and connectors (elevators, stairs, bridges, paths outside) appear or disappear, which
of today's closures would point at nothing, and which of the hospital's rooms have no door on
the new map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation import routing
from navigation.models import Room, Site, SiteMapRecord
from pathfinding import EdgeKind, MapReport, SiteMap, load_map

CONNECTOR_KINDS = frozenset(
    {EdgeKind.STAIRS, EdgeKind.ESCALATOR, EdgeKind.RAMP, EdgeKind.SKYBRIDGE, EdgeKind.OUTDOOR}
)


@dataclass
class MapPreview:
    report: MapReport
    rooms_added: list[str] = field(default_factory=list)
    rooms_removed: list[str] = field(default_factory=list)
    connectors_added: list[str] = field(default_factory=list)
    connectors_removed: list[str] = field(default_factory=list)
    closures_lost: list[str] = field(default_factory=list)  # targets the new map does not have
    rooms_not_on_map: list[str] = field(default_factory=list)  # the hospital's rooms without a door
    replaces: bool = False  # the site has a map today


def _connectors(site: SiteMap) -> set[str]:
    return {e.id for e in site.edges if e.kind in CONNECTOR_KINDS} | {car.id for car in site.elevators}


def preview_map(session: Session, site: Site | None, source: dict[str, Any] | Path) -> MapPreview:
    """Check the map as import would (DomainError listing every error when refused) and say
    what it would change against the site's live map; nothing is written."""
    converted = routing.convert_map(source)
    new = converted.site_map
    preview = MapPreview(report=converted.report)
    if site is None:
        preview.rooms_added = sorted(new.rooms())
        preview.connectors_added = sorted(_connectors(new))
        return preview
    record = session.get(SiteMapRecord, site.id)
    old = load_map(record.document)[0] if record is not None else None
    preview.replaces = old is not None
    old_rooms, old_links = (set(old.rooms()), _connectors(old)) if old else (set(), set())
    preview.rooms_added = sorted(set(new.rooms()) - old_rooms)
    preview.rooms_removed = sorted(old_rooms - set(new.rooms()))
    preview.connectors_added = sorted(_connectors(new) - old_links)
    preview.connectors_removed = sorted(old_links - _connectors(new))
    targets = {e.id for e in new.edges} | set(new.nodes) | {car.id for car in new.elevators}
    preview.closures_lost = sorted(
        c.target_id for c in routing.active_closures(session, site) if c.target_id not in targets
    )
    hospital_rooms = set(session.scalars(sa.select(Room.code).where(Room.site_id == site.id)))
    preview.rooms_not_on_map = sorted(hospital_rooms - set(new.rooms()))
    return preview
