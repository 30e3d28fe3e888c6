"""Many nurses pressing "call next" on shared queues at once, as separate OS processes.

    python bench/queues.py [--json] [--callers 8] [--patients 400] [--rooms 2]

Runs against the server in DATABASE_URL (a private database created on it and dropped after)
or a temporary SQLite file. Each caller is its own process with its own connections; callers
share the rooms' lines (several desks per room). Afterwards the transition history in the
database is checked: `double_calls` (a patient called more than once), `lost` (never called)
and `order_violations` (someone called while a patient ahead of them in line still waited)
must all be 0. Prints one JSON line (only that line with --json).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from navigation import queues  # noqa: E402
from navigation.checkin import PatientDetails, check_in  # noqa: E402
from navigation.demo import load_demo  # noqa: E402
from navigation.journeys import arrive, complete_self_service  # noqa: E402
from navigation.models import (  # noqa: E402
    Base,
    Language,
    Mobility,
    QueueEntry,
    QueueEvent,
    Room,
    RoomStatus,
    StaffUser,
    utcnow,
)
from notifications.db import NotificationsBase  # noqa: E402

ROOM_TYPE, EXAM = "ultrasound", "US-THY"  # four rooms in the demo hospital perform it


def engine_for(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _write_lock_up_front(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time, no upgrade deadlock

        return engine
    return sa.create_engine(url, pool_size=2, max_overflow=0)


def prepare(url: str, patients: int, rooms: int, desks: int) -> list[str]:
    engine = engine_for(url)
    Base.metadata.create_all(engine)
    NotificationsBase.metadata.create_all(engine)
    now = utcnow()
    with Session(engine) as session:
        site = load_demo(session)
        chosen = session.scalars(
            sa.select(Room).where(Room.site_id == site.id, Room.room_type == ROOM_TYPE).order_by(Room.code)
        ).all()
        for i, room in enumerate(chosen):
            room.stations = desks
            if i >= rooms:
                room.status = RoomStatus.CLOSED  # patients spread over the benchmark's rooms only
        reception = session.scalars(sa.select(StaffUser).where(StaffUser.username == "reception")).one()
        session.flush()
        for n in range(patients):
            at = now + timedelta(milliseconds=n)
            journey = check_in(
                session,
                site_code=site.code,
                visit_number=f"B{n:06d}",
                patient=PatientDetails(f"MRN{n:06d}", f"Bench {n}", Language.ZH, Mobility.WALKING),
                order_codes=[EXAM],
                actor=reception,
                now=at,
            )
            pay = next(t for t in journey.tasks if t.kind == "payment")
            complete_self_service(session, journey, pay.id, at)
            exam = next(t for t in journey.tasks if t.key == f"exam:{EXAM}")
            arrive(session, journey, exam.id, at)
            if n % 100 == 99:
                session.commit()
        session.commit()
        codes = [r.code for r in chosen[:rooms]]
    engine.dispose()
    return codes


def caller(
    url: str,
    index: int,
    room_code: str,
    desk: int,
    ready: mp.Queue,
    start: mp.synchronize.Event,
    out: mp.Queue,
) -> None:
    try:
        out.put(_call_until_empty(url, index, room_code, desk, ready, start))
    except BaseException as error:  # report, so the parent never waits for a dead caller
        out.put({"caller": index, "calls": 0, "retries": 0, "error": repr(error)})


def _call_until_empty(
    url: str, index: int, room_code: str, desk: int, ready: mp.Queue, start: mp.synchronize.Event
) -> dict:
    engine = engine_for(url)
    calls = retries = 0
    with Session(engine) as session:
        nurse = session.scalars(sa.select(StaffUser).where(StaffUser.username == "nurse")).one()
        room = session.scalars(sa.select(Room).where(Room.code == room_code)).one()
        session.commit()
        ready.put(index)
        start.wait()
        while True:
            try:
                queues.call_next(session, room, desk, actor=nurse, now=utcnow(), confirm=True)
                session.commit()
                calls += 1
            except queues.QueueEmpty:
                session.rollback()
                break
            except sa.exc.OperationalError:  # SQLite busy beyond its timeout: try again
                session.rollback()
                retries += 1
        finished = time.time()
    engine.dispose()
    return {"caller": index, "calls": calls, "retries": retries, "finished": finished}


def count(url: str) -> dict[str, int]:
    """From the history: calls per entry, and whether each call took the first in line."""
    engine = engine_for(url)
    with Session(engine) as session:
        entries = {e.id: e for e in session.scalars(sa.select(QueueEntry))}
        calls = session.scalars(
            sa.select(QueueEvent).where(QueueEvent.action == "call").order_by(QueueEvent.id)
        ).all()
    engine.dispose()
    per_entry = Counter(c.entry_id for c in calls)
    by_queue: dict[int, list[float]] = defaultdict(list)
    for c in calls:
        by_queue[c.queue_id].append(entries[c.entry_id].order_key)
    # Everyone was in line before the first call: each queue's calls must follow the line order.
    violations = sum(1 for keys in by_queue.values() for a, b in zip(keys, keys[1:], strict=False) if b < a)
    return {
        "calls": len(calls),
        "double_calls": sum(n - 1 for n in per_entry.values() if n > 1),
        "lost": sum(1 for entry_id in entries if per_entry[entry_id] == 0),
        "order_violations": violations,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--callers", type=int, default=8)
    parser.add_argument("--patients", type=int, default=400)
    parser.add_argument("--rooms", type=int, default=2, help="shared queues (1 to 4)")
    args = parser.parse_args()
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr))
    if args.callers < 1 or not 1 <= args.rooms <= 4:
        parser.error("at least one caller, 1 to 4 rooms")

    server = os.environ.get("DATABASE_URL", "")
    tmp = None
    admin = None
    if server.startswith("postgresql"):
        name = f"carepath_bench_{secrets.token_hex(4)}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
    else:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(tmp.name) / 'bench.sqlite'}"
    try:
        desks = -(-args.callers // args.rooms)  # each caller has a desk of its own
        say(
            f"preparing {args.patients} patients in {args.rooms} rooms on {make_url(url).get_backend_name()}…"
        )
        rooms = prepare(url, args.patients, args.rooms, desks)
        ctx = mp.get_context("spawn")
        ready, start, out = ctx.Queue(), ctx.Event(), ctx.Queue()
        procs = [
            ctx.Process(
                target=caller, args=(url, i, rooms[i % len(rooms)], i // len(rooms) + 1, ready, start, out)
            )
            for i in range(args.callers)
        ]
        for p in procs:
            p.start()
        for _ in procs:  # every caller has imported, connected and loaded: then the whistle
            ready.get(timeout=300)
        began = time.time()
        start.set()
        reports = [out.get(timeout=900) for _ in procs]
        elapsed = max(r.get("finished", began) for r in reports) - began
        for p in procs:
            p.join()
        counted = count(url)
        result = {
            "database": make_url(url).get_backend_name(),
            "callers": args.callers,
            "rooms": len(rooms),
            "patients": args.patients,
            "calls": counted["calls"],
            "seconds": round(elapsed, 3),
            "calls_per_second": round(counted["calls"] / elapsed, 1),
            "double_calls": counted["double_calls"],
            "lost": counted["lost"],
            "order_violations": counted["order_violations"],
            "busy_retries": sum(r["retries"] for r in reports),
        }
        say("calls per caller:", sorted(r["calls"] for r in reports))
        for r in reports:
            if "error" in r:
                print(f"caller {r['caller']} failed: {r['error']}", file=sys.stderr)
        print(json.dumps(result))
        ok = result["double_calls"] == result["lost"] == result["order_violations"] == 0
        ok = ok and not any("error" in r for r in reports)
        return 0 if ok else 1
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
