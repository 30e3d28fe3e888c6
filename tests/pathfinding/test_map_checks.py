"""Maps wrong in ways that endanger a patient are refused or warned about, naming the features."""

from __future__ import annotations

import json
from typing import Any

from pathfinding import EdgeKind, Router, check_map, load_map, map_schema

from .conftest import DEMO_MAP


def demo() -> dict[str, Any]:
    return json.loads(DEMO_MAP.read_text("utf-8"))


def edge(data: dict[str, Any], edge_id: str) -> dict[str, Any]:
    return next(e for e in data["edges"] if e["id"] == edge_id)


def test_a_corridor_between_floors_is_warned_about_and_kept_from_wheelchairs() -> None:
    """Stair edges retyped as corridors sent a wheelchair route over the stairs."""
    data = demo()
    for e in data["edges"]:
        if e["kind"] == "stairs" and e["id"].startswith("A"):
            e["kind"] = "corridor"
    site, report = load_map(data)
    warned = report.find("floor_change_on_flat_edge")
    assert warned and "A1-S1~A2-S1" in warned[0].ids
    router = Router(site, index_profiles=())
    retyped = {e["id"] for e in data["edges"] if e["kind"] == "corridor" and "-S" in e["id"]}
    for a, b in (("A1-01", "A4-01"), ("A3-01", "A1-08"), ("A2-01", "A5-01")):
        assert not retyped & set(router.path(a, b, "wheelchair").edges)
    assert retyped & set(router.path("A3-01", "A4-01", "walking").edges)  # walkers may


def test_a_level_link_the_map_confirms_is_step_free_serves_wheelchairs() -> None:
    data = demo()
    sky = edge(data, "SKYBRIDGE-2F")
    b2 = next(f for b in data["buildings"] if b["code"] == "B" for f in b["floors"] if f["name"] == "2F")
    b2["ordinal"] = 3  # building B numbers its floors one higher
    for b in data["buildings"]:
        if b["code"] == "B":
            for f in b["floors"]:
                if f["name"] != "2F":
                    f["ordinal"] += 1
    sky["step_free"] = True
    site, report = load_map(data)
    assert not report.find("floor_change_on_flat_edge")
    assert "SKYBRIDGE-2F" in Router(site, index_profiles=()).path("A2-01", "B2-01", "wheelchair").edges


def test_stairs_on_one_floor_are_warned_about() -> None:
    data = demo()
    data["edges"].append({"id": "STEPS-A1", "kind": "stairs", "from": "A1-C1", "to": "A1-C2"})
    _, report = load_map(data)
    assert report.find("stairs_on_one_floor")[0].ids == ("STEPS-A1",)


def test_an_elevator_with_stops_in_two_buildings_is_refused() -> None:
    data = demo()
    car = next(c for c in data["elevators"] if c["id"] == "A-E1")
    car["stops"].append("B4-E")
    data["elevators"] = [
        {**c, "stops": [s for s in c["stops"] if s != "B4-E"]} if c["id"] == "B-E" else c
        for c in data["elevators"]
    ]
    site, report = check_map(data)
    assert site is None
    issue = report.find("elevator_in_two_buildings")[0]
    assert issue.ids[0] == "A-E1" and "B4-E" in issue.ids


def test_a_map_without_an_entrance_is_warned_about() -> None:
    data = demo()
    for n in data["nodes"]:
        if n["kind"] == "entrance":
            n["kind"] = "junction"
    _, report = load_map(data)
    assert report.find("no_entrance")


def test_a_part_without_rooms_and_without_a_link_to_the_rest_is_named() -> None:
    data = demo()
    data["nodes"] += [
        {"id": "ISLAND-DOOR", "kind": "entrance", "building": "B", "floor": "1F", "x": 500, "y": 0},
        {"id": "ISLAND-HALL", "kind": "junction", "building": "B", "floor": "1F", "x": 510, "y": 0},
    ]
    data["edges"].append({"id": "ISLAND", "kind": "corridor", "from": "ISLAND-DOOR", "to": "ISLAND-HALL"})
    _, report = load_map(data)
    parts = report.find("disconnected_parts")
    assert parts and {"ISLAND-DOOR", "ISLAND-HALL"} <= set(parts[0].ids)


def l_shaped_building(mirrored: bool) -> dict[str, Any]:
    """An L-shaped building: a wing along the south side and one up the west side."""
    points = [(x, 5.0) for x in range(2, 30, 4)] + [(5.0, y) for y in range(9, 30, 4)]
    if mirrored:  # a floor image read with y down, not flipped
        points = [(x, 30.0 - y) for x, y in points]
    nodes = [
        {"id": f"J{i}", "kind": "junction", "building": "A", "floor": "1", "x": x, "y": y}
        for i, (x, y) in enumerate(points)
    ]
    nodes[0]["kind"] = "entrance"
    nodes[-1]["kind"] = "room"
    return {
        "format": "carepath-map",
        "version": 1,
        "site": {"code": "l"},
        "buildings": [
            {
                "code": "A",
                "floors": [{"name": "1", "ordinal": 1}],
                "outline": [[0, 0], [30, 0], [30, 10], [10, 10], [10, 30], [0, 30]],
            }
        ],
        "nodes": nodes,
        "edges": [
            {"id": f"C{i}", "kind": "corridor", "from": f"J{i}", "to": f"J{i + 1}"}
            for i in range(len(points) - 1)
        ],
    }


def test_a_floor_whose_y_axis_was_not_flipped_is_detected_from_the_building_outline() -> None:
    _, upright = load_map(l_shaped_building(mirrored=False))
    assert not upright.find("mirrored_floor")
    _, mirrored = load_map(l_shaped_building(mirrored=True))
    issue = mirrored.find("mirrored_floor")[0]
    assert issue.ids == ("A",) and "floor 1" in issue.message


def test_the_demo_map_has_none_of_these_problems() -> None:
    _, report = load_map(demo())
    assert not report.codes() & {
        "floor_change_on_flat_edge",
        "stairs_on_one_floor",
        "elevator_in_two_buildings",
        "no_entrance",
        "disconnected_parts",
        "mirrored_floor",
    }
    assert EdgeKind.STAIRS  # the demo keeps its stairs as stairs


QUOTED = (("`", "`"), ("`", "[]`"), ('`"', '"'))


def test_the_docs_state_every_rule_of_the_schema() -> None:
    """docs/map-format.md is what an IT person converts a map from: every key and every
    allowed value of the schema is there."""
    docs = (DEMO_MAP.parents[2] / "docs" / "map-format.md").read_text("utf-8")
    keys: set[str] = set()
    values: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            keys.update(node.get("properties", {}))
            values.update(str(v) for v in node.get("enum", ()))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(map_schema())
    missing = sorted(k for k in keys | values if not any(f"{q}{k}{e}" in docs for q, e in QUOTED))
    assert missing == []
    assert "no whitespace" in docs


def test_the_campus_and_demo_maps_raise_only_warnings_the_docs_explain(campus_dir) -> None:
    from pathfinding.imdf import load_imdf

    docs = (DEMO_MAP.parents[2] / "docs" / "map-format.md").read_text("utf-8")
    _, campus = load_imdf(campus_dir)
    _, demo_report = load_map(demo())
    assert demo_report.warnings == []
    unexplained = sorted({w.code for w in campus.warnings} - {c for c in campus.codes() if f"`{c}`" in docs})
    assert unexplained == []
