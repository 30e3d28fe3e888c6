"""Directions a person can follow: few steps, landmark to landmark, never an empty slot."""

from __future__ import annotations

import dataclasses
import random
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathfinding import NoRouteError, Route, Router, SiteMap, load_map, synthetic_hospital
from pathfinding.svg import floor_svg

TURN_AT = re.compile(r"turn (?:left|right|around) at (.+?)(?=, then | and walk |\.$)", re.IGNORECASE)
# A sentence with a slot left empty: "在左转" (turn left at [nothing]), "到达的", "（）", ids glued...
EMPTY_ZH = re.compile(r"(^|[，。])在(左转|右转|掉头)|的（|到达的|从的|（）|到。|的。|\s{2}|None")
EMPTY_EN = re.compile(r" at [.,]| of [.,]|\(\)|\s{2}| ,|None|^\s|\s$")


def _pairs(site: SiteMap, count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rooms = sorted(site.rooms())
    return [tuple(rng.sample(rooms, 2)) for _ in range(count)]  # type: ignore[misc]


def _routes(router: Router, pairs: list[tuple[str, str]], profile: str = "walking") -> list[Route]:
    out = []
    for a, b in pairs:
        try:
            out.append(router.route(a, b, profile))
        except NoRouteError:
            continue
    return out


def test_demo_routes_fit_in_eight_steps_landmark_to_landmark(demo_router: Router) -> None:
    routes = [
        r
        for profile in ("walking", "wheelchair")
        for r in _routes(demo_router, _pairs(demo_router.site, 150, seed=4), profile)
    ]
    assert len(routes) > 250
    assert max(len(r.steps) for r in routes) <= 8
    for route in routes:
        assert not any(re.fullmatch(r"Walk \d+ m\.", s.text_en) for s in route.steps)  # no bare walks
        named = [m.group(1) for s in route.steps for m in TURN_AT.finditer(s.text_en)]
        assert len(named) == len(set(named)), named  # no landmark twice
        assert sum(s.distance_m for s in route.steps) == pytest.approx(route.distance_m, abs=0.01)
        assert sum(s.seconds for s in route.steps) == pytest.approx(route.seconds, abs=0.01)


def test_consecutive_outdoor_paths_are_one_step_leaving_one_building_for_another() -> None:
    """Six outdoor paths in a row were six "Go outside and walk N m" steps."""
    site, _ = load_map(_two_buildings_and_a_path(segments=6))
    route = Router(site).route("A-101", "B-101")
    outdoor = [s for s in route.steps if s.kind == "outdoor"]
    assert len(outdoor) == 1
    assert "leave Clinic A and walk 60 m outside to floor 1 of Clinic B" in outdoor[0].text_en
    assert "离开A诊楼，在室外步行60米到B诊楼1楼" in outdoor[0].text_zh


def _two_buildings_and_a_path(segments: int) -> dict[str, Any]:
    nodes = [
        {"id": "A-101", "kind": "room", "building": "A", "floor": "1", "x": 0, "y": 5, "name_en": "Room 101"},
        {"id": "A-HALL", "kind": "junction", "building": "A", "floor": "1", "x": 0, "y": 0},
        {"id": "A-DOOR", "kind": "entrance", "building": "A", "floor": "1", "x": 10, "y": 0},
        {"id": "B-DOOR", "kind": "entrance", "building": "B", "floor": "1", "x": 70, "y": 0},
        {"id": "B-HALL", "kind": "junction", "building": "B", "floor": "1", "x": 80, "y": 0},
        {
            "id": "B-101",
            "kind": "room",
            "building": "B",
            "floor": "1",
            "x": 80,
            "y": 5,
            "name_zh": "一零一室",
        },
    ]
    path = ["A-DOOR"]
    for k in range(1, segments):
        nodes.append(
            {"id": f"P{k}", "kind": "junction", "building": "A", "floor": "1", "x": 10 + k * 10, "y": 0}
        )
        path.append(f"P{k}")
    path.append("B-DOOR")
    edges = [
        {"id": "a1", "kind": "door", "from": "A-101", "to": "A-HALL"},
        {"id": "a2", "kind": "corridor", "from": "A-HALL", "to": "A-DOOR"},
        {"id": "b2", "kind": "corridor", "from": "B-DOOR", "to": "B-HALL"},
        {"id": "b1", "kind": "door", "from": "B-HALL", "to": "B-101"},
    ]
    edges += [
        {"id": f"out{k}", "kind": "outdoor", "from": a, "to": b}
        for k, (a, b) in enumerate(zip(path, path[1:], strict=False))
    ]
    floor = [{"name": "1", "ordinal": 1}]
    return {
        "format": "carepath-map",
        "version": 1,
        "site": {"code": "two"},
        "buildings": [
            {"code": "A", "name_en": "Clinic A", "name_zh": "A诊楼", "floors": floor},
            {"code": "B", "name_en": "Clinic B", "name_zh": "B诊楼", "floors": floor},
        ],
        "nodes": nodes,
        "edges": edges,
    }


def _strip_names(site: SiteMap, rng: random.Random) -> SiteMap:
    """The same hospital with names in English only, Chinese only, both or neither, at random."""

    def keep(en: str, zh: str) -> tuple[str, str]:
        choice = rng.choice(("both", "en", "zh", "none"))
        return (en if choice in ("both", "en") else "", zh if choice in ("both", "zh") else "")

    nodes = {}
    for nid, n in site.nodes.items():
        name_en, name_zh = keep(n.name_en, n.name_zh)
        mark_en, mark_zh = keep(n.landmark_en, n.landmark_zh)
        nodes[nid] = dataclasses.replace(
            n, name_en=name_en, name_zh=name_zh, landmark_en=mark_en, landmark_zh=mark_zh
        )
    buildings = {}
    for code, b in site.buildings.items():
        name_en, name_zh = keep(b.name_en, b.name_zh)
        buildings[code] = dataclasses.replace(b, name_en=name_en, name_zh=name_zh)
    elevators = [
        dataclasses.replace(c, **dict(zip(("name_en", "name_zh"), keep(c.name_en, c.name_zh), strict=True)))
        for c in site.elevators
    ]
    return dataclasses.replace(site, nodes=nodes, buildings=buildings, elevators=elevators)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    names_seed=st.integers(0, 10_000),
    profile=st.sampled_from(["walking", "wheelchair"]),
)
def test_directions_never_leave_a_slot_empty_in_either_language(
    seed: int, names_seed: int, profile: str
) -> None:
    base = synthetic_hospital(buildings=2, floors=3, grid=(4, 3), rooms_per_floor=3, seed=seed)
    site = _strip_names(base, random.Random(names_seed))
    router = Router(site, index_profiles=())
    for route in _routes(router, _pairs(site, 6, seed), profile):
        for step in route.steps:
            assert not EMPTY_ZH.search(step.text_zh), step.text_zh
            assert not EMPTY_EN.search(step.text_en), step.text_en
        named = [m.group(1) for s in route.steps for m in TURN_AT.finditer(s.text_en)]
        assert len(named) == len(set(named)), named
        for building, floor in {(leg.building, leg.floor) for leg in route.legs}:
            title = re.search(r"<title[^>]*>(.*)</title>", floor_svg(site, building, floor, route, lang="zh"))
            assert title and not title.group(1).startswith(" ") and floor in title.group(1).replace("楼", "F")


def test_outdoor_paths_as_their_own_level_read_leave_a_enter_b() -> None:
    data = _two_buildings_and_a_path(segments=4)
    data["buildings"].append(
        {
            "code": "OUT",
            "name_en": "Campus paths",
            "name_zh": "院内道路",
            "outdoor": True,
            "floors": [{"name": "G", "ordinal": 1}],
        }
    )
    for node in data["nodes"]:
        if node["id"].startswith("P"):
            node["building"], node["floor"] = "OUT", "G"
    for e in data["edges"]:
        if e["kind"] == "outdoor" and e["from"].startswith("P") and e["to"].startswith("P"):
            e["kind"] = "corridor"  # paths on the outdoor level are plain paths
    site, report = load_map(data)
    assert report.ok
    route = Router(site).route("A-101", "B-101")
    outdoor = [s for s in route.steps if s.kind == "outdoor"]
    assert len(outdoor) == 1
    assert "leave Clinic A and walk 60 m outside to floor 1 of Clinic B" in outdoor[0].text_en
    assert "离开A诊楼，在室外步行60米到B诊楼1楼" in outdoor[0].text_zh
    assert ("OUT", "G") in {(leg.building, leg.floor) for leg in route.legs}


def test_a_split_elevator_bank_names_each_car_ridden() -> None:
    """A low-rise car (floors 1-2) and a high-rise car (floors 1, 4) share the lobby stop."""
    floors = [{"name": f"{k}F", "ordinal": k} for k in (1, 2, 3, 4)]
    nodes = [
        {"id": "E1", "kind": "elevator", "building": "A", "floor": "1F", "x": 0, "y": 0},
        {"id": "E2", "kind": "elevator", "building": "A", "floor": "2F", "x": 0, "y": 0},
        {"id": "E4", "kind": "elevator", "building": "A", "floor": "4F", "x": 0, "y": 0},
        {"id": "R2", "kind": "room", "building": "A", "floor": "2F", "x": 10, "y": 0},
        {"id": "R4", "kind": "room", "building": "A", "floor": "4F", "x": 10, "y": 0},
        {"id": "IN", "kind": "entrance", "building": "A", "floor": "1F", "x": -10, "y": 0},
    ]
    edges = [
        {"id": "d2", "kind": "corridor", "from": "E2", "to": "R2"},
        {"id": "d4", "kind": "corridor", "from": "E4", "to": "R4"},
        {"id": "d1", "kind": "corridor", "from": "IN", "to": "E1"},
    ]
    cars = [
        {"id": "LOW", "name_en": "Low-rise elevator", "name_zh": "低区电梯", "stops": ["E1", "E2"]},
        {"id": "HIGH", "name_en": "High-rise elevator", "name_zh": "高区电梯", "stops": ["E1", "E4"]},
    ]
    site, report = load_map(
        {
            "format": "carepath-map",
            "version": 1,
            "site": {"code": "bank"},
            "buildings": [{"code": "A", "name_en": "Tower", "floors": floors}],
            "nodes": nodes,
            "edges": edges,
            "elevators": cars,
        }
    )
    assert report.ok, report.to_dict()
    route = Router(site).route("R2", "R4", "wheelchair")
    text = " ".join(s.text_en for s in route.steps)
    assert "take Low-rise elevator to floor 1F" in text.replace("Take", "take")
    assert "take High-rise elevator to floor 4F" in text.replace("Take", "take")
    assert "乘坐高区电梯到4楼" in "".join(s.text_zh for s in route.steps)
