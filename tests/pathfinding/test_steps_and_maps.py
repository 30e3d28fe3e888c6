"""What a patient reads and what a map maintainer is told."""

from __future__ import annotations

import json
import math
import xml.dom.minidom
from pathlib import Path

import pytest

from pathfinding import (
    EdgeKind,
    MapError,
    NodeKind,
    Router,
    SiteMap,
    check_map,
    dump_map,
    load_map,
    map_schema,
)
from pathfinding.schema import schema_errors
from pathfinding.svg import floor_svg, route_svgs

from .conftest import DEMO_MAP, DEMO_ROOMS


def test_steps_name_elevator_floor_turns_and_landmarks(demo_router: Router) -> None:
    route = demo_router.route("A1-01", "B3-01", "wheelchair")
    kinds = [s.kind for s in route.steps]
    assert kinds[0] == "start" and kinds[-1] == "arrive"
    elevator = next(s for s in route.steps if s.kind == "elevator" and "Elevator B" in s.text_en)
    assert "take Elevator B to floor 3F" in elevator.text_en
    assert "乘坐B号电梯到3楼" in elevator.text_zh
    assert any("turn left at ultrasound waiting area" in s.text_en.lower() for s in route.steps)
    assert any("在超声候诊区左转" in s.text_zh for s in route.steps)
    assert route.steps[-1].text_en == "Arrive at MRI room 1 (B3-01), floor 3F of Medical Technology Building."
    assert route.steps[-1].text_zh == "到达医技楼3楼的磁共振室1（B3-01）。"
    assert sum(s.seconds for s in route.steps) == pytest.approx(route.seconds, abs=0.01)
    assert sum(s.distance_m for s in route.steps) == pytest.approx(route.distance_m, abs=0.01)


def _first_turn(route) -> str:
    words = " ".join(s.text_en.lower() for s in route.steps)
    return min((words.find(t), t) for t in ("turn left", "turn right") if t in words)[1]


def test_turn_direction_follows_the_map(demo_router: Router) -> None:
    # Leaving the Café (south side of the corridor, door facing north) towards the
    # entrance in the west means turning left; towards the east, right.
    assert _first_turn(demo_router.route("A1-08", "ENTRANCE-A")) == "turn left"
    assert _first_turn(demo_router.route("A1-08", "A1-12")) == "turn right"


def test_walkers_get_stairs_and_floor_words(demo_router: Router) -> None:
    route = demo_router.route("A3-01", "A4-01", "walking")
    assert any("take the stairs up to floor 4f" in s.text_en.lower() for s in route.steps)
    assert any("走楼梯上到4楼" in s.text_zh for s in route.steps)


def test_legs_split_per_floor_and_serialise(demo_router: Router) -> None:
    route = demo_router.route("ENTRANCE-A", "B2-01", "wheelchair")
    floors = [(leg.building, leg.floor) for leg in route.legs]
    assert floors[0] == ("A", "1F") and floors[-1] == ("B", "2F")
    assert all(a != b for a, b in zip(floors, floors[1:], strict=False))
    assert sum(leg.seconds for leg in route.legs) == pytest.approx(route.seconds, abs=0.01)
    assert [p.id for leg in route.legs for p in leg.points] == route.nodes
    data = json.loads(json.dumps(route.to_dict(), ensure_ascii=False))
    assert set(data) >= {"distance_m", "seconds", "profile", "legs", "steps", "nodes"}
    assert data["steps"][0].keys() >= {"text_en", "text_zh", "kind", "distance_m", "seconds"}
    assert data["legs"][0].keys() >= {"building", "floor", "ordinal", "points"}


def test_demo_map_has_every_room_and_all_reachable_step_free(demo_site: SiteMap) -> None:
    data = json.loads(DEMO_MAP.read_text("utf-8"))
    assert schema_errors(data, map_schema()) == []
    _, report = load_map(DEMO_MAP)
    assert report.errors == [] and report.warnings == []
    rooms = json.loads(DEMO_ROOMS.read_text("utf-8"))["rooms"]
    assert len(rooms) == 48
    for room in rooms:
        node = demo_site.nodes[room["code"]]
        assert node.kind is NodeKind.ROOM
        assert (node.building, node.floor) == (room["building"], room["floor"])
        assert node.name_en == room["name_en"] and node.name_zh == room["name_zh"]
    assert set(demo_site.rooms()) == {r["code"] for r in rooms}
    cars = {c.id: demo_site.nodes[c.stops[0]].building for c in demo_site.elevators}
    assert sorted(cars.values()) == ["A", "A", "B"]
    kinds = {e.kind for e in demo_site.edges}
    assert {EdgeKind.SKYBRIDGE, EdgeKind.OUTDOOR, EdgeKind.STAIRS} <= kinds
    sky = next(e for e in demo_site.edges if e.kind is EdgeKind.SKYBRIDGE)
    assert {demo_site.nodes[sky.a].floor, demo_site.nodes[sky.b].floor} == {"2F"}
    assert {"ENTRANCE-A", "ENTRANCE-B"} <= set(demo_site.nodes)
    landmarks = {n.landmark_en for n in demo_site.nodes.values()}
    assert {"Main reception", "Café", "Radiology reception"} <= landmarks
    router = Router(demo_site, index_profiles=("wheelchair",))
    places = [*demo_site.rooms(), "ENTRANCE-A", "ENTRANCE-B"]
    matrix = router.walking_matrix("wheelchair", places)
    assert all(math.isfinite(s) for row in matrix.values() for s in row.values())


def test_dump_and_load_round_trip(demo_site: SiteMap) -> None:
    again, _ = load_map(dump_map(demo_site))
    assert again.nodes == demo_site.nodes
    assert again.edges == demo_site.edges
    assert again.elevators == demo_site.elevators


def test_malformed_map_refused_with_feature_ids(demo_site: SiteMap) -> None:
    data = dump_map(demo_site)
    data["edges"].append({"id": "ghost-corridor", "kind": "corridor", "from": "A1-C0", "to": "X"})
    data["nodes"].append({"id": "lost-door", "kind": "room", "building": "A", "floor": "9F", "x": 0, "y": 0})
    data["elevators"].append({"id": "phantom-lift", "stops": ["A1-01"]})
    with pytest.raises(MapError) as err:
        load_map(data)
    ids = {i for issue in err.value.errors for i in issue.ids}
    assert {"ghost-corridor", "lost-door", "phantom-lift"} <= ids
    assert {i.code for i in err.value.errors} == {"dangling_reference"}
    assert "ghost-corridor" in str(err.value)


def test_schema_violations_name_the_feature(demo_site: SiteMap) -> None:
    data = dump_map(demo_site)
    data["nodes"][3]["kind"] = "teleporter"
    data["edges"][0]["length_m"] = -4
    del data["buildings"][0]["floors"][0]["ordinal"]
    site, report = check_map(data)
    assert site is None
    ids = {i for issue in report.errors for i in issue.ids}
    assert {data["nodes"][3]["id"], data["edges"][0]["id"], "A"} <= ids


def test_map_without_walkable_connections_refused() -> None:
    data = {
        "format": "carepath-map",
        "version": 1,
        "site": {"code": "empty"},
        "buildings": [{"code": "A", "floors": [{"name": "1F", "ordinal": 1}]}],
        "nodes": [{"id": "A1-01", "kind": "room", "building": "A", "floor": "1F", "x": 0, "y": 0}],
        "edges": [],
    }
    with pytest.raises(MapError) as err:
        load_map(data)
    assert err.value.errors[0].code == "nothing_walkable"


def test_warnings_for_lost_rooms_and_one_floor_elevators(demo_site: SiteMap) -> None:
    data = dump_map(demo_site)
    data["edges"] = [e for e in data["edges"] if e["from"] != "B5-01"]
    data["elevators"][2]["stops"] = ["B1-E"]
    site, report = load_map(data)
    assert report.find("unreachable_rooms")[0].ids == ("B5-01",)
    assert report.find("elevator_one_floor")[0].ids == ("B-E",)
    assert "B" in report.find("no_step_free_access")[0].ids


def test_floor_svg_draws_the_route(demo_router: Router, demo_site: SiteMap) -> None:
    route = demo_router.route("A1-01", "B3-01", "wheelchair")
    drawings = route_svgs(demo_site, route)
    assert len(drawings) == len({(leg.building, leg.floor) for leg in route.legs})
    first = xml.dom.minidom.parseString(drawings[0])
    assert first.documentElement.tagName == "svg"
    assert first.getElementsByTagName("polyline")[0].getAttribute("class") == "route"
    assert 'class="route-start"' in drawings[0] and 'class="route-end"' in drawings[-1]
    plain = floor_svg(demo_site, "B", "2F", lang="zh")
    assert "超声室1" in plain and "polyline" not in plain
    with pytest.raises(ValueError):
        floor_svg(demo_site, "B", "9F")


def test_schema_file_is_valid_json_schema_shape() -> None:
    schema = json.loads((Path(__file__).parents[2] / "pathfinding" / "map.schema.json").read_text("utf-8"))
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["required"]) >= {"buildings", "nodes", "edges"}
