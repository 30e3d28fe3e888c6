"""Why no route exists: said in words a patient (and the desk) can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse.csgraph import dijkstra

from .graph import ClosureState, ProfileGraph
from .model import WALKING
from .routes import NoRouteError
from .words import floor_of_building, name_words, place_words

if TYPE_CHECKING:
    from .router import Router


def _reach(pg: ProfileGraph, src: int, with_closed: bool) -> np.ndarray:
    dist = dijkstra(pg.matrix(with_closed=with_closed), indices=src)
    return np.isfinite(dist)


def explain_no_route(router: Router, pg: ProfileGraph, src: int, dst: int) -> NoRouteError:
    g = router.graph
    nodes = router.site.nodes
    a, b = nodes[g.ids[src]], nodes[g.ids[dst]]
    a_en, a_zh = place_words(a)
    b_en, b_zh = place_words(b)
    if router.closed_nodes and _is_closed(router, b.id):
        return NoRouteError(
            f"The destination {b_en} is closed.",
            f"目的地{b_zh}已关闭。",
            code="destination_closed",
            blocked=(b.id,),
        )
    if router.closed_nodes and _is_closed(router, a.id):
        return NoRouteError(
            f"The starting point {a_en} is closed.",
            f"出发地{a_zh}已关闭。",
            code="origin_closed",
            blocked=(a.id,),
        )
    reach_all = _reach(pg, src, with_closed=True)
    if reach_all[dst]:
        on_path = _closures_on_open_path(router, pg, src, dst)
        blocked = _closures_that_restore(router, pg, src, dst) or on_path
        names_en = ", ".join(_closure_name(router, x, "en") for x in blocked) or "a closure"
        names_zh = "、".join(_closure_name(router, x, "zh") for x in blocked) or "关闭"
        return NoRouteError(
            f"The way from {a_en} to {b_en} is closed ({names_en}).",
            f"从{a_zh}到{b_zh}的通道已关闭（{names_zh}）。",
            code="closed",
            blocked=tuple(blocked),
        )
    if pg.profile.step_free and _reach(router.profile_graph(WALKING), src, with_closed=True)[dst]:
        on_dst_floor = [
            g.index[n.id] for n in nodes.values() if n.building == b.building and n.floor == b.floor
        ]
        on_src_floor = {
            g.index[n.id] for n in nodes.values() if n.building == a.building and n.floor == a.floor
        }
        if not reach_all[on_dst_floor].any():
            en, zh = floor_of_building(router.site, b)
            culprit = b
        elif all(int(i) in on_src_floor for i in np.flatnonzero(reach_all)):
            en, zh = floor_of_building(router.site, a)
            culprit = a
        else:
            return NoRouteError(
                f"{b_en} has no step-free access.",
                f"{b_zh}没有无障碍通道。",
                code="no_step_free_access",
                blocked=(b.id,),
            )
        return NoRouteError(
            f"{en[0].upper()}{en[1:]} has no step-free access.",
            f"{zh}没有无障碍通道（无电梯或坡道）。",
            code="no_step_free_access",
            blocked=(f"{culprit.building}:{culprit.floor}",),
        )
    return NoRouteError(
        f"No path connects {a_en} and {b_en} on this map.",
        f"地图上没有从{a_zh}到{b_zh}的路线。",
        code="no_path",
    )


def _closure_name(router: Router, closure_id: str, lang: str) -> str:
    car = next((c for c in router.site.elevators if c.id == closure_id), None)
    node = router.site.nodes.get(closure_id)
    if car is not None:
        name = (car.name_zh or car.name_en) if lang == "zh" else (car.name_en or car.name_zh)
    elif node is not None:
        name = name_words(node)[1 if lang == "zh" else 0]
    else:
        name = ""
    return f"{name} {closure_id}".strip() if name and name != closure_id else closure_id


def _is_closed(router: Router, node_id: str) -> bool:
    return bool(router._node_closed[router.graph.index[node_id]])


def _closures_that_restore(router: Router, pg: ProfileGraph, src: int, dst: int) -> list[str]:
    """The closures whose reopening alone (the others staying closed) gives a route again:
    only those are to blame. Empty when no single reopening is enough."""
    g = router.graph
    cars = {car.id: car for car in router.site.elevators}
    out: list[str] = []
    for closure in sorted(router.closed_edges) + sorted(router.closed_nodes):
        edge_closed = router._edge_closed.copy()
        node_closed = router._node_closed.copy()
        if closure in g.edge_index:
            edge_closed[g.edge_index[closure]] = False
        else:
            stops = cars[closure].stops if closure in cars else (closure,)
            still = {
                s for c in router.closed_nodes if c != closure for s in (cars[c].stops if c in cars else (c,))
            }
            for stop in stops:
                if stop not in still:
                    node_closed[g.index[stop]] = False
        state = ClosureState.of(pg, pg.closure_mask(edge_closed, node_closed))
        if np.isfinite(dijkstra(pg.matrix(state=state), indices=src)[dst]):
            out.append(closure)
    return out


def _closures_on_open_path(router: Router, pg: ProfileGraph, src: int, dst: int) -> list[str]:
    """The closed edges and nodes the route would take if nothing were closed."""
    _, pred = dijkstra(pg.matrix(with_closed=True), indices=src, return_predecessors=True)
    path = [dst]
    while path[-1] != src and pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    path.reverse()
    g = router.graph
    out: list[str] = []
    cars = {stop: car.id for car in router.site.elevators for stop in car.stops}
    for u in path:
        nid = g.ids[u]
        if router._node_closed[u]:
            closure = cars[nid] if cars.get(nid) in router.closed_nodes else nid
            if closure not in out:
                out.append(closure)
    for u, v in zip(path, path[1:], strict=False):
        tail = np.searchsorted(pg.keys, np.int64(u) * pg.n + v)
        hi = np.searchsorted(pg.keys, np.int64(u) * pg.n + v, side="right")
        if tail < hi and pg.closed_mask[tail:hi].all():
            eid = g.edges[int(pg.edge[tail])].id
            if router._edge_closed[g.edge_index[eid]] and eid not in out:
                out.append(eid)
    return out
