"""Import of Apple's Indoor Mapping Data Format (IMDF): a folder or zip of GeoJSON files.

The walkable graph comes from units (one node each, at the display point), openings (one
node each, joined to every unit whose outline they touch) and level-changing units:
elevator units stacked over each other form one car (unless ``relationship.geojson``
says otherwise), stacked stair and escalator units on neighbouring floors are joined.
Buildings without an exterior opening get an entrance on their lowest floor's walkway,
and buildings are joined by estimated outdoor paths between their entrances.

Coordinates (WGS84) are projected to metres around the venue.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, Point, shape
from shapely.geometry.base import BaseGeometry

from .imdf_archive import Unit, read_archive, text_of
from .imdf_vertical import vertical_connectors
from .model import Building, Edge, EdgeKind, Floor, Node, NodeKind, Outline, SiteMap
from .validation import MapReport, check_graph

EARTH_M = 6_371_008.8
TOUCH_M = 0.15  # an opening belongs to every unit within this distance
OUTDOOR_DETOUR = 1.3  # outdoor paths are longer than the straight line between entrances
WALKWAY = frozenset({"walkway", "lobby", "corridor", "foyer", "concourse", "ramp", "opentobelow"})
PEDESTRIAN = frozenset({"pedestrian", "pedestrian.principal", "pedestrian.transit"})
#: IMDF unit categories (before any ".subcategory") -> CarePath room categories.
ROOM_CATEGORY = {
    "restroom": "restroom",
    "foodservice": "cafe",
    "shop": "shop",
    "retail": "shop",
    "laboratory": "laboratory",
    "office": "office",
    "administration": "office",
    "information": "information",
    "waitingroom": "waiting",
    "medical": "exam",
    "pharmacy": "pharmacy",
}
VERTICAL = {
    "elevator": NodeKind.ELEVATOR,
    "stairs": NodeKind.STAIRS,
    "steps": NodeKind.STAIRS,
    "escalator": NodeKind.ESCALATOR,
}


def load_imdf(source: str | Path) -> tuple[SiteMap, MapReport]:
    """Import an IMDF archive; raises :class:`MapError` listing feature ids on errors."""
    site, report = check_imdf(source)
    report.raise_for_errors()
    assert site is not None
    return site, report


def check_imdf(source: str | Path) -> tuple[SiteMap | None, MapReport]:
    report = MapReport()
    files = read_archive(Path(source), report)
    if report.errors:
        return None, report
    site = _Importer(files, report).build()
    if report.errors or site is None:
        return None, report
    check_graph(site, report)
    return (None if report.errors else site), report


class _Importer:
    def __init__(self, files: dict[str, list[dict[str, Any]]], report: MapReport) -> None:
        self.files = files
        self.report = report
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.outlines: list[Outline] = []
        self._origin = self._find_origin()

    # -- geometry -------------------------------------------------------------
    def _find_origin(self) -> tuple[float, float]:
        for stem in ("venue", "level", "unit"):
            for f in self.files.get(stem, []):
                try:
                    c = shape(f["geometry"]).centroid
                    return c.x, c.y
                except Exception:  # noqa: BLE001 - malformed features are reported later
                    continue
        return 0.0, 0.0

    def project(self, geom: BaseGeometry) -> BaseGeometry:
        lon0, lat0 = self._origin
        kx = math.radians(1) * EARTH_M * math.cos(math.radians(lat0))
        ky = math.radians(1) * EARTH_M
        return shapely.transform(geom, lambda a: (a - [lon0, lat0]) * [kx, ky])

    def geometry(self, feature: dict[str, Any], kinds: tuple[str, ...]) -> BaseGeometry | None:
        """The projected geometry, or None (and an error) when it is missing or broken."""
        fid = str(feature.get("id"))
        try:
            g = shape(feature["geometry"])
            if g.geom_type not in kinds or g.is_empty:
                raise ValueError(g.geom_type)
            coords = shapely.get_coordinates(g)
            if not (coords == coords).all():  # NaN
                raise ValueError("NaN")
        except Exception:  # noqa: BLE001 - anything unreadable is malformed
            self.report.error("malformed_geometry", f"feature {fid} needs a {' or '.join(kinds)}", [fid])
            return None
        return self.project(g)

    # -- build ----------------------------------------------------------------
    def build(self) -> SiteMap | None:
        f = self.files
        rep = self.report
        ids = [x.get("id") for stem in f for x in f[stem]]
        seen: set[Any] = set()
        dupes = {str(i) for i in ids if i in seen or seen.add(i)}  # type: ignore[func-returns-value]
        if dupes:
            rep.error("duplicate_id", "feature ids used more than once", sorted(dupes))
        buildings_raw = {b["id"]: b for b in f.get("building", [])}
        levels = self._levels(buildings_raw)
        units = self._units(levels)
        self._references(units)
        self._unit_nodes(units, levels)
        self._openings(units, levels)
        if rep.errors:
            return None
        if not self.edges:
            rep.error("nothing_walkable", "no opening joins any two units", ["opening"])
            return None
        if "relationship" not in f:
            rep.warn(
                "no_relationships",
                "no relationship.geojson: elevator cars inferred from stacked elevator units",
                [],
            )
        used_buildings = sorted({b for b, _ in levels.values()})
        unused = sorted(set(buildings_raw) - set(used_buildings))
        if unused:
            rep.warn("building_without_levels", f"{len(unused)} building(s) have no levels", unused)
        buildings: dict[str, Building] = {}
        for bid in used_buildings:
            props = buildings_raw.get(bid, {}).get("properties") or {}
            floors = tuple(sorted({fl for b, fl in levels.values() if b == bid}, key=lambda x: x.ordinal))
            name = props.get("name")
            buildings[bid] = Building(bid, text_of(name, "en") or bid, text_of(name, "zh"), floors)
        elevators, flights = vertical_connectors(self.files, units, levels, self.nodes, rep)
        self.edges += flights
        self._entrances(units, levels, buildings)
        venue = (f.get("venue") or [{}])[0]
        vprops = venue.get("properties") or {}
        return SiteMap(
            code=str(venue.get("id", "imdf")),
            name_en=text_of(vprops.get("name"), "en"),
            name_zh=text_of(vprops.get("name"), "zh"),
            buildings=buildings,
            nodes=self.nodes,
            edges=self.edges,
            elevators=elevators,
            outlines=self.outlines,
        )

    def _levels(self, buildings_raw: dict[str, Any]) -> dict[str, tuple[str, Floor]]:
        """level id -> (building id, floor)."""
        out: dict[str, tuple[str, Floor]] = {}
        names: dict[tuple[str, str], int] = defaultdict(int)
        for lv in self.files.get("level", []):
            lid = str(lv.get("id"))
            props = lv.get("properties") or {}
            ordinal = props.get("ordinal")
            if not isinstance(ordinal, int) or isinstance(ordinal, bool):
                self.report.error("level_without_ordinal", f"level {lid} has no ordinal", [lid])
                continue
            bids = props.get("building_ids") or []
            missing = [b for b in bids if b not in buildings_raw]
            if missing:
                self.report.error(
                    "dangling_reference", f"level {lid} names unknown building(s)", [lid, *missing]
                )
                continue
            bid = bids[0] if bids else "site"
            name = text_of(props.get("short_name"), "en") or text_of(props.get("name"), "en")
            name = name or str(ordinal)
            names[(bid, name)] += 1
            if names[(bid, name)] > 1:
                name = f"{name}#{names[(bid, name)]}"
            out[lid] = (bid, Floor(name, ordinal))
        return out

    def _units(self, levels: dict[str, tuple[str, Floor]]) -> dict[str, Unit]:
        occupants: dict[str, dict[str, Any]] = {}
        anchors = {a.get("id"): a for a in self.files.get("anchor", [])}
        for occ in self.files.get("occupant", []):
            anchor = anchors.get((occ.get("properties") or {}).get("anchor_id"))
            unit_id = ((anchor or {}).get("properties") or {}).get("unit_id")
            if unit_id:
                occupants[unit_id] = occ.get("properties") or {}
        units: dict[str, Unit] = {}
        for u in self.files.get("unit", []):
            uid = str(u.get("id"))
            props = u.get("properties") or {}
            if props.get("level_id") not in levels:
                self.report.error("dangling_reference", f"unit {uid} is on an unknown level", [uid])
                continue
            geom = self.geometry(u, ("Polygon", "MultiPolygon"))
            if geom is None:
                continue
            point = geom.representative_point()
            name = props.get("name") or (occupants.get(uid) or {}).get("name")
            units[uid] = Unit(
                uid,
                str(props.get("category") or "unspecified"),
                props["level_id"],
                geom,
                (point.x, point.y),
                text_of(name, "en"),
                text_of(name, "zh"),
            )
        return units

    def _references(self, units: dict[str, Unit]) -> None:
        """Anchors, occupants and amenities must point at features that exist."""
        unit_ids = {u.get("id") for u in self.files.get("unit", [])}
        anchor_ids = {a.get("id") for a in self.files.get("anchor", [])}
        for a in self.files.get("anchor", []):
            if (a.get("properties") or {}).get("unit_id") not in unit_ids:
                self.report.error("dangling_reference", "anchor on an unknown unit", [str(a.get("id"))])
        for o in self.files.get("occupant", []):
            if (o.get("properties") or {}).get("anchor_id") not in anchor_ids:
                self.report.error("dangling_reference", "occupant on an unknown anchor", [str(o.get("id"))])
        for am in self.files.get("amenity", []):
            bad = [x for x in (am.get("properties") or {}).get("unit_ids") or [] if x not in unit_ids]
            if bad:
                self.report.error(
                    "dangling_reference", "amenity in an unknown unit", [str(am.get("id")), *bad]
                )

    def _unit_nodes(self, units: dict[str, Unit], levels: dict[str, tuple[str, Floor]]) -> None:
        for u in units.values():
            bid, floor = levels[u.level]
            if u.category in VERTICAL:
                kind = VERTICAL[u.category]
            elif u.category in WALKWAY:
                kind = NodeKind.JUNCTION
            else:
                kind = NodeKind.ROOM
            self.nodes[u.id] = Node(
                u.id,
                kind,
                bid,
                floor.name,
                floor.ordinal,
                u.point[0],
                u.point[1],
                name_en=u.name_en,
                name_zh=u.name_zh,
                landmark_en=u.name_en if kind is NodeKind.ROOM else "",
                landmark_zh=u.name_zh if kind is NodeKind.ROOM else "",
                category=ROOM_CATEGORY.get(u.category.split(".")[0], "") if kind is NodeKind.ROOM else "",
            )
            polys = getattr(u.geom, "geoms", [u.geom])
            for poly in polys:
                self.outlines.append(
                    Outline(
                        bid,
                        floor.name,
                        u.category,
                        tuple((float(x), float(y)) for x, y in poly.exterior.coords),
                        u.name_en,
                    )
                )

    def _openings(self, units: dict[str, Unit], levels: dict[str, tuple[str, Floor]]) -> None:
        by_level: dict[str, list[Unit]] = defaultdict(list)
        for u in units.values():
            by_level[u.level].append(u)
        trees = {lid: shapely.STRtree([u.geom for u in us]) for lid, us in by_level.items()}
        unusual: dict[str, list[str]] = defaultdict(list)
        for op in self.files.get("opening", []):
            oid = str(op.get("id"))
            props = op.get("properties") or {}
            lid = props.get("level_id")
            if lid not in levels:
                self.report.error("dangling_reference", f"opening {oid} on an unknown level", [oid])
                continue
            geom = self.geometry(op, ("LineString", "MultiLineString"))
            if geom is None:
                continue
            category = str(props.get("category") or "")
            if category not in PEDESTRIAN:
                unusual[category or "(none)"].append(oid)
            bid, floor = levels[lid]
            mid = geom.interpolate(0.5, normalized=True) if isinstance(geom, LineString) else geom.centroid
            self.nodes[oid] = Node(oid, NodeKind.JUNCTION, bid, floor.name, floor.ordinal, mid.x, mid.y)
            near = trees[lid].query(geom, predicate="dwithin", distance=TOUCH_M) if lid in trees else []
            for i in near:
                u = by_level[lid][int(i)]
                u.openings.append(oid)
                length = math.hypot(mid.x - u.point[0], mid.y - u.point[1])
                self.edges.append(Edge(f"{oid}>{u.id}", EdgeKind.DOOR, oid, u.id, round(length, 2)))
        for category, oids in unusual.items():
            self.report.warn(
                "unusual_opening_category",
                f"{len(oids)} opening(s) of category {category!r}, treated as walkable doors",
                oids,
            )
        lonely = sorted(u.id for u in units.values() if not u.openings)
        if lonely:
            self.report.warn("unit_without_openings", f"{len(lonely)} unit(s) have no opening", lonely)
        # Inside a walkway, go straight from door to door rather than via its middle; two doors
        # that both touch two walkways are joined once (the edge id is the pair).
        joined: set[tuple[str, str]] = set()
        for u in units.values():
            if u.category in WALKWAY:
                ops = [self.nodes[o] for o in u.openings]
                for i, a in enumerate(ops):
                    for b in ops[i + 1 :]:
                        if (a.id, b.id) in joined:
                            continue
                        joined.add((a.id, b.id))
                        length = math.hypot(a.x - b.x, a.y - b.y)
                        self.edges.append(
                            Edge(f"{a.id}~{b.id}", EdgeKind.CORRIDOR, a.id, b.id, round(length, 2))
                        )

    def _entrances(
        self,
        units: dict[str, Unit],
        levels: dict[str, tuple[str, Floor]],
        buildings: dict[str, Building],
    ) -> None:
        """Exterior openings are entrances; buildings are joined outdoors between them."""
        touching: dict[str, int] = defaultdict(int)
        for u in units.values():
            for o in u.openings:
                touching[o] += 1
        entrances: dict[str, list[Node]] = defaultdict(list)
        for oid, count in touching.items():
            node = self.nodes[oid]
            floor = buildings[node.building].floors[0]
            if count == 1 and node.ordinal == floor.ordinal:
                entrances[node.building].append(node)
        missing = [b for b in buildings if not entrances[b]]
        if missing:
            self.report.warn(
                "no_entrance_openings",
                "no exterior opening on the lowest floor: the walkway nearest the other "
                "buildings is taken as the entrance",
                missing,
            )
        for bid in missing:
            lowest = buildings[bid].floors[0]
            walkways = [
                u for u in units.values() if u.category in WALKWAY and levels[u.level] == (bid, lowest)
            ]
            if not walkways:
                continue
            others = [Point(n.x, n.y) for b, ns in entrances.items() if b != bid for n in ns]
            others += [u.geom.centroid for u in units.values() if levels[u.level][0] != bid][:200]
            target = shapely.centroid(shapely.MultiPoint(others)) if others else walkways[0].geom
            best = min(walkways, key=lambda u: u.geom.distance(target))
            point = shapely.shortest_line(best.geom, target).coords[0]
            eid = f"entrance:{bid}"
            self.nodes[eid] = Node(
                eid,
                NodeKind.ENTRANCE,
                bid,
                lowest.name,
                lowest.ordinal,
                point[0],
                point[1],
                name_en=f"Entrance of {buildings[bid].name_en}",
            )
            length = math.hypot(point[0] - best.point[0], point[1] - best.point[1])
            self.edges.append(Edge(f"{eid}>{best.id}", EdgeKind.DOOR, eid, best.id, round(length, 2)))
            entrances[bid].append(self.nodes[eid])
        codes = sorted(b for b in entrances if entrances[b])
        for i, a in enumerate(codes):
            for b in codes[i + 1 :]:
                na, nb = min(
                    ((x, y) for x in entrances[a] for y in entrances[b]),
                    key=lambda p: math.hypot(p[0].x - p[1].x, p[0].y - p[1].y),
                )
                length = math.hypot(na.x - nb.x, na.y - nb.y) * OUTDOOR_DETOUR
                self.edges.append(
                    Edge(f"outdoor:{na.id}:{nb.id}", EdgeKind.OUTDOOR, na.id, nb.id, round(length, 1))
                )
                self.report.warn(
                    "buildings_joined_outdoors",
                    f"buildings {a} and {b} are joined only outdoors (estimated {length:.0f} m)",
                    [a, b],
                )
