"""Shortest-path trees towards every destination room: microsecond queries.

Each tree stores, for every node, which of its arcs leads one step closer to the
destination (an offset into the node's CSR row, one byte per node when degrees allow).
A tree built while some set B of arcs was closed stays exact whenever the current closed
set C contains B and the followed path avoids C: closing only removes paths, so a
shortest path that survives is still shortest.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from .graph import ClosureState, ProfileGraph

CHUNK = 16  # destinations per scipy call: bounds the temporary (CHUNK x nodes) arrays


@dataclass
class TreeIndex:
    dests: np.ndarray  # node index of each tree's destination
    row_of: dict[int, int]  # destination node index -> tree row
    trees: np.ndarray  # (destinations, nodes): arc offset towards the destination
    flat: bytes | array  # the same memory, for fast scalar reads: flat[row * nodes + node]
    none: int  # offset meaning "no path"
    seconds: np.ndarray  # (destinations, destinations): seconds from room j to room i
    closed_mask: np.ndarray  # the arcs closed when the trees were computed
    build_s: float = 0.0
    recomputed: int = 0  # trees computed in the last build (others were kept)


def _flat(trees: np.ndarray) -> tuple[bytes | array, np.ndarray]:
    """One immutable buffer for all trees, and a numpy view of it."""
    flat: bytes | array = trees.tobytes() if trees.dtype == np.uint8 else array("H", trees.tobytes())
    return flat, np.frombuffer(flat, dtype=trees.dtype).reshape(trees.shape)


def build_index(
    pg: ProfileGraph, dests: np.ndarray, previous: TreeIndex | None, state: ClosureState
) -> TreeIndex:
    """Trees for ``dests`` with the arcs of ``state`` closed.

    With a previous index built under a subset of today's closures, only the trees that
    used a newly closed arc are recomputed.
    """
    wide = pg.max_degree >= 255
    dtype = np.uint16 if wide else np.uint8
    none = 65535 if wide else 255
    n = pg.n
    mask = state.mask
    reuse = (
        previous is not None
        and previous.trees.dtype == dtype
        and np.array_equal(previous.dests, dests)
        and not np.any(previous.closed_mask & ~mask)
    )
    if reuse and previous is not None:
        trees = previous.trees.copy()
        seconds = previous.seconds.copy()
        new = np.flatnonzero(mask & ~previous.closed_mask)
        if len(new):
            tails = pg.tails[new]
            offsets = new - pg.indptr[tails]
            todo = np.flatnonzero((trees[:, tails] == offsets).any(axis=1))
        else:
            todo = np.zeros(0, dtype=np.int64)
    else:
        trees = np.full((len(dests), n), none, dtype=dtype)
        seconds = np.full((len(dests), len(dests)), np.inf)
        todo = np.arange(len(dests))
    if len(todo):
        reverse = pg.matrix(transpose=True, state=state)
        for start in range(0, len(todo), CHUNK):
            rows = todo[start : start + CHUNK]
            dist, pred = dijkstra(reverse, indices=dests[rows], return_predecessors=True)
            rr, uu = np.nonzero(pred >= 0)
            arcs = pg.arc_between(uu, pred[rr, uu], state)
            block = np.full((len(rows), n), none, dtype=dtype)
            block[rr, uu] = (arcs - pg.indptr[uu]).astype(dtype)
            trees[rows] = block
            seconds[rows] = dist[:, pg.out_of[dests]]  # from each room, leaving by its own node
            seconds[rows, rows] = 0.0
    flat, view = _flat(trees)
    del trees
    return TreeIndex(
        dests=dests,
        row_of={int(d): i for i, d in enumerate(dests)},
        trees=view,
        flat=flat,
        none=none,
        seconds=seconds,
        closed_mask=mask,
        recomputed=len(todo),
    )


def usable(index: TreeIndex, pg: ProfileGraph) -> bool:
    """True when every arc closed at build time is still closed."""
    return not np.any(index.closed_mask & ~pg.closed_mask)
