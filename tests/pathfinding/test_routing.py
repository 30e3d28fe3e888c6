"""Routes are exact shortest paths, honour profiles and closures, and explain failures."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathfinding import (
    PROFILES,
    EdgeKind,
    NodeKind,
    NoRouteError,
    Profile,
    Router,
    SiteMap,
    UnknownPlaceError,
    dump_map,
    get_profile,
    load_map,
    synthetic_hospital,
)


def oracle(site: SiteMap, profile: str | Profile, closed_edges=(), closed_nodes=()) -> nx.MultiDiGraph:
    """networkx graph built straight from the map (not from the router's arrays)."""
    prof = get_profile(profile)
    g = nx.MultiDiGraph()
    g.add_nodes_from(n for n in site.nodes if n not in closed_nodes)
    for e in site.all_edges():
        if e.id in closed_edges or e.a in closed_nodes or e.b in closed_nodes:
            continue
        a, b = site.nodes[e.a], site.nodes[e.b]
        sec = prof.edge_seconds(e.kind, e.length_m, abs(a.ordinal - b.ordinal))
        if sec is None:
            continue
        sec = max(sec, 1e-3)
        g.add_edge(e.a, e.b, weight=sec)
        if not e.oneway:
            g.add_edge(e.b, e.a, weight=sec)
    return g


def nx_seconds(g: nx.MultiDiGraph, a: str, b: str) -> float:
    try:
        return nx.dijkstra_path_length(g, a, b, weight="weight")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return math.inf


def router_seconds(router: Router, a: str, b: str, profile: str) -> float:
    try:
        return router.path(a, b, profile).seconds
    except NoRouteError:
        return math.inf


def assert_path_is_real(site: SiteMap, router: Router, a: str, b: str, profile: str) -> None:
    """Nodes and edges chain up and their costs add up to the reported seconds."""
    found = router.path(a, b, profile)
    edges = router.graph.edge_by_id
    prof = get_profile(profile)
    total = 0.0
    for i, eid in enumerate(found.edges):
        e = edges[eid]
        u, v = found.nodes[i], found.nodes[i + 1]
        assert {u, v} == {e.a, e.b} and (not e.oneway or (u, v) == (e.a, e.b))
        floors = abs(site.nodes[u].ordinal - site.nodes[v].ordinal)
        total += max(prof.edge_seconds(e.kind, e.length_m, floors) or math.nan, 1e-3)
    assert found.seconds == pytest.approx(total)


hospitals = st.builds(
    lambda b, f, w, h, seed: synthetic_hospital(
        buildings=b,
        floors=f,
        grid=(w, h),
        rooms_per_floor=2,
        banks=1,
        cars_per_bank=1,
        stairwells=1 + seed % 2,
        skybridge_floors=(2,),
        seed=seed,
    ),
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(2, 4),
    st.integers(2, 4),
    st.integers(0, 10_000),
)


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(site=hospitals, data=st.data())
def test_route_cost_equals_networkx_dijkstra(site: SiteMap, data: st.DataObject) -> None:
    rooms = site.rooms()
    corridors = sorted(e.id for e in site.edges if e.kind is EdgeKind.CORRIDOR)
    closed = data.draw(st.lists(st.sampled_from(corridors), max_size=4, unique=True))
    junctions = sorted(n.id for n in site.nodes.values() if n.kind is NodeKind.JUNCTION)
    shut_nodes = data.draw(st.lists(st.sampled_from(junctions), max_size=2, unique=True))
    profile = data.draw(st.sampled_from(sorted(PROFILES)))
    router = Router(site, index_profiles=(profile,))
    pairs = data.draw(
        st.lists(st.tuples(st.sampled_from(rooms), st.sampled_from(rooms)), min_size=1, max_size=6)
    )
    for phase in ("open", "closed_stale", "closed_rebuilt"):
        if phase == "closed_stale":
            router.set_closures(edges=closed, nodes=shut_nodes)
        if phase == "closed_rebuilt":
            router.rebuild_index()
        shut = closed if phase != "open" else []
        shut_n = shut_nodes if phase != "open" else []
        g = oracle(site, profile, closed_edges=shut, closed_nodes=shut_n)
        for a, b in pairs:
            expected = nx_seconds(g, a, b)
            assert router_seconds(router, a, b, profile) == pytest.approx(expected, rel=1e-9)
            if math.isfinite(expected):
                assert_path_is_real(site, router, a, b, profile)
                found = router.path(a, b, profile)
                assert not set(found.edges) & set(shut)
                assert not set(found.nodes) & set(shut_n)


def test_every_demo_route_matches_networkx(demo_router: Router, demo_site: SiteMap) -> None:
    rooms = demo_site.rooms()
    for profile in PROFILES:
        g = oracle(demo_site, profile)
        lengths = {a: nx.single_source_dijkstra_path_length(g, a) for a in rooms}
        matrix = demo_router.walking_matrix(profile)
        for a in rooms:
            for b in rooms:
                assert matrix[a][b] == pytest.approx(lengths[a][b], rel=1e-9)
        for a, b in [("A1-01", "B3-01"), ("B5-05", "A2-12"), ("ENTRANCE-A", "A5-06")]:
            assert demo_router.path(a, b, profile).seconds == pytest.approx(
                nx.dijkstra_path_length(g, a, b), rel=1e-9
            )


def test_wheelchair_never_takes_stairs_or_escalators(demo_router: Router, demo_site: SiteMap):
    edges = demo_router.graph.edge_by_id
    rooms = demo_site.rooms()
    kinds = set()
    for a in rooms[::3]:
        for b in rooms[1::4]:
            if a != b:
                kinds |= {edges[e].kind for e in demo_router.path(a, b, "wheelchair").edges}
    assert EdgeKind.ELEVATOR in kinds
    assert not kinds & {EdgeKind.STAIRS, EdgeKind.ESCALATOR}
    walking = {edges[e].kind for e in demo_router.path("A3-01", "A4-01", "walking").edges}
    assert EdgeKind.STAIRS in walking  # one floor: walkers take the stairs


def test_wheelchair_told_why_when_a_floor_has_no_step_free_access(demo_site: SiteMap) -> None:
    data = dump_map(demo_site)
    for car in data["elevators"]:
        if car["id"] == "B-E":
            car["stops"].remove("B3-E")
    site, report = load_map(data)
    assert "no_step_free_access" in report.codes()
    router = Router(site)
    assert router.route("A1-01", "B3-01", "walking").seconds > 0
    with pytest.raises(NoRouteError) as err:
        router.route("A1-01", "B3-01", "wheelchair")
    assert err.value.code == "no_step_free_access"
    assert "Floor 3F of Medical Technology Building" in err.value.reason_en
    assert "step-free" in err.value.reason_en
    assert "医技楼3楼" in err.value.reason_zh and "无障碍" in err.value.reason_zh


def test_closing_a_corridor_reroutes_at_once_then_index_catches_up(demo_router: Router) -> None:
    before = demo_router.path("A1-01", "B1-01", "walking")
    corridor = next(e for e in before.edges if e.startswith("A1-C"))
    demo_router.set_closures(edges=[corridor])
    detour = demo_router.path("A1-01", "B1-01", "walking")
    assert corridor not in detour.edges
    assert detour.seconds > before.seconds
    assert not demo_router.index_is_current("walking")
    demo_router.rebuild_index()
    assert demo_router.index_is_current("walking")
    rebuilt = demo_router.path("A1-01", "B1-01", "walking")
    assert rebuilt.from_index and corridor not in rebuilt.edges
    assert rebuilt.seconds == pytest.approx(detour.seconds)
    demo_router.set_closures()  # reopened: the short way is back before any rebuild
    assert demo_router.path("A1-01", "B1-01", "walking").seconds == pytest.approx(before.seconds)


def test_closed_elevator_reroutes_wheelchair_and_says_what_is_closed(demo_router: Router):
    via = demo_router.route("B1-01", "B2-01", "wheelchair")
    assert any(s.kind == "elevator" and "Elevator B" in s.text_en for s in via.steps)
    demo_router.set_closures(nodes=["B-E"])  # the whole car
    detour = demo_router.route("B1-01", "B2-01", "wheelchair")
    assert not any(s.kind == "elevator" and "Elevator B" in s.text_en for s in detour.steps)
    assert [s.kind for s in detour.steps if s.kind in ("outdoor", "elevator", "skybridge")] == [
        "outdoor",
        "elevator",
        "skybridge",
    ]
    with pytest.raises(NoRouteError) as err:
        demo_router.route("B1-01", "B4-01", "wheelchair")
    assert err.value.code == "closed"
    assert err.value.blocked == ("B-E",)
    assert "Elevator B" in err.value.reason_en and "closed" in err.value.reason_en
    assert "B号电梯" in err.value.reason_zh and "关闭" in err.value.reason_zh


def test_closed_destination_is_named(demo_router: Router) -> None:
    demo_router.set_closures(nodes=["B2-01"])
    with pytest.raises(NoRouteError) as err:
        demo_router.route("A1-01", "B2-01")
    assert err.value.code == "destination_closed"
    assert "Ultrasound room 1" in err.value.reason_en and "超声室1" in err.value.reason_zh


def test_unknown_place_and_profile(demo_router: Router) -> None:
    with pytest.raises(UnknownPlaceError):
        demo_router.route("A1-01", "Z9-99")
    with pytest.raises(ValueError, match="profile"):
        demo_router.route("A1-01", "B2-01", "skateboard")
    with pytest.raises(UnknownPlaceError):
        demo_router.set_closures(edges=["no-such-corridor"])


def test_walking_matrix_follows_closures_without_rebuild(demo_router: Router) -> None:
    rooms = ["A1-01", "A2-01", "B2-01", "B3-01"]
    open_matrix = demo_router.walking_matrix("walking", rooms)
    assert open_matrix["A1-01"]["A1-01"] == 0
    assert open_matrix["A1-01"]["B2-01"] == pytest.approx(demo_router.path("A1-01", "B2-01").seconds)
    version = demo_router.version
    demo_router.set_closures(edges=["SKYBRIDGE-2F"])
    assert demo_router.version > version
    closed = demo_router.walking_matrix("walking", rooms)
    assert closed["A2-01"]["B2-01"] > open_matrix["A2-01"]["B2-01"]
    demo_router.rebuild_index()
    rebuilt = demo_router.walking_matrix("walking", rooms)
    for a in rooms:
        assert rebuilt[a] == pytest.approx(closed[a])
    demo_router.set_closures(nodes=["B3-01"])
    assert math.isinf(demo_router.walking_matrix("walking", rooms)["A1-01"]["B3-01"])


def test_slow_profile_takes_longer(demo_router: Router) -> None:
    walk = demo_router.route("A1-01", "B5-01", "walking")
    slow = demo_router.route("A1-01", "B5-01", "slow")
    assert slow.seconds > walk.seconds


def test_background_rebuild_while_serving(small_site: SiteMap) -> None:
    import threading

    router = Router(small_site, index_profiles=("walking",))
    rooms = small_site.rooms()
    corridors = sorted(e.id for e in small_site.edges if e.kind is EdgeKind.CORRIDOR)[::5]
    router.set_closures(edges=corridors)
    g = oracle(small_site, "walking", closed_edges=corridors)
    worker = threading.Thread(target=router.rebuild_index)
    worker.start()
    for a in rooms:
        for b in rooms:
            assert router_seconds(router, a, b, "walking") == pytest.approx(nx_seconds(g, a, b))
    worker.join()
    assert router.index_is_current("walking")
    assert all(
        router.path(a, rooms[0]).from_index for a in rooms if math.isfinite(nx_seconds(g, a, rooms[0]))
    )


def test_custom_profile_replaces_the_standard_one(small_site: SiteMap) -> None:
    router = Router(small_site, index_profiles=("walking",))
    a, b = small_site.rooms()[0], small_site.rooms()[-1]
    brisk = Profile("walking", 2.0, 10.0, 8.0, 20.0, 2.0)
    fast = router.path(a, b, brisk)
    assert fast.seconds == pytest.approx(nx.dijkstra_path_length(oracle(small_site, brisk), a, b))
    assert fast.seconds < nx.dijkstra_path_length(oracle(small_site, "walking"), a, b)


def test_closed_origin_and_disconnected_map_are_explained(demo_site: SiteMap) -> None:
    router = Router(demo_site, index_profiles=())
    router.set_closures(nodes=["A1-01"])
    with pytest.raises(NoRouteError) as err:
        router.route("A1-01", "B2-01")
    assert err.value.code == "origin_closed" and "门诊服务台" in err.value.reason_zh
    data = dump_map(demo_site)
    data["edges"] = [e for e in data["edges"] if e["kind"] not in ("skybridge", "outdoor")]
    site, report = load_map(data)
    assert "B2-01" in report.find("disconnected_parts")[0].ids
    with pytest.raises(NoRouteError) as err:
        Router(site).route("A1-01", "B2-01")
    assert err.value.code == "no_path"
    assert err.value.to_dict()["reason_en"].startswith("No path connects")


def test_no_route_blames_only_closures_whose_reopening_restores_a_route(demo_router: Router) -> None:
    """A corridor with a detour around it and the only elevator up: the elevator is to blame."""
    demo_router.set_closures(edges=["A2-C4~A2-C5"])
    assert demo_router.route("A2-01", "B4-01", "wheelchair").seconds > 0  # the detour
    demo_router.set_closures(edges=["A2-C4~A2-C5"], nodes=["B-E"])
    with pytest.raises(NoRouteError) as err:
        demo_router.route("A2-01", "B4-01", "wheelchair")
    assert err.value.code == "closed"
    assert err.value.blocked == ("B-E",)
    assert "A2-C4" not in err.value.reason_en and "A2-C4" not in err.value.reason_zh
