"""A two-level route index: trees inside each floor, a small portal graph between floors.

A *floor* here is one floor of one building (a cell of the graph). Its *targets* are its
exits (nodes with an arc to another floor: elevator stops, stair landings, skybridge and
outdoor ends) and its destination rooms. Inside each floor, a shortest-path tree towards
each target stores one byte per node: which arc of the node leads one step closer. Between
floors, the *overlay* joins exits, entries and rooms by their in-floor distances and by the
arcs between floors; per destination room, scipy Dijkstra on it gives every overlay node's
next overlay node (and the seconds from every room). A query hops along the overlay and
unfolds each hop along a floor tree: exact, in microseconds, with memory (nodes x targets
per floor) instead of (nodes x rooms), and a build of a few dozen Dijkstras per floor on
that floor alone instead of one per room on the whole site.

An index built while some set B of arcs was closed stays exact whenever the current closed
set C contains B and the followed path avoids C: closing only removes paths, so a shortest
path that survives is still shortest. A rebuild recomputes only the floors whose own arcs
opened or closed; the overlay is always recomputed (it is small).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .graph import ClosureState, ProfileGraph

STALE: Literal["stale"] = "stale"
CHUNK = 256  # destinations per overlay Dijkstra call: bounds the temporary arrays


@dataclass(frozen=True)
class Layout:
    """Which floor each node is on, and each floor's targets and overlay nodes.

    Depends on the profile's arcs (open or closed) and the destinations, never on closures,
    so every index of a profile shares it.
    """

    cell: np.ndarray  # floor of each graph node
    cell_py: array  # the same, for fast scalar reads
    local_py: array  # position of each node among its floor's nodes
    nodes: list[np.ndarray]  # graph nodes of each floor, ascending
    arcs: list[np.ndarray]  # arcs inside each floor (open or closed)
    targets: list[np.ndarray]  # exits and destination rooms of each floor
    sources: list[np.ndarray]  # overlay nodes of each floor
    overlay: np.ndarray  # graph node of each overlay node
    overlay_of: np.ndarray  # overlay position of each graph node, -1 if none
    overlay_py: array
    overlay_nodes_py: array  # graph node of each overlay node, for fast scalar reads
    target_row: array  # row of each overlay node among its floor's targets, -1 if none
    source_col: array  # column of each overlay node among its floor's overlay nodes
    cross: np.ndarray  # arcs between floors
    arc_cell: np.ndarray  # floor of each arc inside a floor, -1 for arcs between floors

    @classmethod
    def of(cls, pg: ProfileGraph, cell: np.ndarray, dests: np.ndarray) -> Layout:
        n_cells = int(cell.max()) + 1 if len(cell) else 0
        tail_cell, head_cell = cell[pg.tails], cell[pg.heads]
        inside = tail_cell == head_cell
        cross = np.flatnonzero(~inside).astype(np.int32)
        arc_cell = np.where(inside, tail_cell, -1).astype(np.int32)
        exits = np.unique(pg.tails[cross])
        entries = np.unique(pg.heads[cross])
        targets_all = np.union1d(exits, dests)
        overlay = np.union1d(np.union1d(targets_all, entries), pg.out_of[dests])
        overlay_of = np.full(pg.n, -1, dtype=np.int32)
        overlay_of[overlay] = np.arange(len(overlay), dtype=np.int32)
        order = np.argsort(cell, kind="stable")
        counts = np.bincount(cell, minlength=n_cells)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        local = np.empty(pg.n, dtype=np.int32)
        local[order] = np.arange(pg.n) - starts[cell[order]]
        intra = np.flatnonzero(inside).astype(np.int32)
        intra = intra[np.argsort(arc_cell[intra], kind="stable")]

        def per_cell(ids: np.ndarray) -> list[np.ndarray]:
            ids = ids[np.argsort(cell[ids], kind="stable")]
            return np.split(ids, np.searchsorted(cell[ids], np.arange(1, n_cells)))

        targets = [np.sort(t) for t in per_cell(targets_all)]
        sources = [np.sort(s) for s in per_cell(overlay)]
        target_row = np.full(len(overlay), -1, dtype=np.int32)
        source_col = np.full(len(overlay), -1, dtype=np.int32)
        for t, src in zip(targets, sources, strict=True):
            target_row[overlay_of[t]] = np.arange(len(t))
            source_col[overlay_of[src]] = np.arange(len(src))
        return cls(
            cell=cell,
            cell_py=array("i", cell.astype(np.int32).tobytes()),
            local_py=array("i", local.tobytes()),
            nodes=np.split(order, np.cumsum(counts)[:-1]),
            arcs=np.split(intra, np.searchsorted(arc_cell[intra], np.arange(1, n_cells))),
            targets=targets,
            sources=sources,
            overlay=overlay,
            overlay_of=overlay_of,
            overlay_py=array("i", overlay_of.tobytes()),
            overlay_nodes_py=array("q", overlay.astype(np.int64).tobytes()),
            target_row=array("i", target_row.tobytes()),
            source_col=array("i", source_col.tobytes()),
            cross=cross,
            arc_cell=arc_cell,
        )


@dataclass(frozen=True)
class FloorTrees:
    """One floor's trees towards its targets, and the in-floor seconds from its overlay
    nodes to them."""

    hops: bytes | array  # (targets, floor nodes) arc offsets, row-major
    seconds: np.ndarray  # (targets, overlay nodes of the floor)

    @property
    def nbytes(self) -> int:
        return len(self.hops) * self.hops_itemsize + self.seconds.nbytes

    @property
    def hops_itemsize(self) -> int:
        return 1 if isinstance(self.hops, bytes) else 2


def _floor_trees(
    pg: ProfileGraph, layout: Layout, c: int, state: ClosureState, dtype: type, none: int
) -> FloorTrees:
    nodes, targets, sources = layout.nodes[c], layout.targets[c], layout.sources[c]
    m = len(nodes)
    hops: np.ndarray = np.full((len(targets), m), none, dtype=dtype)
    seconds = np.full((len(targets), len(sources)), np.inf)
    if len(targets):
        local = np.frombuffer(layout.local_py, dtype=np.int32)
        # The floor's open arcs, already sorted by (tail, head, cost): the cheapest of
        # parallel arcs comes first and wins, as in the whole-graph matrix.
        arcs = layout.arcs[c]
        arcs = arcs[~state.mask[arcs]]
        tails, heads = local[pg.tails[arcs]].astype(np.int64), local[pg.heads[arcs]]
        keys = tails * m + heads
        first = np.ones(len(arcs), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        arcs, keys = arcs[first], keys[first]
        reverse = sp.csr_matrix((pg.cost[arcs], (heads[first], tails[first])), shape=(m, m))
        dist, pred = dijkstra(reverse, indices=local[targets], return_predecessors=True)
        rr, uu = np.nonzero(pred >= 0)
        hit = arcs[np.searchsorted(keys, uu * m + pred[rr, uu])]
        hops[rr, uu] = (hit - pg.indptr[nodes[uu]]).astype(dtype)
        seconds = dist[:, local[sources]]
    flat: bytes | array = hops.tobytes() if dtype is np.uint8 else array("H", hops.tobytes())
    return FloorTrees(flat, seconds)


@dataclass
class TreeIndex:
    layout: Layout
    dests: np.ndarray  # graph node of each destination
    row_of: dict[int, int]  # destination graph node -> row
    floors: list[FloorTrees]
    hop_rows: dict[int, tuple[bytes | array, int]]  # target -> (its floor's hops, row start)
    seconds: np.ndarray  # (destinations, destinations): seconds from room j to room i
    next_hop: array  # (destinations, overlay nodes): next overlay node, -1 for none
    # Arcs of each overlay hop (key v * overlay size + w): the arc between floors, or the
    # in-floor path unfolded from a tree on first use.
    segments: dict[int, array]
    none: int  # hop meaning "no path"
    closed_mask: np.ndarray  # the arcs closed when the index was computed
    build_s: float = 0.0
    recomputed: int = 0  # floors computed in the last build (others were kept)

    @property
    def nbytes(self) -> int:
        return (
            sum(f.nbytes for f in self.floors)
            + self.seconds.nbytes
            + len(self.next_hop) * self.next_hop.itemsize
        )

    def path_arcs(
        self, pg: ProfileGraph, closed: frozenset[int], src: int, dst: int
    ) -> list[int] | None | Literal["stale"]:
        """Arcs from src to the destination dst; None when there is no path, 'stale' when
        the path met a closure made after the index was built."""
        row = self.row_of[dst]
        lay = self.layout
        width = len(lay.overlay)
        arcs: list[int] = []
        v = lay.overlay_py[src]
        if v < 0:
            start = self._enter_overlay(pg, src, row)
            if start is None:
                return None
            arcs, u = start
            v = lay.overlay_py[u]
        end = lay.overlay_py[dst]
        base = row * width
        nxt = self.next_hop
        while v != end:
            w = nxt[base + v]
            if w < 0:
                return None
            arcs += self._segment(pg, v, w)
            v = w
        if closed and not closed.isdisjoint(arcs):
            return STALE
        return arcs

    def _segment(self, pg: ProfileGraph, v: int, w: int) -> array:
        """The arcs of the overlay hop v -> w (unfolded from w's floor tree on first use)."""
        key = v * len(self.layout.overlay) + w
        seg = self.segments.get(key)
        if seg is None:
            nodes = self.layout.overlay_nodes_py
            seg = self.segments[key] = self._unfold(pg, nodes[v], nodes[w])
        return seg

    def _hop_seconds(self, pg: ProfileGraph, v: int, w: int) -> float:
        lay = self.layout
        cell, nodes = lay.cell_py, lay.overlay_nodes_py
        if cell[nodes[v]] != cell[nodes[w]]:  # an arc between floors
            return pg.cost_py[self.segments[v * len(lay.overlay) + w][0]]
        floor = self.floors[cell[nodes[v]]]
        return float(floor.seconds[lay.target_row[w], lay.source_col[v]])

    def _rest(self, pg: ProfileGraph, row: int, v: int) -> float:
        """Seconds from overlay node v to the destination of ``row``, inf if unreachable."""
        end = self.layout.overlay_py[self.dests[row]]
        base = row * len(self.layout.overlay)
        total = 0.0
        while v != end:
            w = self.next_hop[base + v]
            if w < 0:
                return math.inf
            total += self._hop_seconds(pg, v, w)
            v = w
        return total

    def _unfold(self, pg: ProfileGraph, u: int, t: int) -> array:
        """The in-floor path from u to the target t along t's tree."""
        local, indptr, heads = self.layout.local_py, pg.indptr_py, pg.heads_py
        buf, b = self.hop_rows[t]
        arcs: list[int] = []
        while u != t:
            a = indptr[u] + buf[b + local[u]]
            arcs.append(a)
            u = heads[a]
        return array("i", arcs)  # 4 bytes an arc: the cache may come to hold every hop

    def _enter_overlay(self, pg: ProfileGraph, src: int, row: int) -> tuple[list[int], int] | None:
        """From a node that is no overlay node: the in-floor path to the target of its floor
        from which the destination is nearest (every route leaves a floor by a target)."""
        lay = self.layout
        local, indptr, heads, cost = lay.local_py, pg.indptr_py, pg.heads_py, pg.cost_py
        best: tuple[float, list[int], int] | None = None
        for t in lay.targets[lay.cell_py[src]].tolist():
            rest = self._rest(pg, row, lay.overlay_py[t])
            if rest == math.inf:
                continue
            buf, b = self.hop_rows[t]
            arcs: list[int] = []
            total = rest
            u = src
            while u != t:
                k = buf[b + local[u]]
                if k == self.none:
                    break
                a = indptr[u] + k
                arcs.append(a)
                total += cost[a]
                u = heads[a]
            if u == t and (best is None or total < best[0]):
                best = (total, arcs, t)
        return None if best is None else (best[1], best[2])


def build_index(
    pg: ProfileGraph,
    layout: Layout,
    dests: np.ndarray,
    previous: TreeIndex | None,
    state: ClosureState,
) -> TreeIndex:
    """The index for ``dests`` with the arcs of ``state`` closed.

    Floors whose own arcs are closed exactly as in ``previous`` keep its trees.
    """
    wide = pg.max_degree >= 255
    dtype = np.uint16 if wide else np.uint8
    none = 65535 if wide else 255
    mask = state.mask
    n_cells = len(layout.nodes)
    floors: list[FloorTrees | None] = [None] * n_cells
    if previous is not None and previous.layout is layout and previous.none == none:
        changed = np.flatnonzero(previous.closed_mask != mask)
        stale = set(layout.arc_cell[changed][layout.arc_cell[changed] >= 0].tolist())
        floors = [None if c in stale else f for c, f in enumerate(previous.floors)]
    recomputed = 0
    for c in range(n_cells):
        if floors[c] is None:
            floors[c] = _floor_trees(pg, layout, c, state, dtype, none)
            recomputed += 1
    done = [f for f in floors if f is not None]
    seconds, next_hop, segments = _overlay(pg, layout, done, dests, state)
    hop_rows: dict[int, tuple[bytes | array, int]] = {}
    for c, f in enumerate(done):
        m = len(layout.nodes[c])
        for k, t in enumerate(layout.targets[c].tolist()):
            hop_rows[t] = (f.hops, k * m)
    return TreeIndex(
        layout=layout,
        dests=dests,
        row_of={int(d): i for i, d in enumerate(dests)},
        floors=done,
        hop_rows=hop_rows,
        seconds=seconds,
        next_hop=next_hop,
        segments=segments,
        none=none,
        closed_mask=mask,
        recomputed=recomputed,
    )


def _overlay(
    pg: ProfileGraph,
    layout: Layout,
    floors: list[FloorTrees],
    dests: np.ndarray,
    state: ClosureState,
) -> tuple[np.ndarray, array, dict[int, array]]:
    """Seconds and next overlay node towards every destination, from every overlay node."""
    width = len(layout.overlay)
    of = layout.overlay_of
    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    for c, f in enumerate(floors):
        tt, ss = np.nonzero(np.isfinite(f.seconds))
        t_nodes, s_nodes = layout.targets[c][tt], layout.sources[c][ss]
        keep = t_nodes != s_nodes
        tails.append(of[s_nodes[keep]])
        heads.append(of[t_nodes[keep]])
        costs.append(f.seconds[tt[keep], ss[keep]])
    cross = np.intersect1d(state.open_arcs, layout.cross, assume_unique=True)
    c_tails, c_heads = of[pg.tails[cross]], of[pg.heads[cross]]
    tails.append(c_tails)
    heads.append(c_heads)
    costs.append(pg.cost[cross])
    # Reversed: the search runs from each destination towards every origin.
    matrix = sp.csr_matrix(
        (np.concatenate(costs), (np.concatenate(heads), np.concatenate(tails))), shape=(width, width)
    )
    targets, origins = of[dests], of[pg.out_of[dests]]
    seconds = np.empty((len(dests), len(dests)))
    narrow = width < 2**15
    nxt = np.empty((len(dests), width), dtype=np.int16 if narrow else np.int32)
    for start in range(0, len(dests), CHUNK):
        rows = slice(start, start + CHUNK)
        dist, pred = dijkstra(matrix, indices=targets[rows], return_predecessors=True)
        seconds[rows] = dist[:, origins]
        nxt[rows] = np.maximum(pred, -1)
    np.fill_diagonal(seconds, 0.0)
    segments: dict[int, array] = {
        v * width + w: array("i", (a,))
        for v, w, a in zip(c_tails.tolist(), c_heads.tolist(), cross.tolist(), strict=True)
    }
    return seconds, array("h" if narrow else "i", nxt.tobytes()), segments


def usable(index: TreeIndex, pg: ProfileGraph) -> bool:
    """True when every arc closed at build time is still closed."""
    return not np.any(index.closed_mask & ~pg.closed_mask)
