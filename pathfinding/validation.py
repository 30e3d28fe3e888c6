"""Map validation: errors refuse a map, warnings are reported and the map is accepted.

Every issue lists the ids of the offending features (nodes, edges, elevators, or IMDF
feature ids) so whoever maintains the map can find them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components, dijkstra

from .graph import ProfileGraph, SiteGraph
from .model import WALKING, WHEELCHAIR, NodeKind, SiteMap


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
    for car in site.elevators:
        floors = {(site.nodes[s].building, site.nodes[s].floor) for s in car.stops}
        if len(floors) < 2:
            report.warn("elevator_one_floor", f"elevator {car.id} serves only one floor", [car.id])
    graph = SiteGraph.from_site(site)
    entrances = [graph.index[n.id] for n in site.nodes.values() if n.kind is NodeKind.ENTRANCE]
    walk = ProfileGraph(site, graph, WALKING)
    _, labels = connected_components(walk.matrix(), directed=False)
    biggest = int(np.bincount(labels).argmax())
    apart = sorted(
        n.id for n in site.nodes.values() if n.kind is NodeKind.ROOM and labels[graph.index[n.id]] != biggest
    )
    if apart:
        report.warn(
            "disconnected_parts",
            f"{len(apart)} room(s) have no path at all to the main part of the map",
            apart,
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
    dist = dijkstra(pg.matrix(), indices=np.asarray(starts, dtype=np.int64), min_only=True)
    return np.isfinite(dist)
