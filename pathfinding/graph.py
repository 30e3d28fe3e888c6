"""A site map compiled to compact arrays (CSR), one arc table per profile.

Arcs never change after compilation; closures are a mask over them, so closing and
reopening is a cheap array operation and precomputed trees keep pointing at valid arcs.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .model import FLAT_KINDS, STEP_KINDS, VERTICAL_KINDS, Edge, EdgeKind, Profile, SiteMap

#: Floor for an arc's cost, so that scipy never mistakes a zero for a missing arc.
MIN_SECONDS = 1e-3


@dataclass(frozen=True)
class SiteGraph:
    """Node numbering and the edges (including generated elevator rides) of a site."""

    ids: list[str]
    index: dict[str, int]
    edges: list[Edge]
    edge_index: dict[str, int]
    edge_by_id: EdgesById
    edge_a: np.ndarray  # node index of each edge's ends
    edge_b: np.ndarray
    edge_length: np.ndarray
    edge_kind: np.ndarray  # position in KINDS
    edge_oneway: np.ndarray
    edge_floors: np.ndarray  # floors climbed (vertical kinds only)
    edge_suspect: np.ndarray  # a flat kind joining two floors the map did not confirm level
    # A place closed to through traffic is two graph nodes with the same id: the one in
    # `index` is only entered (routes end there), its copy `out_of[i]` is only left (routes
    # start there), so no route passes through it. For other places both are the same node.
    out_of: np.ndarray  # graph node a route starting at node i starts from
    in_of: np.ndarray  # the place's own node, for each graph node (its copy maps back)
    cell: np.ndarray  # the floor (one per building and floor) of each graph node

    @classmethod
    def from_site(cls, site: SiteMap) -> SiteGraph:
        ids = list(site.nodes)
        index = {nid: i for i, nid in enumerate(ids)}
        closed = [index[n.id] for n in site.nodes.values() if n.closed_to_through_traffic]
        out_of = np.arange(len(ids) + len(closed), dtype=np.int64)
        in_of = out_of.copy()
        for k, i in enumerate(closed):
            out_of[i] = len(ids) + k
            in_of[len(ids) + k] = i
        ids += [ids[i] for i in closed]
        edges = site.all_edges()
        ordinals = np.asarray([n.ordinal for n in site.nodes.values()], dtype=np.int64)
        floors: dict[tuple[str, str], int] = {}
        cell = np.asarray(
            [floors.setdefault((n.building, n.floor), len(floors)) for n in site.nodes.values()],
            dtype=np.int64,
        )
        a = np.asarray([index[e.a] for e in edges], dtype=np.int64)
        b = np.asarray([index[e.b] for e in edges], dtype=np.int64)
        edge_index = {e.id: i for i, e in enumerate(edges)}
        codes = {k: i for i, k in enumerate(KINDS)}
        kind = np.asarray([codes[e.kind] for e in edges], dtype=np.int8)
        vertical = np.isin(kind, [KINDS.index(k) for k in VERTICAL_KINDS])
        flat = np.isin(kind, [KINDS.index(k) for k in FLAT_KINDS])
        confirmed = np.asarray([e.step_free for e in edges], dtype=bool)
        return cls(
            ids=ids,
            index=index,
            edges=edges,
            edge_index=edge_index,
            edge_by_id=EdgesById(edges, edge_index),
            edge_a=a,
            edge_b=b,
            edge_length=np.asarray([e.length_m for e in edges], dtype=np.float64),
            edge_kind=kind,
            edge_oneway=np.asarray([e.oneway for e in edges], dtype=bool),
            edge_floors=np.where(vertical, np.abs(ordinals[a] - ordinals[b]), 0),
            edge_suspect=flat & (ordinals[a] != ordinals[b]) & ~confirmed,
            out_of=out_of,
            in_of=in_of,
            cell=cell[in_of],
        )

    @property
    def n(self) -> int:
        return len(self.ids)


KINDS: list[EdgeKind] = list(EdgeKind)


class EdgesById(Mapping[str, Edge]):
    """Edges by id, read through the id -> position table (a second dict of every edge
    would cost tens of MB on a large campus)."""

    def __init__(self, edges: list[Edge], index: dict[str, int]) -> None:
        self._edges, self._index = edges, index

    def __getitem__(self, edge_id: str) -> Edge:
        return self._edges[self._index[edge_id]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def edge_seconds(graph: SiteGraph, profile: Profile) -> np.ndarray:
    """Seconds per edge under a profile (NaN where the profile may not go): vectorised
    :meth:`Profile.edge_seconds`, with the same arithmetic so results are identical."""
    kind, floors = graph.edge_kind, np.maximum(graph.edge_floors, 1)
    sec = graph.edge_length / profile.speed_mps
    for k in (EdgeKind.STAIRS, EdgeKind.ESCALATOR, EdgeKind.ELEVATOR):
        sel = kind == KINDS.index(k)
        if k in STEP_KINDS and profile.step_free:
            sec[sel] = np.nan
        elif k is EdgeKind.STAIRS:
            sec[sel] = floors[sel] * profile.stairs_s_per_floor
        elif k is EdgeKind.ESCALATOR:
            sec[sel] = floors[sel] * profile.escalator_s_per_floor
        else:
            sec[sel] = profile.elevator_wait_s + floors[sel] * profile.elevator_s_per_floor
    if profile.step_free:
        sec[graph.edge_suspect] = np.nan
    return sec


class ProfileGraph:
    """Arcs usable under one profile, sorted by (tail, head, cost)."""

    def __init__(self, site: SiteMap, graph: SiteGraph, profile: Profile) -> None:
        self.profile = profile
        self.n = n = graph.n
        sec = edge_seconds(graph, profile)
        usable = np.flatnonzero(~np.isnan(sec))
        back = usable[~graph.edge_oneway[usable]]
        owner = np.concatenate([usable, back])
        self.out_of, self.in_of = graph.out_of, graph.in_of
        t_arr = graph.out_of[np.concatenate([graph.edge_a[usable], graph.edge_b[back]])]
        h_arr = np.concatenate([graph.edge_b[usable], graph.edge_a[back]])
        c_arr = np.maximum(sec[owner], MIN_SECONDS)
        order = np.lexsort((c_arr, h_arr, t_arr))
        tails = t_arr[order]
        self.tails = tails.astype(np.int32)
        self.keys = tails * n + h_arr[order]
        indptr = np.searchsorted(tails, np.arange(n + 1))
        self.max_degree = int(np.diff(indptr).max()) if n else 0
        # Scalar indexing of array.array is far faster than numpy's; the numpy names are
        # views of the same memory.
        self.indptr_py = array("q", indptr.astype(np.int64).tobytes())
        self.heads_py = array("i", h_arr[order].astype(np.int32).tobytes())
        self.cost_py = array("d", c_arr[order].tobytes())
        self.length_py = array("d", graph.edge_length[owner][order].tobytes())
        self.edge_py = array("i", owner[order].astype(np.int32).tobytes())
        self.indptr = np.frombuffer(self.indptr_py, dtype=np.int64)
        self.heads = np.frombuffer(self.heads_py, dtype=np.int32)
        self.cost = np.frombuffer(self.cost_py, dtype=np.float64)
        self.length = np.frombuffer(self.length_py, dtype=np.float64)
        self.edge = np.frombuffer(self.edge_py, dtype=np.int32)
        self.state = ClosureState.of(self, np.zeros(len(self.cost), dtype=bool))

    @property
    def arcs(self) -> int:
        return len(self.cost)

    def closure_mask(self, edge_closed: np.ndarray, node_closed: np.ndarray) -> np.ndarray:
        """Arcs closed by closed edges and places (a place's copy closes with it)."""
        node_closed = node_closed[self.in_of]
        return edge_closed[self.edge] | node_closed[self.tails] | node_closed[self.heads]

    def apply_closures(self, edge_closed: np.ndarray, node_closed: np.ndarray) -> None:
        mask = self.closure_mask(edge_closed, node_closed)
        self.state = ClosureState.of(self, mask)  # one assignment: readers see old or new

    @property
    def closed_mask(self) -> np.ndarray:
        return self.state.mask

    def matrix(
        self,
        transpose: bool = False,
        with_closed: bool = False,
        state: ClosureState | None = None,
    ) -> sp.csr_matrix:
        """The open graph as a sparse matrix (reversed for trees towards a destination)."""
        pos = (state or self.state).open_arcs
        if with_closed:
            first = np.ones(len(self.keys), dtype=bool)
            first[1:] = self.keys[1:] != self.keys[:-1]
            pos = np.flatnonzero(first)
        rows, cols = self.tails[pos], self.heads[pos]
        if transpose:
            rows, cols = cols, rows
        return sp.csr_matrix((self.cost[pos], (rows, cols)), shape=(self.n, self.n))

    def live_path(self, src: int, dst: int, state: ClosureState | None = None) -> list[int] | None:
        """Arcs of a shortest open path, or None when there is none."""
        if src == dst:
            return []
        state = state or self.state
        search = state.search
        if not search:  # built once per closure state: a large campus takes ~0.1 s for it
            search["matrix"] = self.matrix(state=state)
            search["keys"] = self.keys[state.open_arcs]
        _, pred = dijkstra(search["matrix"], indices=src, return_predecessors=True)
        if pred[dst] < 0:
            return None
        nodes = [dst]
        while nodes[-1] != src:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        arr = np.asarray(nodes, dtype=np.int64)
        hit = np.searchsorted(search["keys"], arr[:-1] * self.n + arr[1:])
        return [int(a) for a in state.open_arcs[hit]]


@dataclass(frozen=True)
class ClosureState:
    """Which arcs are closed, in the forms the searches need; replaced, never mutated."""

    mask: np.ndarray  # bool per arc
    closed: frozenset[int]  # the same, for fast checks of a whole path
    open_arcs: np.ndarray  # the cheapest open arc of every (tail, head) pair
    # The live search's matrix and arc keys, built on its first use under these closures.
    search: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, pg: ProfileGraph, mask: np.ndarray) -> ClosureState:
        pos = np.flatnonzero(~mask)
        keys = pg.keys[pos]
        first = np.ones(len(pos), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        return cls(mask, frozenset(np.flatnonzero(mask).tolist()), pos[first].astype(np.int32))
