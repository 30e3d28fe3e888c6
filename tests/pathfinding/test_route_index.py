"""The route index stays exact from any place, stays small on a large campus, and a closure
rebuilds only the floor it is on."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathfinding import PROFILES, EdgeKind, NodeKind, Router, SiteMap, load_map, synthetic_hospital

from .test_routing import assert_path_is_real, nx_seconds, oracle, router_seconds

hospitals = st.builds(
    lambda b, f, w, seed: synthetic_hospital(
        buildings=b,
        floors=f,
        grid=(w, 3),
        rooms_per_floor=2,
        banks=1,
        cars_per_bank=1 + seed % 2,
        stairwells=1 + seed % 3,
        skybridge_floors=(1, 3) if seed % 2 else (2,),
        seed=seed,
    ),
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(2, 5),
    st.integers(0, 10_000),
)


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(site=hospitals, data=st.data())
def test_routes_from_any_node_to_any_room_equal_networkx(site: SiteMap, data: st.DataObject) -> None:
    """Origins include corridor junctions, elevator stops and landings (not only rooms)."""
    places = sorted(site.nodes)
    rooms = site.rooms()
    corridors = sorted(e.id for e in site.edges if e.kind is EdgeKind.CORRIDOR)
    profile = data.draw(st.sampled_from(sorted(PROFILES)))
    router = Router(site, index_profiles=(profile,))
    pairs = data.draw(
        st.lists(st.tuples(st.sampled_from(places), st.sampled_from(rooms)), min_size=1, max_size=8)
    )
    closed = data.draw(st.lists(st.sampled_from(corridors), max_size=5, unique=True))
    for phase in ("open", "closed_stale", "closed_rebuilt", "reopened_rebuilt"):
        if phase == "closed_stale":
            router.set_closures(edges=closed)
        if phase == "reopened_rebuilt":
            router.set_closures()
        if phase.endswith("rebuilt"):
            router.rebuild_index()
        shut = closed if phase.startswith("closed") else []
        g = oracle(site, profile, closed_edges=shut)
        for a, b in pairs:
            expected = nx_seconds(g, a, b)
            assert router_seconds(router, a, b, profile) == pytest.approx(expected, rel=1e-9)
            if math.isfinite(expected) and a != b:
                assert_path_is_real(site, router, a, b, profile)
                found = router.path(a, b, profile)
                assert not set(found.edges) & set(shut)
                assert found.from_index or phase == "closed_stale"


def split_floor() -> dict[str, Any]:
    """Floor 1 is cut in two by a wall: its halves meet only through floor 2 (two stairs)."""

    def node(nid: str, floor: str, x: float, kind: str = "junction") -> dict[str, Any]:
        return {"id": nid, "kind": kind, "building": "A", "floor": floor, "x": x, "y": 0}

    nodes = [
        node("W1", "1", 0),
        node("W-STAIR1", "1", 10, "stairs"),
        node("WEST-ROOM", "1", 5, "room"),
        node("E1", "1", 40),
        node("E-STAIR1", "1", 30, "stairs"),
        node("EAST-ROOM", "1", 45, "room"),
        node("W-STAIR2", "2", 10, "stairs"),
        node("MID2", "2", 20),
        node("E-STAIR2", "2", 30, "stairs"),
        node("UP-ROOM", "2", 20, "room"),
    ]
    edges = [
        ("a", "corridor", "W1", "W-STAIR1"),
        ("b", "door", "W1", "WEST-ROOM"),
        ("c", "corridor", "E1", "E-STAIR1"),
        ("d", "door", "E1", "EAST-ROOM"),
        ("e", "stairs", "W-STAIR1", "W-STAIR2"),
        ("f", "stairs", "E-STAIR1", "E-STAIR2"),
        ("g", "corridor", "W-STAIR2", "MID2"),
        ("h", "corridor", "MID2", "E-STAIR2"),
        ("i", "door", "MID2", "UP-ROOM"),
    ]
    return {
        "format": "carepath-map",
        "version": 1,
        "site": {"code": "split"},
        "buildings": [{"code": "A", "floors": [{"name": "1", "ordinal": 1}, {"name": "2", "ordinal": 2}]}],
        "nodes": [{**n, "name_en": n["id"]} if n["kind"] == "room" else n for n in nodes],
        "edges": [{"id": i, "kind": k, "from": a, "to": b} for i, k, a, b in edges],
    }


def test_a_route_between_two_halves_of_a_floor_goes_over_the_floor_above() -> None:
    site, _ = load_map(split_floor())
    router = Router(site, index_profiles=("walking",))
    g = oracle(site, "walking")
    for origin in ("W1", "WEST-ROOM", "W-STAIR1"):
        found = router.path(origin, "EAST-ROOM")
        assert found.from_index
        assert found.nodes[-4:] == ["E-STAIR2", "E-STAIR1", "E1", "EAST-ROOM"]
        assert found.seconds == pytest.approx(nx_seconds(g, origin, "EAST-ROOM"), rel=1e-9)
    router.set_closures(edges=["h"])
    router.rebuild_index()
    assert router_seconds(router, "W1", "EAST-ROOM", "walking") == math.inf
    assert router.path("W1", "UP-ROOM").nodes == ["W1", "W-STAIR1", "W-STAIR2", "MID2", "UP-ROOM"]


def test_the_index_grows_with_each_floors_exits_not_with_nodes_times_rooms() -> None:
    """Formerly a byte per node and room: 478 MB for a 200k-node campus with 2 profiles."""
    site = synthetic_hospital(buildings=4, floors=4, grid=(20, 20), rooms_per_floor=4, seed=5)
    router = Router(site, index_profiles=("walking",))
    nodes, rooms = len(site.nodes), len(site.rooms())
    assert router.index_stats()["walking"]["bytes"] < nodes * rooms / 3


def test_a_closure_rebuilds_only_the_floor_it_is_on(small_site: SiteMap) -> None:
    router = Router(small_site, index_profiles=("walking",))
    floors = router.index_stats()["walking"]["floors"]
    assert floors == 6
    corridor = next(e for e in small_site.edges if e.kind is EdgeKind.CORRIDOR and e.a.startswith("B2"))
    router.set_closures(edges=[corridor.id])
    router.rebuild_index()
    assert router.index_stats()["walking"]["recomputed"] == 1
    outdoor = next(e for e in small_site.edges if e.kind is EdgeKind.OUTDOOR)
    router.set_closures(edges=[corridor.id, outdoor.id])  # between buildings: no floor to redo
    router.rebuild_index()
    assert router.index_stats()["walking"]["recomputed"] == 0
    g = oracle(small_site, "walking", closed_edges=[corridor.id, outdoor.id])
    junctions = [n for n, v in small_site.nodes.items() if v.kind is NodeKind.JUNCTION]
    for a in junctions[::3]:
        for b in small_site.rooms():
            assert router_seconds(router, a, b, "walking") == pytest.approx(nx_seconds(g, a, b), rel=1e-9)
