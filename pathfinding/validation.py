"""Map validation: errors refuse a map, warnings are reported and the map is accepted.

Every issue lists the ids of the offending features (nodes, edges, elevators, or IMDF
feature ids) so whoever maintains the map can find them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components, dijkstra
from shapely.geometry import Point, Polygon

from .graph import ProfileGraph, SiteGraph
from .model import FLAT_KINDS, WALKING, WHEELCHAIR, EdgeKind, NodeKind, SiteMap


@dataclass(frozen=True, slots=True)
class Issue:
    code: str
    message: str
    ids: tuple[str, ...] = ()

    def text(self) -> str:
        """The message with the ids it names that the message does not already quote."""
        extra = [i for i in self.ids if i not in self.message]
        return f"{self.message} [{', '.join(extra)}]" if extra else self.message


@dataclass
class MapReport:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, code: str, message: str, ids: tuple[str, ...] | list[str] = ()) -> None:
        self.errors.append(Issue(code, message, tuple(ids)))

    def warn(self, code: str, message: str, ids: tuple[str, ...] | list[str] = ()) -> None:
        self.warnings.append(Issue(code, message, tuple(ids)))

    def codes(self) -> set[str]:
        return {i.code for i in self.errors + self.warnings}

    def find(self, code: str) -> list[Issue]:
        return [i for i in self.errors + self.warnings if i.code == code]

    def to_dict(self) -> dict[str, Any]:
        return {
            "errors": [asdict(i) for i in self.errors],
            "warnings": [asdict(i) for i in self.warnings],
        }

    def grouped(self, kind: str = "errors") -> dict[str, list[str]]:
        """Every issue of a kind as text naming its feature ids, grouped by code in the
        order the codes first appear (what an importer shows, all at once)."""
        out: dict[str, list[str]] = {}
        for issue in self.errors if kind == "errors" else self.warnings:
            out.setdefault(issue.code, []).append(issue.text())
        return out

    def raise_for_errors(self) -> None:
        if self.errors:
            raise MapError(self)


class MapError(ValueError):
    """The map was refused; ``errors`` lists what is wrong and which feature ids."""

    def __init__(self, report: MapReport) -> None:
        self.report = report
        self.errors = report.errors
        lines = [f"{i.code}: {i.message} [{', '.join(i.ids[:10])}]" for i in report.errors[:20]]
        super().__init__(f"map refused, {len(report.errors)} error(s):\n" + "\n".join(lines))


def check_graph(site: SiteMap, report: MapReport) -> None:
    """Checks on the walkable graph itself, shared by every map source."""
    if not site.nodes or not site.all_edges():
        report.error("nothing_walkable", "the map has no walkable connections", [site.code])
        return
    check_connectors(site, report)
    check_outlines(site, report)
    graph = SiteGraph.from_site(site)
    entrances = [graph.index[n.id] for n in site.nodes.values() if n.kind is NodeKind.ENTRANCE]
    if not entrances:
        report.warn(
            "no_entrance",
            "the map marks no entrance: patients' first routes start nowhere; mark the doors "
            "patients come in by as 'entrance' nodes",
            [site.code],
        )
    walk = ProfileGraph(site, graph, WALKING)
    _, labels = connected_components(walk.matrix(), directed=False)
    biggest = int(np.bincount(labels).argmax())
    apart = [n for n in site.nodes.values() if labels[graph.index[n.id]] != biggest]
    if apart:
        cut_rooms = sorted(n.id for n in apart if n.kind is NodeKind.ROOM)
        parts = len({int(labels[graph.index[n.id]]) for n in apart})
        report.warn(
            "disconnected_parts",
            f"{parts} part(s) of the map have no path at all to the main part "
            f"({len(cut_rooms)} room(s), {len(apart)} node(s))",
            cut_rooms + sorted(n.id for n in apart if n.kind is not NodeKind.ROOM),
        )
    # no entrance marked: judge from the largest walkable part
    starts = entrances or [int(np.flatnonzero(labels == biggest)[0])]
    walk_reach = _reached(walk, starts)
    rooms = [n for n in site.nodes.values() if n.kind is NodeKind.ROOM]
    lost = [n.id for n in rooms if not walk_reach[graph.index[n.id]]]
    if lost:
        report.warn("unreachable_rooms", f"{len(lost)} room(s) no one can reach", lost)
    chair_reach = _reached(ProfileGraph(site, graph, WHEELCHAIR), starts)
    for code, building in site.buildings.items():
        stuck = [
            n
            for n in site.nodes.values()
            if n.building == code
            and n.kind not in (NodeKind.STAIRS, NodeKind.ESCALATOR)
            and walk_reach[graph.index[n.id]]
            and not chair_reach[graph.index[n.id]]
        ]
        if stuck:
            names = ", ".join(f for _, f in sorted({(n.ordinal, n.floor) for n in stuck}))
            cut_off = [n.id for n in stuck if n.kind is NodeKind.ROOM]
            report.warn(
                "no_step_free_access",
                f"building {code} ({building.name_en}) has no step-free access to "
                f"parts of floor(s) {names} ({len(cut_off)} room(s))",
                [code, *cut_off],
            )


def _reached(pg: ProfileGraph, starts: list[int]) -> np.ndarray:
    origins = pg.out_of[np.asarray(starts, dtype=np.int64)]
    dist = dijkstra(pg.matrix(), indices=origins, min_only=True)
    return np.isfinite(dist)


def check_connectors(site: SiteMap, report: MapReport) -> None:
    """Lifts, stairs and corridors that say one thing and join another."""
    for car in site.elevators:
        floors = {(site.nodes[s].building, site.nodes[s].floor) for s in car.stops}
        if len(floors) < 2:
            report.warn("elevator_one_floor", f"elevator {car.id} serves only one floor", [car.id])
        buildings = sorted({site.nodes[s].building for s in car.stops})
        if len(buildings) > 1:
            report.error(
                "elevator_in_two_buildings",
                f"elevator {car.id} stops in buildings {', '.join(buildings)}; a car serves one "
                "building (were two shafts merged?)",
                [car.id, *car.stops],
            )
    suspect, level = [], []
    for e in site.edges:
        a, b = site.nodes[e.a], site.nodes[e.b]
        if e.kind in FLAT_KINDS and a.ordinal != b.ordinal and not e.step_free:
            suspect.append(e.id)
        if e.kind is EdgeKind.STAIRS and a.ordinal == b.ordinal:
            level.append(e.id)
    if suspect:
        report.warn(
            "floor_change_on_flat_edge",
            f"{len(suspect)} corridor/door/skybridge edge(s) join two floors: kept from wheelchair "
            'routes until the edge says "step_free": true (or use stairs, ramp or elevator)',
            suspect,
        )
    if level:
        report.warn("stairs_on_one_floor", f"{len(level)} stairs edge(s) join two points of one floor", level)


MIRROR_FIT = 0.9  # share of a floor's nodes inside the outline that makes a fit


def check_outlines(site: SiteMap, report: MapReport) -> None:
    """A floor whose nodes fit the building's outline only when turned upside down was read
    from an image without flipping its y axis: every left and right would be swapped."""
    for code, building in site.buildings.items():
        if len(building.outline) < 3:
            continue
        outline = Polygon(building.outline).buffer(1.0)
        _, y0, _, y1 = outline.bounds
        flipped = Polygon([(x, y0 + y1 - y) for x, y in building.outline]).buffer(1.0)
        mirrored = []
        for floor in building.floors:
            points = [
                Point(n.x, n.y) for n in site.nodes.values() if n.building == code and n.floor == floor.name
            ]
            if not points:
                continue
            fit = sum(outline.covers(p) for p in points) / len(points)
            fit_flipped = sum(flipped.covers(p) for p in points) / len(points)
            if fit_flipped >= MIRROR_FIT and fit_flipped - fit >= 0.2:
                mirrored.append(floor.name)
        if mirrored:
            report.warn(
                "mirrored_floor",
                f"building {code}: floor {', '.join(mirrored)} fits the outline only upside down "
                "(was the y axis of the floor image not flipped? y grows north)",
                [code],
            )
