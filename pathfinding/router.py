"""The router: exact shortest routes under a profile, honouring closures at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Literal, TypeVar

import numpy as np
from scipy.sparse.csgraph import dijkstra

from .graph import ClosureState, ProfileGraph, SiteGraph
from .index import STALE, Layout, TreeIndex, build_index, usable
from .instructions import Landmarks, build_legs, build_steps
from .model import PROFILES, Profile, SiteMap, get_profile
from .reasons import explain_no_route
from .routes import PathResult, Route, UnknownPlaceError

T = TypeVar("T")


class Router:
    """Routes between rooms (room code) or any node id of one site.

    Construction compiles the map per profile and precomputes the route index towards
    every destination room (``destinations``, default: all room nodes) for the profiles in
    ``index_profiles`` (``index.py``). Closures take effect on the next call of :meth:`route`; the trees
    then keep serving every route they can prove still shortest, and an exact live search
    serves the others until :meth:`rebuild_index` (safe to run in a background thread).
    """

    def __init__(
        self,
        site: SiteMap,
        *,
        index_profiles: Sequence[str] = tuple(PROFILES),
        destinations: Iterable[str] | None = None,
    ) -> None:
        self.site = site
        self.graph = SiteGraph.from_site(site)
        self._landmarks = Landmarks(site)
        self._lock = threading.Lock()
        self._pgs: dict[str, ProfileGraph] = {}
        self._indexes: dict[str, TreeIndex] = {}
        self._layouts: dict[str, tuple[ProfileGraph, Layout]] = {}  # static per profile graph
        # Per profile, what a query needs, swapped as one tuple so a query never mixes
        # the closures of one moment with the index verdict of another.
        self._serving: dict[str, tuple[ClosureState, TreeIndex | None]] = {}
        self._edge_closed = np.zeros(len(self.graph.edges), dtype=bool)
        self._node_closed = np.zeros(self.graph.n, dtype=bool)
        self.closed_edges: frozenset[str] = frozenset()
        self.closed_nodes: frozenset[str] = frozenset()
        self.version = 0  # bumped by every change of closures
        dest_ids = site.rooms() if destinations is None else list(destinations)
        self.destinations = [self._node_index(d) for d in dest_ids]
        self._dests = np.asarray(self.destinations, dtype=np.int64)
        self.index_profiles = tuple(index_profiles)
        for name in self.index_profiles:
            get_profile(name)
        self.rebuild_index()

    # -- places -------------------------------------------------------------------
    def _node_index(self, place: str) -> int:
        try:
            return self.graph.index[place]
        except KeyError:
            raise UnknownPlaceError(place) from None

    def profile_graph(self, profile: str | Profile) -> ProfileGraph:
        prof = get_profile(profile)
        pg = self._pgs.get(prof.name)
        if pg is None or pg.profile != prof:
            with self._lock:
                pg = ProfileGraph(self.site, self.graph, prof)
                pg.apply_closures(self._edge_closed, self._node_closed)
                self._pgs[prof.name] = pg
                self._indexes.pop(prof.name, None)  # built for other speeds
                self._serving.pop(prof.name, None)
        return pg

    # -- closures -----------------------------------------------------------------
    def set_closures(self, edges: Iterable[str] = (), nodes: Iterable[str] = ()) -> None:
        """Replace the set of closed edges and nodes (elevator car ids close every stop).

        Cheap (array masks); routes honour it from the next call. Unknown ids raise
        :class:`UnknownPlaceError` and change nothing.
        """
        edge_ids = frozenset(edges)
        node_ids = frozenset(nodes)
        cars = {car.id: car for car in self.site.elevators}
        edge_closed = np.zeros(len(self.graph.edges), dtype=bool)
        node_closed = np.zeros(self.graph.n, dtype=bool)
        for eid in edge_ids:
            if eid not in self.graph.edge_index:
                raise UnknownPlaceError(eid)
            edge_closed[self.graph.edge_index[eid]] = True
        for nid in node_ids:
            if nid in cars:
                for stop in cars[nid].stops:
                    node_closed[self._node_index(stop)] = True
            else:
                node_closed[self._node_index(nid)] = True
        with self._lock:
            self._edge_closed, self._node_closed = edge_closed, node_closed
            self.closed_edges, self.closed_nodes = edge_ids, node_ids
            for name, pg in self._pgs.items():
                pg.apply_closures(edge_closed, node_closed)
                self._serve(name, pg)
            self.version += 1

    def _serve(self, name: str, pg: ProfileGraph) -> None:
        """Publish (closures, index if it may serve them); call with the lock held."""
        index = self._indexes.get(name)
        self._serving[name] = (pg.state, index if index and usable(index, pg) else None)

    def index_is_current(self, profile: str = "walking") -> bool:
        """True when the trees were computed under exactly today's closures."""
        pg = self._pgs.get(profile)
        index = self._indexes.get(profile)
        return (
            pg is not None and index is not None and bool(np.array_equal(index.closed_mask, pg.closed_mask))
        )

    def rebuild_index(self, profiles: Sequence[str] | None = None) -> float:
        """Recompute the trees the closures made stale; returns the seconds spent.

        Safe to call from a background thread while routes are being served.
        """
        started = time.perf_counter()
        for name in profiles or self.index_profiles:
            pg = self.profile_graph(name)
            previous = self._indexes.get(name)
            with self._lock:
                state = pg.state
            known = self._layouts.get(name)
            layout = known[1] if known and known[0] is pg else Layout.of(pg, self.graph.cell, self._dests)
            self._layouts[name] = (pg, layout)
            index = build_index(pg, layout, self._dests, previous, state)
            index.build_s = time.perf_counter() - started
            with self._lock:
                # Closures may have changed meanwhile; the index is still safe to install
                # because usable() compares what it was built with to what holds now.
                self._indexes[name] = index
                self._serve(name, pg)
        return time.perf_counter() - started

    def index_stats(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "destinations": len(ix.dests),
                "floors": len(ix.floors),
                "bytes": float(ix.nbytes),
                "recomputed": ix.recomputed,
                "build_s": ix.build_s,
            }
            for name, ix in self._indexes.items()
        }

    # -- routing ------------------------------------------------------------------
    def path(self, origin: str, destination: str, profile: str | Profile = "walking") -> PathResult:
        """The bare shortest path (node ids, edge ids, seconds, metres): the fast core."""
        prof = get_profile(profile)
        place, dst = self._node_index(origin), self._node_index(destination)
        if place == dst:
            return PathResult(prof.name, [origin], [], 0.0, 0.0, from_index=True)  # nothing to search
        src = int(self.graph.out_of[place])  # a route leaves a no-through room by its own node
        pg = self.profile_graph(prof)
        state, index = self._serving.get(prof.name) or (pg.state, None)
        arcs: list[int] | None | Literal["stale"] = STALE
        from_index = False
        if index is not None and dst in index.row_of:
            arcs = index.path_arcs(pg, state.closed, src, dst)
            from_index = arcs is not STALE
        if arcs is STALE:
            arcs = pg.live_path(src, dst, state)
        if not isinstance(arcs, list):
            raise explain_no_route(self, pg, src, dst)
        heads = _pick(pg.heads_py, arcs)
        return PathResult(
            profile=prof.name,
            nodes=[origin, *_pick(self.graph.ids, heads)],
            edges=[e.id for e in _pick(self.graph.edges, _pick(pg.edge_py, arcs))],
            seconds=sum(_pick(pg.cost_py, arcs), 0.0),
            distance_m=sum(_pick(pg.length_py, arcs), 0.0),
            from_index=from_index,
        )

    def seconds(self, origin: str, destination: str, profile: str | Profile = "walking") -> float:
        return self.path(origin, destination, profile).seconds

    def route(self, origin: str, destination: str, profile: str | Profile = "walking") -> Route:
        """The full route: legs per floor and turn-by-turn steps in English and Chinese.

        Raises :class:`NoRouteError` (with ``reason_en``/``reason_zh``) when no route
        exists under the profile, :class:`UnknownPlaceError` for an unknown place.
        """
        found = self.path(origin, destination, profile)
        prof = get_profile(profile)
        return Route(
            origin=origin,
            destination=destination,
            profile=prof.name,
            distance_m=round(found.distance_m, 2),
            seconds=round(found.seconds, 2),
            nodes=found.nodes,
            legs=build_legs(self.site, found, prof, self.graph.edge_by_id),
            steps=build_steps(self.site, found, prof, self.graph.edge_by_id, self._landmarks),
        )

    def walking_matrix(
        self, profile: str | Profile = "walking", room_ids: Iterable[str] | None = None
    ) -> dict[str, dict[str, float]]:
        """Seconds from every room to every other (``inf`` where no route exists).

        Served from the index when it is current; otherwise computed live, so it always
        reflects today's closures. Re-read it when :attr:`version` changes.
        """
        prof = get_profile(profile)
        rooms = list(self.site.rooms() if room_ids is None else room_ids)
        idx = [self._node_index(r) for r in rooms]
        index = self._indexes.get(prof.name)
        fresh = index is not None and self.index_is_current(prof.name)
        if fresh and index is not None and all(i in index.row_of for i in idx):
            rows = [index.row_of[i] for i in idx]
            # index.seconds[i, j]: from room j to room i
            sub = index.seconds[np.ix_(rows, rows)].T
        else:
            starts = self.graph.out_of[np.asarray(idx, dtype=np.int64)]
            sub = dijkstra(self.profile_graph(prof).matrix(), indices=starts)[:, idx]
            np.fill_diagonal(sub, 0.0)
        return {a: {b: float(sub[i, j]) for j, b in enumerate(rooms)} for i, a in enumerate(rooms)}


def _pick(seq: Sequence[T], positions: Sequence[int]) -> tuple[T, ...]:
    """seq[p] for every position, read in C (a path's arcs are the query's hot loop)."""
    if len(positions) > 1:
        return itemgetter(*positions)(seq)
    return tuple(seq[p] for p in positions)
