"""A site map compiled to compact arrays (CSR), one arc table per profile.

Arcs never change after compilation; closures are a mask over them, so closing and
reopening is a cheap array operation and precomputed trees keep pointing at valid arcs.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .model import VERTICAL_KINDS, Edge, Profile, SiteMap

#: Floor for an arc's cost, so that scipy never mistakes a zero for a missing arc.
MIN_SECONDS = 1e-3


@dataclass(frozen=True)
class SiteGraph:
    """Node numbering and the edges (including generated elevator rides) of a site."""

    ids: list[str]
    index: dict[str, int]
    edges: list[Edge]
    edge_index: dict[str, int]
    edge_by_id: dict[str, Edge]

    @classmethod
    def from_site(cls, site: SiteMap) -> SiteGraph:
        ids = list(site.nodes)
        edges = site.all_edges()
        return cls(
            ids=ids,
            index={nid: i for i, nid in enumerate(ids)},
            edges=edges,
            edge_index={e.id: i for i, e in enumerate(edges)},
            edge_by_id={e.id: e for e in edges},
        )

    @property
    def n(self) -> int:
        return len(self.ids)


class ProfileGraph:
    """Arcs usable under one profile, sorted by (tail, head, cost)."""

    def __init__(self, site: SiteMap, graph: SiteGraph, profile: Profile) -> None:
        self.profile = profile
        self.n = n = graph.n
        tails: list[int] = []
        heads: list[int] = []
        costs: list[float] = []
        lengths: list[float] = []
        owners: list[int] = []
        nodes = site.nodes
        for ei, e in enumerate(graph.edges):
            na, nb = nodes[e.a], nodes[e.b]
            floors = abs(na.ordinal - nb.ordinal) if e.kind in VERTICAL_KINDS else 0
            sec = profile.edge_seconds(e.kind, e.length_m, floors)
            if sec is None:
                continue
            sec = max(sec, MIN_SECONDS)
            a, b = graph.index[e.a], graph.index[e.b]
            pairs = [(a, b)] if e.oneway else [(a, b), (b, a)]
            for t, h in pairs:
                tails.append(t)
                heads.append(h)
                costs.append(sec)
                lengths.append(e.length_m)
                owners.append(ei)
        t_arr = np.asarray(tails, dtype=np.int64)
        h_arr = np.asarray(heads, dtype=np.int64)
        c_arr = np.asarray(costs, dtype=np.float64)
        order = np.lexsort((c_arr, h_arr, t_arr))
        self.tails = t_arr[order].astype(np.int32)
        self.heads = h_arr[order].astype(np.int32)
        self.cost = c_arr[order]
        self.length = np.asarray(lengths, dtype=np.float64)[order]
        self.edge = np.asarray(owners, dtype=np.int32)[order]
        self.keys = t_arr[order] * n + h_arr[order]
        self.indptr = np.searchsorted(self.tails, np.arange(n + 1)).astype(np.int64)
        self.max_degree = int(np.diff(self.indptr).max()) if n else 0
        # Python-side copies: scalar indexing of array.array is far faster than numpy's.
        self.indptr_py = array("q", self.indptr.tobytes())
        self.heads_py = array("i", self.heads.tobytes())
        self.cost_py = array("d", self.cost.tobytes())
        self.length_py = array("d", self.length.tobytes())
        self.edge_py = array("i", self.edge.tobytes())
        self.closed_mask = np.zeros(len(self.cost), dtype=bool)
        self.closed_py = bytearray(len(self.cost))
        self._open = self._open_arcs()

    @property
    def arcs(self) -> int:
        return len(self.cost)

    def apply_closures(self, edge_closed: np.ndarray, node_closed: np.ndarray) -> None:
        mask = edge_closed[self.edge] | node_closed[self.tails] | node_closed[self.heads]
        self.closed_mask = mask
        self.closed_py = bytearray(mask.astype(np.uint8).tobytes())
        self._open = self._open_arcs()

    def _open_arcs(self) -> np.ndarray:
        """Positions of the cheapest open arc for every (tail, head) pair."""
        pos = np.flatnonzero(~self.closed_mask)
        keys = self.keys[pos]
        first = np.ones(len(pos), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        return pos[first]

    def matrix(self, transpose: bool = False, with_closed: bool = False) -> sp.csr_matrix:
        """The open graph as a sparse matrix (reversed for trees towards a destination)."""
        pos = self._open
        if with_closed:
            first = np.ones(len(self.keys), dtype=bool)
            first[1:] = self.keys[1:] != self.keys[:-1]
            pos = np.flatnonzero(first)
        rows, cols = self.tails[pos], self.heads[pos]
        if transpose:
            rows, cols = cols, rows
        return sp.csr_matrix((self.cost[pos], (rows, cols)), shape=(self.n, self.n))

    def arc_between(self, tails: np.ndarray, heads: np.ndarray) -> np.ndarray:
        """Position of the cheapest open arc tail->head for each pair (pairs must exist)."""
        open_keys = self.keys[self._open]
        hit = np.searchsorted(open_keys, tails.astype(np.int64) * self.n + heads)
        return self._open[hit]

    def search(self, src: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact one-to-all search on the open graph: (seconds, predecessor)."""
        dist, pred = dijkstra(self.matrix(), indices=src, return_predecessors=True)
        return dist, pred

    def live_path(self, src: int, dst: int) -> list[int] | None:
        """Arcs of a shortest open path, or None when there is none."""
        if src == dst:
            return []
        _, pred = self.search(src)
        if pred[dst] < 0:
            return None
        nodes = [dst]
        while nodes[-1] != src:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        arr = np.asarray(nodes, dtype=np.int64)
        return [int(a) for a in self.arc_between(arr[:-1], arr[1:])]
