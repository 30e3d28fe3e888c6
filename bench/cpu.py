"""What each kind of request costs the server in CPU, on a 1,000-patient morning, in-process.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/cpu.py --json

The load benchmark (`bench/load.py`) says what the phones see; on a shared 2-core machine
its figures move with everything else running. This one counts what a request costs the
web process itself: CPU seconds of this process (`time.process_time`: Python, Flask,
SQLAlchemy, the driver; not PostgreSQL's own work) and SQL statements, per request, through
the WSGI app as gunicorn calls it (production config, JSON request log lines written).

Seeds a private database like `bench/load.py` (or copies one left by `--keep`, in seconds:
`--template NAME`), then runs each case on the same day. One JSON line per case: `case`,
`requests`, `cpu_ms` and `cpu_ms_median` (per request), `python_calls` (function calls per
request, from every fifth request run under cProfile: steady on a busy machine), `queries`
(per request), `statuses`. A last line, `full_collections`, says how long the garbage
collector's full collections held the process (`count`, `max_ms`, `total_ms`): the app's own
objects frozen as gunicorn's `post_worker_init` does, or not with `--no-freeze`.
`--profile CASE` prints that case's cProfile (cumulative) on stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import random
import runpy
import secrets
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402  (bench/load.py: the private database and the seeded day)

Request = tuple[str, str, dict[str, str], dict | None]  # method, path, headers, JSON body


def copy_of(server: str, template: str) -> tuple[str, str]:
    name = f"carepath_cpu_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return name, make_url(server).set(database=name).render_as_string(hide_password=False)


def make_app(url: str) -> Any:
    """The app as `wsgi.py` builds it under gunicorn: production settings, JSON log lines, and
    the hospital clock of `bench/load.py`: the seeded morning goes on from where its seeding
    stopped, whatever the real hour (at night the real clock finds every room closed)."""
    os.environ.update(
        DATABASE_URL=url,
        SECRET_KEY="cpu-" + secrets.token_hex(16),
        JWT_SECRET_KEY="cpu-jwt-" + secrets.token_hex(16),
        CAREPATH_ENV="production",
        CAREPATH_IMPROVE_EVERY_S="3600",
    )
    os.environ.pop("REDIS_URL", None)
    from api import create_app
    from api.json_logs import configure_logging
    from navigation.models import utcnow

    configure_logging(stream=open(os.devnull, "w"))  # noqa: SIM115  (lives as long as the process)
    app = create_app()
    offset = _last_moment(url) - utcnow()
    app.config["CLOCK"] = lambda: utcnow() + offset
    return app


def _last_moment(url: str) -> datetime:
    """When the seeded day last changed, on its own clock: the latest step change recorded."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        last = conn.scalar(sa.text("SELECT max(at) FROM task_transition"))
    engine.dispose()
    return last


class Morning:
    """The day's patients (their links, made with this app's secret) and staff tokens."""

    def __init__(self, app: Any) -> None:
        from api.auth import _access
        from navigation.access import access_token
        from navigation.models import Journey, StaffUser

        self.app = app
        with app.app_context():
            from api.extensions import db

            self.links = {
                j.id: access_token(app.config["SECRET_KEY"], j)
                for j in db.session.scalars(sa.select(Journey).where(Journey.visit_number.like("M%")))
            }
            staff = {u.username: u for u in db.session.scalars(sa.select(StaffUser))}
            self.nurse = {"Authorization": f"Bearer {_access(staff['nurse'])['access_token']}"}
            self.reception = {"Authorization": f"Bearer {_access(staff['reception'])['access_token']}"}
            self.rooms = sorted(
                db.session.scalars(
                    sa.text(
                        "SELECT DISTINCT r.code FROM queue_entry e JOIN room_queue q ON q.id = e.queue_id "
                        "JOIN room r ON r.id = q.room_id WHERE e.status = 'waiting'"
                    )
                )
            )
            db.session.remove()
        self.random = random.Random(1)
        self.sample: list[int] = []  # the phones the read cases poll, in turn
        self.turn = 0
        self.etags: dict[str, str] = {}
        self.called: list[int] = []
        self.visits = 0

    def poll(self, phones: int) -> None:
        self.sample = self.random.sample(sorted(self.links), min(phones, len(self.links)))

    def patient(self, kind: str, with_etag: bool) -> Request:
        self.turn += 1
        journey_id = self.sample[self.turn % len(self.sample)]
        path = f"/api/v1/{kind}/{journey_id}"
        headers = {"Authorization": f"Bearer {self.links[journey_id]}"}
        if with_etag and path in self.etags:
            headers["If-None-Match"] = self.etags[path]
        return "GET", path, headers, None

    def board(self) -> Request:
        return "GET", f"/api/v1/queues/rooms/{self.random.choice(self.rooms)}", self.nurse, None

    def call_next(self) -> Request:
        return (
            "POST",
            f"/api/v1/queues/rooms/{self.random.choice(self.rooms)}/call-next",
            self.nurse,
            {"desk": 1},
        )

    def complete(self) -> Request | None:
        if not self.called:
            return None  # every patient called is done
        entry = self.called.pop(0)
        return "POST", f"/api/v1/queues/entries/{entry}/complete", self.nurse, None

    def check_in(self) -> Request:
        self.visits += 1
        body = {
            "visit_number": f"C{self.visits:06d}",
            "patient": {"mrn": f"CMRN{self.visits:06d}", "name": "Bench", "language": "zh",
                        "mobility": "walking", "fasting_confirmed": True},
            "orders": [{"code": "ECG"}, {"code": "XR-CHEST"}],
        }  # fmt: skip
        return "POST", "/api/v1/journeys", {**self.reception, "Idempotency-Key": f"cpu-{self.visits}"}, body

    def heard(self, request: Request, status: int, headers: Any, data: bytes) -> None:
        method, path, _, _ = request
        if method == "GET" and status == 200 and "ETag" in headers:
            self.etags[path] = headers["ETag"]
        elif status == 200 and path.endswith("/call-next"):
            entry = json.loads(data).get("entry")
            if entry:
                self.called.append(entry["id"])


def run_case(
    app: Any, morning: Morning, case: str, make: Callable[[], Request | None], count: int, profile: bool
) -> dict[str, Any]:
    """`count` requests; every fifth runs under cProfile, for its count of Python function calls
    (the same on a busy machine), the others are timed. With `profile`, all are profiled."""
    client = app.test_client()
    from api.extensions import db

    with app.app_context():
        engine = db.engine
    statements = 0

    def counted(*_: Any) -> None:
        nonlocal statements
        statements += 1

    statuses: Counter[int] = Counter()
    profiler = cProfile.Profile(time.process_time)  # CPU time, not waits
    timed: list[float] = []
    done = profiled = 0
    event.listen(engine, "before_cursor_execute", counted)
    try:
        while done < count and (request := make()) is not None:
            method, path, headers, body = request
            counting = profile or done % 5 == 4
            began = time.process_time()
            if counting:
                profiler.enable()
            response = client.open(path, method=method, headers=headers, json=body)
            data = response.get_data()
            if counting:
                profiler.disable()
                profiled += 1
            else:
                timed.append(time.process_time() - began)
            done += 1
            statuses[response.status_code] += 1
            morning.heard(request, response.status_code, response.headers, data)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    stats = pstats.Stats(profiler, stream=io.StringIO()) if profiled else None
    if profile and stats is not None:
        stats.stream = sys.stderr  # type: ignore[attr-defined]
        stats.sort_stats("cumulative").print_stats(60)
        if os.environ.get("CPU_PSTATS_DIR"):
            stats.dump_stats(os.path.join(os.environ["CPU_PSTATS_DIR"], f"{case}.pstats"))
        stats.sort_stats("tottime").print_stats(40)
    return {
        "requests": done,
        "cpu_ms": round(1000 * statistics.mean(timed), 2) if timed else None,
        "cpu_ms_median": round(1000 * statistics.median(timed), 2) if timed else None,
        "python_calls": round(stats.total_calls / profiled) if stats is not None else None,  # type: ignore[attr-defined]
        "queries": round(statements / max(done, 1), 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


class FullCollections:
    """Times every full (generation 2) garbage collection from now on: the process answers
    nothing meanwhile."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._began = 0.0
        gc.callbacks.append(self._heard)

    def _heard(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._began)

    def summary(self) -> dict[str, Any]:
        return {
            "count": len(self.pauses),
            "max_ms": round(1000 * max(self.pauses, default=0.0), 1),
            "total_ms": round(1000 * sum(self.pauses), 1),
        }


def cases(morning: Morning, reads: int, writes: int) -> list[tuple[str, Callable[[], Request | None], int]]:
    from api.freshness import forget

    def warm(kind: str) -> Callable[[], Request]:
        return lambda: morning.patient(kind, with_etag=False)

    def rebuilt() -> Request:
        morning.app.extensions["carepath.answers"].clear()  # built, not a kept answer
        return morning.patient("journeys", with_etag=False)

    forget(morning.app)
    morning.poll(reads // 2)  # each phone polls twice per case: the second reads what the first kept
    return [
        ("warm_up_journeys", warm("journeys"), reads),  # routes kept, every phone holds its ETags
        ("warm_up_queues", warm("queues/journeys"), reads),
        ("healthz", lambda: ("GET", "/healthz", {}, None), reads),  # the yardstick bench/load.py uses
        ("journey_not_modified", lambda: morning.patient("journeys", with_etag=True), reads),
        ("journey_kept", warm("journeys"), reads),
        ("journey_built", rebuilt, reads),
        ("queue_read", warm("queues/journeys"), reads),
        ("queue_not_modified", lambda: morning.patient("queues/journeys", with_etag=True), reads),
        ("nurse_board", morning.board, reads // 4),
        ("check_in", morning.check_in, writes),
        ("call_next", morning.call_next, writes),
        ("complete", morning.complete, writes),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON lines")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--reads", type=int, default=400, help="requests per read case")
    parser.add_argument("--writes", type=int, default=20, help="requests per write case")
    parser.add_argument("--template", help="copy this seeded database instead of seeding one")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database (for --template)")
    parser.add_argument("--profile", action="append", default=[], help="cProfile this case (stderr)")
    parser.add_argument("--case", action="append", default=[], help="run only this case (and the warm-up)")
    parser.add_argument("--no-freeze", action="store_true", help="leave the app's objects to the collector")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgresql"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (a private database is created on it)")
    if args.template:
        name, url = copy_of(server, args.template)
    else:
        name, url = load.private_database(server)
        load.seed(url, args.patients)
        if args.keep:
            print(f"seeded database kept: --template {name}", file=sys.stderr)
            name, url = copy_of(server, name)
    try:
        app = make_app(url)
        morning = Morning(app)
        if not args.no_freeze:
            runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_worker_init"](object())
        pauses = FullCollections()
        for case, make, count in cases(morning, args.reads, args.writes):
            if args.case and case not in args.case and not case.startswith("warm_up"):
                continue
            result = {"case": case, **run_case(app, morning, case, make, count, case in args.profile)}
            if not case.startswith("warm_up"):
                print(json.dumps(result), flush=True)
        print(json.dumps({"case": "full_collections", **pauses.summary()}), flush=True)
        with app.app_context():
            from api.extensions import db

            db.engine.dispose()
    finally:
        load.drop_database(server, name)


if __name__ == "__main__":
    main()
