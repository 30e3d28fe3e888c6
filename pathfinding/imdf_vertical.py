"""Elevators, stairs and escalators of an IMDF archive: units stacked over each other (or
joined by relationship features) on different floors."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .imdf_archive import Unit
from .model import Edge, EdgeKind, Elevator, Floor, Node
from .validation import MapReport

STACK_OVERLAP = 0.3  # share of the smaller outline two stacked units must have in common
Files = dict[str, list[dict[str, Any]]]


def stacks(
    units: list[Unit],
    levels: dict[str, tuple[str, Floor]],
    links: list[tuple[str, str]] | None = None,
) -> list[list[Unit]]:
    """Groups of units joined by ``links`` or, without links, stacked over each other
    (same building, outlines overlapping) on different floors."""
    parent = {u.id: u.id for u in units}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    if links is not None:
        for a_id, b_id in links:
            if a_id in parent and b_id in parent:
                parent[find(a_id)] = find(b_id)
    else:
        for i, a in enumerate(units):
            for b in units[i + 1 :]:
                (ba, fa), (bb, fb) = levels[a.level], levels[b.level]
                if ba != bb or fa.ordinal == fb.ordinal:
                    continue
                common = a.geom.intersection(b.geom).area
                if common > STACK_OVERLAP * min(a.geom.area, b.geom.area):
                    parent[find(a.id)] = find(b.id)
    groups: dict[str, list[Unit]] = defaultdict(list)
    for u in units:
        groups[find(u.id)].append(u)
    return [sorted(g, key=lambda u: levels[u.level][1].ordinal) for g in groups.values()]


def relationship_links(
    files: Files, units: dict[str, Unit], nodes: dict[str, Node], report: MapReport
) -> dict[str, list[tuple[str, str]]]:
    """Unit pairs joined by relationship features, by category (elevator, stairs...)."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rel in files.get("relationship", []):
        rid = str(rel.get("id"))
        props = rel.get("properties") or {}
        refs = [props.get("origin"), *(props.get("intermediary") or []), props.get("destination")]
        ids = [str(r.get("id")) for r in refs if isinstance(r, dict)]
        missing = [i for i in ids if i not in units and i not in nodes]
        if missing:
            report.error(
                "dangling_reference",
                f"relationship {rid} names unknown features",
                [rid, *missing],
            )
            continue
        unit_ids = [i for i in ids if i in units]
        out[str(props.get("category"))].extend(zip(unit_ids, unit_ids[1:], strict=False))
    return out


def vertical_connectors(
    files: Files,
    units: dict[str, Unit],
    levels: dict[str, tuple[str, Floor]],
    nodes: dict[str, Node],
    report: MapReport,
) -> tuple[list[Elevator], list[Edge]]:
    """Elevator cars, and stair/escalator edges between floors, from the level-changing units."""
    has_relationships = "relationship" in files
    links = relationship_links(files, units, nodes, report)
    edges: list[Edge] = []
    elevators: list[Elevator] = []
    lifts = [u for u in units.values() if u.category == "elevator"]
    lift_links = links.get("elevator") if has_relationships else None
    for n, stack in enumerate(stacks(lifts, levels, lift_links or None), start=1):
        elevators.append(
            Elevator(
                f"elevator:{stack[0].id}",
                stack[0].name_en or f"elevator {n}",
                stack[0].name_zh or f"{n}号电梯",
                tuple(u.id for u in stack),
            )
        )
    for category, kind in (
        ("stairs", EdgeKind.STAIRS),
        ("steps", EdgeKind.STAIRS),
        ("escalator", EdgeKind.ESCALATOR),
    ):
        flights = [u for u in units.values() if u.category == category]
        flight_links = links.get(category) if has_relationships else None
        for stack in stacks(flights, levels, flight_links or None):
            for lo, hi in zip(stack, stack[1:], strict=False):
                if levels[lo.level][1].ordinal != levels[hi.level][1].ordinal:
                    edges.append(Edge(f"{lo.id}^{hi.id}", kind, lo.id, hi.id, 10.0))
    return elevators, edges
