"""What the journey domain counts for operators: solver calls, route cache, index rebuilds, lines.

The counters live in this process (under gunicorn, in `prometheus_client`'s multiprocess files,
summed at scrape time). Queue lengths are not counted here but read from the database when
`/metrics` is scraped, so every worker reports the same truth.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import Counter, Histogram
from sqlalchemy.orm import Session

from navigation.models import EntryStatus, QueueEntry, Room, RoomQueue, Site

SOLVER_CALLS = Counter(
    "carepath_solver_calls_total",
    "Sequencer runs by kind (checkin, improve, replan) and outcome (optimal, feasible, greedy = timed "
    "out with the fallback plan, time_limit, converged, done, error).",
    ["kind", "status"],
)
SOLVER_SECONDS = Histogram(
    "carepath_solver_seconds",
    "Wall time of one sequencer run.",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
ROUTE_CACHE = Counter(
    "carepath_route_cache_lookups_total", "Route lookups by result (hit or miss).", ["result"]
)
INDEX_REBUILD_SECONDS = Histogram(
    "carepath_route_index_rebuild_seconds",
    "Time to rebuild a site's routing index after a closure or reopening.",
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30),
)


class SolverCall:
    """The outcome of one run, set by the caller once it knows it (else `done`)."""

    status = "done"


@contextmanager
def solver_call(kind: str) -> Iterator[SolverCall]:
    """Time a sequencer run and count it with its outcome; an exception counts as `error`."""
    call = SolverCall()
    started = time.perf_counter()
    try:
        yield call
    except BaseException:
        call.status = "error"
        raise
    finally:
        SOLVER_SECONDS.labels(kind).observe(time.perf_counter() - started)
        SOLVER_CALLS.labels(kind, call.status).inc()


def timed_rebuild(rebuild: Callable[[], float]) -> None:
    """Run a router's index rebuild (returns its seconds) and record how long it took."""
    INDEX_REBUILD_SECONDS.observe(rebuild())


@dataclass(frozen=True)
class RoomLine:
    site: str
    room: str
    waiting: int
    longest_wait_s: float


def waiting_by_room(session: Session, now: datetime) -> list[RoomLine]:
    """Patients waiting in each room's line now, and how long the first of them has waited."""
    rows = session.execute(
        sa.select(Site.code, Room.code, sa.func.count(QueueEntry.id), sa.func.min(QueueEntry.joined_at))
        .join(RoomQueue, QueueEntry.queue_id == RoomQueue.id)
        .join(Room, RoomQueue.room_id == Room.id)
        .join(Site, Room.site_id == Site.id)
        .where(QueueEntry.status == EntryStatus.WAITING)
        .group_by(Site.code, Room.code)
    )
    return [
        RoomLine(site, room, count, max(0.0, (now - oldest).total_seconds()))
        for site, room, count, oldest in rows
    ]
