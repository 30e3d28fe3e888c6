"""A restroom or a consulting room is never a corridor: routes go round it, not through it."""

from __future__ import annotations

from typing import Any

import pytest

from pathfinding import Router, load_map


def clinic(category: str | None = None, no_through: bool | None = None) -> dict[str, Any]:
    """A long corridor West-East, and a room with a door on each side that would cut it short."""
    room: dict[str, Any] = {"id": "R1", "kind": "room", "building": "A", "floor": "1", "x": 50, "y": 5}
    if category:
        room["category"] = category
    if no_through is not None:
        room["no_through_traffic"] = no_through
    nodes = [
        {"id": "WEST", "kind": "entrance", "building": "A", "floor": "1", "x": 0, "y": 0},
        {"id": "BEND1", "kind": "junction", "building": "A", "floor": "1", "x": 0, "y": 40},
        {"id": "BEND2", "kind": "junction", "building": "A", "floor": "1", "x": 100, "y": 40},
        {"id": "EAST", "kind": "room", "building": "A", "floor": "1", "x": 100, "y": 0},
        {"id": "W-DOOR", "kind": "junction", "building": "A", "floor": "1", "x": 45, "y": 0},
        {"id": "E-DOOR", "kind": "junction", "building": "A", "floor": "1", "x": 55, "y": 0},
        room,
    ]
    edges = [
        {"id": "c1", "kind": "corridor", "from": "WEST", "to": "BEND1"},
        {"id": "c2", "kind": "corridor", "from": "BEND1", "to": "BEND2"},
        {"id": "c3", "kind": "corridor", "from": "BEND2", "to": "EAST"},
        {"id": "w1", "kind": "corridor", "from": "WEST", "to": "W-DOOR"},
        {"id": "e1", "kind": "corridor", "from": "E-DOOR", "to": "EAST"},
        {"id": "d1", "kind": "door", "from": "W-DOOR", "to": "R1"},
        {"id": "d2", "kind": "door", "from": "R1", "to": "E-DOOR"},
    ]
    return {
        "format": "carepath-map",
        "version": 1,
        "site": {"code": "c"},
        "buildings": [{"code": "A", "floors": [{"name": "1", "ordinal": 1}]}],
        "nodes": nodes,
        "edges": edges,
    }


def test_an_ordinary_room_may_be_walked_through() -> None:
    router = Router(load_map(clinic())[0])
    assert "R1" in router.route("WEST", "EAST").nodes


@pytest.mark.parametrize(
    "category, flag", [("restroom", None), ("consulting", None), (None, True), ("pharmacy", True)]
)
def test_a_no_through_room_is_walked_round_but_still_reached_and_left(category, flag) -> None:
    site, _ = load_map(clinic(category, flag))
    router = Router(site)
    for profile in ("walking", "wheelchair"):
        around = router.route("WEST", "EAST", profile)
        assert "R1" not in around.nodes
        assert around.distance_m > 150
        assert router.route("WEST", "R1", profile).nodes[-1] == "R1"
        assert router.route("R1", "EAST", profile).nodes == ["R1", "E-DOOR", "EAST"]  # by its near door
        assert router.path("R1", "R1", profile).seconds == 0
    matrix = router.walking_matrix("walking", ["R1", "EAST"])
    assert matrix["R1"]["R1"] == 0 and matrix["R1"]["EAST"] < 60 < matrix["EAST"]["R1"] + 60
    router.set_closures(nodes=["R1"])
    router.rebuild_index()
    assert router.route("WEST", "EAST").distance_m > 150


def test_the_map_may_open_a_room_the_category_would_close() -> None:
    router = Router(load_map(clinic("consulting", no_through=False))[0])
    assert "R1" in router.route("WEST", "EAST").nodes
