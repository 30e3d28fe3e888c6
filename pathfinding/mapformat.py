"""CarePath's own JSON map format (described by ``map.schema.json``): load, check, save."""

from __future__ import annotations

import json
import math
from collections import Counter
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .model import Building, Edge, EdgeKind, Elevator, Floor, Node, NodeKind, SiteMap
from .schema import schema_errors
from .validation import MapReport, check_graph


@cache
def map_schema() -> dict[str, Any]:
    """The JSON Schema of the format."""
    text = resources.files("pathfinding").joinpath("map.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_map(source: str | Path | dict[str, Any]) -> tuple[SiteMap, MapReport]:
    """Read a map (path or parsed JSON); raises :class:`MapError` when it has errors."""
    site, report = check_map(source)
    report.raise_for_errors()
    assert site is not None
    return site, report


def check_map(source: str | Path | dict[str, Any]) -> tuple[SiteMap | None, MapReport]:
    """Like :func:`load_map` but returns the report instead of raising."""
    data = source if isinstance(source, dict) else json.loads(Path(source).read_text("utf-8"))
    report = MapReport()
    problems = schema_errors(data, map_schema())
    for pointer, message in problems:
        report.error("schema", f"{pointer}: {message}", [_feature_id(data, pointer)])
    if problems:
        return None, report
    site = _build(data, report)
    if report.errors:
        return None, report
    check_graph(site, report)
    return (None if report.errors else site), report


def _feature_id(data: dict[str, Any], pointer: str) -> str:
    """The id of the node/edge/... a JSON pointer points into, else the pointer."""
    parts = pointer.strip("/").split("/")
    if len(parts) >= 2 and parts[0] in ("nodes", "edges", "elevators", "buildings"):
        try:
            item = data[parts[0]][int(parts[1])]
            return str(item.get("id") or item.get("code") or pointer)
        except (IndexError, ValueError, AttributeError, TypeError):
            pass
    return pointer


def _dupes(ids: list[str]) -> list[str]:
    return sorted(i for i, c in Counter(ids).items() if c > 1)


def _build(data: dict[str, Any], report: MapReport) -> SiteMap:
    buildings: dict[str, Building] = {}
    for b in data["buildings"]:
        floors = tuple(Floor(f["name"], f["ordinal"]) for f in b["floors"])
        if _dupes([f.name for f in floors]):
            report.error("duplicate_id", f"building {b['code']} repeats a floor", [b["code"]])
        buildings[b["code"]] = Building(
            b["code"],
            b.get("name_en", ""),
            b.get("name_zh", ""),
            floors,
            outdoor=b.get("outdoor", False),
            outline=tuple((float(p[0]), float(p[1])) for p in b.get("outline", ())),
        )
    for kind in ("nodes", "edges", "elevators"):
        dupes = _dupes([item["id"] for item in data.get(kind, [])])
        if dupes:
            report.error("duplicate_id", f"{kind} ids used twice", dupes)
    if _dupes([b["code"] for b in data["buildings"]]):
        report.error("duplicate_id", "building codes used twice", _dupes(list(buildings)))
    nodes: dict[str, Node] = {}
    for n in data["nodes"]:
        building = buildings.get(n["building"])
        floor = building.floor(n["floor"]) if building else None
        if floor is None:
            report.error(
                "dangling_reference",
                f"node {n['id']} is on unknown floor {n['building']}/{n['floor']}",
                [n["id"]],
            )
            continue
        if not (math.isfinite(n["x"]) and math.isfinite(n["y"])):
            report.error("malformed_geometry", f"node {n['id']} has no finite position", [n["id"]])
            continue
        nodes[n["id"]] = Node(
            id=n["id"],
            kind=NodeKind(n["kind"]),
            building=n["building"],
            floor=n["floor"],
            ordinal=floor.ordinal,
            x=float(n["x"]),
            y=float(n["y"]),
            name_en=n.get("name_en", ""),
            name_zh=n.get("name_zh", ""),
            landmark_en=n.get("landmark_en", ""),
            landmark_zh=n.get("landmark_zh", ""),
            category=n.get("category", ""),
            no_through_traffic=n.get("no_through_traffic"),
        )
    edges: list[Edge] = []
    for e in data["edges"]:
        missing = [e[k] for k in ("from", "to") if e[k] not in nodes]
        if missing:
            report.error(
                "dangling_reference",
                f"edge {e['id']} joins unknown node(s) {', '.join(missing)}",
                [e["id"]],
            )
            continue
        a, b = nodes[e["from"]], nodes[e["to"]]
        length = e.get("length_m")
        if length is None:
            length = math.hypot(a.x - b.x, a.y - b.y)
        edges.append(
            Edge(
                e["id"],
                EdgeKind(e["kind"]),
                a.id,
                b.id,
                float(length),
                e.get("oneway", False),
                e.get("step_free", False),
            )
        )
    elevators: list[Elevator] = []
    listed = {n["id"] for n in data["nodes"]}
    for car in data.get("elevators", []):
        refused = [s for s in car["stops"] if s in listed and s not in nodes]
        if refused:  # the cause is reported on the node itself
            report.error(
                "dangling_reference",
                f"elevator {car['id']} stops at {', '.join(refused)}, refused above",
                [car["id"], *refused],
            )
        bad = [
            s
            for s in car["stops"]
            if s not in listed or (s in nodes and nodes[s].kind is not NodeKind.ELEVATOR)
        ]
        if bad:
            report.error(
                "dangling_reference",
                f"elevator {car['id']} stops at unknown or non-elevator node(s) {', '.join(bad)}",
                [car["id"], *bad],
            )
        if refused or bad:
            continue
        elevators.append(
            Elevator(car["id"], car.get("name_en", ""), car.get("name_zh", ""), tuple(car["stops"]))
        )
    site = data["site"]
    return SiteMap(
        code=site["code"],
        name_en=site.get("name_en", ""),
        name_zh=site.get("name_zh", ""),
        buildings=buildings,
        nodes=nodes,
        edges=edges,
        elevators=elevators,
    )


def dump_map(site: SiteMap) -> dict[str, Any]:
    """The site as CarePath JSON (outlines are not part of the format)."""

    def opt(**kw: Any) -> dict[str, Any]:
        return {k: v for k, v in kw.items() if v not in ("", False, None)}

    return {
        "format": "carepath-map",
        "version": 1,
        "site": opt(code=site.code, name_en=site.name_en, name_zh=site.name_zh),
        "buildings": [
            {
                **opt(code=b.code, name_en=b.name_en, name_zh=b.name_zh, outdoor=b.outdoor),
                "floors": [{"name": f.name, "ordinal": f.ordinal} for f in b.floors],
                **({"outline": [[round(x, 3), round(y, 3)] for x, y in b.outline]} if b.outline else {}),
            }
            for b in site.buildings.values()
        ],
        "nodes": [
            {
                "id": n.id,
                "kind": n.kind.value,
                "building": n.building,
                "floor": n.floor,
                "x": round(n.x, 3),
                "y": round(n.y, 3),
                **opt(
                    name_en=n.name_en,
                    name_zh=n.name_zh,
                    landmark_en=n.landmark_en,
                    landmark_zh=n.landmark_zh,
                    category=n.category,
                ),
                **({} if n.no_through_traffic is None else {"no_through_traffic": n.no_through_traffic}),
            }
            for n in site.nodes.values()
        ],
        "edges": [
            {
                "id": e.id,
                "kind": e.kind.value,
                "from": e.a,
                "to": e.b,
                "length_m": round(e.length_m, 3),
                **opt(oneway=e.oneway, step_free=e.step_free),
            }
            for e in site.edges
        ],
        "elevators": [
            {**opt(id=c.id, name_en=c.name_en, name_zh=c.name_zh), "stops": list(c.stops)}
            for c in site.elevators
        ],
    }
