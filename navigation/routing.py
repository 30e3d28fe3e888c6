"""Routing for a site: its stored map, closures that reach every process, and routes.

Each process keeps one `pathfinding.Router` per site in memory (building it takes
milliseconds; its index a little longer). Before serving, it compares the site's
`version`/`closures_version` with what it applied: a closure committed by any web or worker
process is honoured by the next route everywhere, with no message bus. After a closure the
router serves exact live searches at once and rebuilds its fast index in a background thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation import audit
from navigation.errors import DomainError, NotFound
from navigation.metrics import ROUTE_CACHE, timed_rebuild
from navigation.models import Closure, Mobility, Room, Site, SiteMapRecord, StaffUser
from navigation.route_cache import RouteCache, RouteKey
from pathfinding import MapReport, NodeKind, Route, Router, SiteMap, check_map, dump_map, load_map
from pathfinding.imdf import check_imdf

PROFILE_OF = {Mobility.WALKING: "walking", Mobility.SLOW: "slow", Mobility.WHEELCHAIR: "wheelchair"}


@dataclass
class _Cached:
    router: Router
    version: int
    closures_version: int


_routers: dict[int, _Cached] = {}
_lock = threading.Lock()


def forget_routers() -> None:
    """Drop this process's routers (for a database restored to an earlier state: tests)."""
    with _lock:
        _routers.clear()


def site_by_code(session: Session, code: str) -> Site:
    site = session.scalar(sa.select(Site).where(Site.code == code))
    if site is None:
        raise NotFound(f"no site {code!r}", field="site")
    return site


@dataclass
class ConvertedMap:
    """A map checked and converted to the stored document, which has been loaded again."""

    site_map: SiteMap
    report: MapReport
    document: dict[str, Any]
    source: str  # "carepath" | "imdf"


def convert_map(source: dict[str, Any] | Path) -> ConvertedMap:
    """Check a CarePath JSON document or file, or an IMDF archive (folder or zip), and convert
    it to the document the site would store. Refused (DomainError listing every error) unless
    that document loads again: what import accepts is exactly what routing loads."""
    is_imdf = isinstance(source, Path) and source.suffix.lower() != ".json"
    if isinstance(source, Path) and is_imdf:
        site_map, report = check_imdf(source)
    else:
        site_map, report = check_map(source)
    if site_map is None or not report.ok:
        raise _refused(report, "the map has")
    document = dump_map(site_map)
    _, reloaded = check_map(document)
    if not reloaded.ok:
        raise _refused(reloaded, "the converted map would not load again:")
    return ConvertedMap(site_map, report, document, "imdf" if is_imdf else "carepath")


def install_map(session: Session, site: Site, source: dict[str, Any] | Path) -> dict:
    """Validate and store a site's map (see convert_map). Refused whole if it has errors; the
    site keeps its old map. Returns the validation report (warnings included)."""
    converted = convert_map(source)
    return _store(session, site, converted)


def _store(session: Session, site: Site, converted: ConvertedMap) -> dict:
    site_map, report = converted.site_map, converted.report.to_dict()
    record = session.get(SiteMapRecord, site.id)
    if record is None:
        record = SiteMapRecord(site_id=site.id, version=0, closures_version=0)
        session.add(record)
    record.document, record.source, record.report = converted.document, converted.source, report
    record.version += 1
    rooms = set(session.scalars(sa.select(Room.code).where(Room.site_id == site.id)))
    unmapped = sorted(rooms - set(site_map.rooms()))
    if unmapped:
        report.setdefault("warnings", []).append(
            {"code": "rooms_not_on_map", "message": "rooms with no door on the map", "ids": unmapped}
        )
    session.flush()
    return report


def _refused(report: MapReport, what: str) -> DomainError:
    """Every error at once, grouped by code, each naming its feature ids."""
    return DomainError(
        f"{what} {len(report.errors)} error(s); the site keeps its old map", errors=report.grouped()
    )


@dataclass(frozen=True)
class MapVersions:
    """Which map and which set of closures a site routes on now: two numbers that change with
    every new map and every closure or reopening (the key of every cached router and route)."""

    version: int
    closures_version: int


def map_versions(session: Session, site_id: int) -> MapVersions | None:
    """The site's current map and closures versions (one small query), None without a map."""
    row = session.execute(
        sa.select(SiteMapRecord.version, SiteMapRecord.closures_version).where(
            SiteMapRecord.site_id == site_id
        )
    ).one_or_none()
    return MapVersions(*row) if row is not None else None


def router_for(session: Session, site: Site, versions: MapVersions | None = None) -> Router:
    """This process's router for the site, brought up to date with the stored map and closures
    (`versions` if the caller just read them in this transaction, else read here)."""
    versions = versions or map_versions(session, site.id)
    if versions is None:
        raise DomainError(f"site {site.code} has no map yet; an admin must import one", field="site")
    version, closures_version = versions.version, versions.closures_version
    with _lock:
        cached = _routers.get(site.id)
        if cached is None or cached.version != version:
            site_map, _ = load_map(session.get_one(SiteMapRecord, site.id).document)
            cached = _Cached(Router(site_map), version, -1)
            _routers[site.id] = cached
        if cached.closures_version != closures_version:
            edges, nodes = _active_closures(session, site.id)
            cached.router.set_closures(edges=edges, nodes=nodes)
            cached.closures_version = closures_version
            threading.Thread(
                target=timed_rebuild, args=(cached.router.rebuild_index,), daemon=True, name="route-index"
            ).start()
    return cached.router


def main_entrance(router: Router) -> str | None:
    """Where patients come in: the map's first entrance (by id), if it marks any."""
    entrances = sorted(n.id for n in router.site.nodes.values() if n.kind is NodeKind.ENTRANCE)
    return entrances[0] if entrances else None


def _active_closures(session: Session, site_id: int) -> tuple[list[str], list[str]]:
    rows = session.execute(
        sa.select(Closure.target_kind, Closure.target_id).where(
            Closure.site_id == site_id, Closure.reopened_at.is_(None)
        )
    ).all()
    return [t for k, t in rows if k == "edge"], [t for k, t in rows if k == "node"]


def route(session: Session, site: Site, origin: str, destination: str, profile: str) -> Route:
    return router_for(session, site).route(origin, destination, profile)


def route_dict(
    session: Session,
    site: Site,
    origin: str,
    destination: str,
    profile: str,
    cache: RouteCache | None,
    versions: MapVersions | None = None,
) -> dict[str, Any]:
    """The route as plain data, from the cache shared by every process when it has it (keyed by
    the map and closures versions read in this transaction), else computed and kept there.
    No route, or an unknown place, raises as `route` does (never cached)."""
    versions = versions or map_versions(session, site.id)
    if versions is None:
        raise DomainError(f"site {site.code} has no map yet; an admin must import one", field="site")
    key = RouteKey(site.id, versions.version, versions.closures_version, origin, destination, profile)
    found = cache.get(key) if cache is not None else None
    ROUTE_CACHE.labels("miss" if found is None else "hit").inc()
    if found is None:
        found = router_for(session, site, versions).route(origin, destination, profile).to_dict()
        if cache is not None:
            cache.put(key, found)
    return found


def close(session: Session, site: Site, target: str, reason: str, actor: StaffUser, now: datetime) -> Closure:
    """Close a corridor, door or elevator; every process routes around it from the next request."""
    router = router_for(session, site)
    if target in router.graph.edge_index:
        kind = "edge"
    elif target in router.graph.index or any(car.id == target for car in router.site.elevators):
        kind = "node"
    else:
        raise DomainError(f"{target!r} is not a corridor, door, node or elevator of this map", field="target")
    already = session.scalar(
        sa.select(Closure).where(
            Closure.site_id == site.id, Closure.target_id == target, Closure.reopened_at.is_(None)
        )
    )
    if already is not None:
        return already
    closure = Closure(
        site_id=site.id,
        target_kind=kind,
        target_id=target,
        reason=reason,
        closed_at=now,
        closed_by_id=actor.id,
    )
    session.add(closure)
    _bump_closures(session, site)
    session.flush()
    audit.record(session, actor, "route.close", "closure", target, site_id=site.id, now=now, reason=reason)
    return closure


def reopen(session: Session, site: Site, closure_id: int, actor: StaffUser, now: datetime) -> Closure:
    closure = session.get(Closure, closure_id)
    if closure is None or closure.site_id != site.id:
        raise NotFound(f"no closure {closure_id}", field="closure_id")
    if closure.reopened_at is None:
        closure.reopened_at, closure.reopened_by_id = now, actor.id
        _bump_closures(session, site)
        audit.record(session, actor, "route.reopen", "closure", closure.target_id, site_id=site.id, now=now)
    return closure


def active_closures(session: Session, site: Site) -> list[Closure]:
    return list(
        session.scalars(
            sa.select(Closure)
            .where(Closure.site_id == site.id, Closure.reopened_at.is_(None))
            .order_by(Closure.closed_at)
        )
    )


def _bump_closures(session: Session, site: Site) -> None:
    session.execute(
        sa.update(SiteMapRecord)
        .where(SiteMapRecord.site_id == site.id)
        .values(closures_version=SiteMapRecord.closures_version + 1)
    )
