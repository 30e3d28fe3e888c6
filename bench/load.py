"""The morning peak under load: patients' phones, nurses and the desk against gunicorn (gevent).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/load.py --json

Creates a private database on the DATABASE_URL server (dropped afterwards), loads the demo
hospital and a day of `--patients` (1,000) checked-in patients (paid; those whose next step
is a room are in its line), starts `gunicorn -k gevent` on 127.0.0.1 and drives it from this
process, a small asyncio HTTP/1.1 client with keep-alive connections. Prints one JSON line per
case: `case`, `connections`, `offered_rps` (null: as fast as possible), `achieved_rps`,
`p50_ms`, `p99_ms`, `errors`, `ratio_to_healthz`; then `mixed_integrity`, counted from the
database after the run (`double_calls`: entries called twice; `lost_checkins`: check-ins
answered 201 that are not in the database).

Latency is what the client saw. Fixed-rate cases are open-loop: each request has its
scheduled time and latency counts from it, so a server falling behind shows in the figures.
A run whose `/healthz` case stays under 300 requests/s was limited by the client (or a busy
machine) and says so: `"invalid"` on the healthz line, and on stderr. Bounded: every case
runs a fixed number of seconds, the whole run stays under 10 minutes by default.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
SECRET = "bench-" + secrets.token_hex(16)
STAFF_PASSWORD = "Bench-" + secrets.token_urlsafe(18)  # production refuses the demo passwords
MIN_HEALTHZ_RPS = 300
MORNING = "09:00"  # the hospital's local time when the day is seeded: rooms open, lines forming
TIMEOUT_S = 15.0  # an answer later than this is an error
DRAIN_S = 15.0  # after a fixed-rate case, requests still waiting this long are not sent (errors)


# ---- the client --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request: what to send and which answers are right (anything else is an error)."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | None = None
    expect: tuple[int, ...] = (200,)


class Connection:
    """One keep-alive HTTP/1.1 connection (a phone's or a nurse's browser)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, call: Call) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        assert self.reader is not None
        body = json.dumps(call.body).encode() if call.body is not None else b""
        head = [f"{call.method} {call.path} HTTP/1.1", f"Host: {HOST}", f"Content-Length: {len(body)}"]
        if call.body is not None:
            head.append("Content-Type: application/json")
        head += [f"{k}: {v}" for k, v in call.headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed by the server")
        status = int(status_line.split()[1])
        headers = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        data = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    unsent: int = 0

    def record(self, seconds: float, ok: bool) -> None:
        self.latencies.append(seconds)
        self.failed += not ok

    @property
    def errors(self) -> int:
        return self.failed + self.unsent


async def _exchange(conn: Connection, call: Call, on_answer: Callable | None) -> bool:
    try:
        status, headers, data = await asyncio.wait_for(conn.send(call), TIMEOUT_S)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        conn.close()
        return False
    if on_answer is not None:
        on_answer(call, status, headers, data)
    return status in call.expect


async def as_fast_as_possible(
    port: int,
    connections: int,
    seconds: float,
    next_call: Callable[[], Call],
    on_answer: Callable | None = None,
) -> tuple[Tally, float]:
    """Each connection sends its next request as soon as the last is answered (closed loop)."""
    tally = Tally()
    began = time.perf_counter()
    deadline = began + seconds

    async def connection() -> None:
        conn = Connection(port)
        while time.perf_counter() < deadline:
            call = next_call()
            sent = time.perf_counter()
            ok = await _exchange(conn, call, on_answer)
            tally.record(time.perf_counter() - sent, ok)
        conn.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return tally, time.perf_counter() - began


async def at_fixed_rates(
    port: int,
    connections: int,
    seconds: float,
    streams: list[tuple[float, Callable[[], Call], Tally]],
    on_answer: Callable | None = None,
) -> float:
    """Open loop: each stream's requests are due at its rate whatever the server does; a due
    request waits for a free connection, and its latency counts from when it was due. Requests
    still waiting `DRAIN_S` after the end are not sent and count as errors (bounded time)."""
    due: asyncio.Queue[tuple[float, Call, Tally] | None] = asyncio.Queue()
    began = time.perf_counter()

    async def schedule(rate: float, next_call: Callable[[], Call], tally: Tally) -> None:
        for i in itertools.count():
            at = began + i / rate
            if at >= began + seconds:
                return
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            due.put_nowait((at, next_call(), tally))

    async def connection() -> None:
        conn = Connection(port)
        while (item := await due.get()) is not None:
            at, call, tally = item
            if time.perf_counter() > began + seconds + DRAIN_S:
                tally.unsent += 1  # the server fell too far behind: counted as an error, not sent
                continue
            ok = await _exchange(conn, call, on_answer)
            tally.record(time.perf_counter() - at, ok)
        conn.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    await asyncio.gather(*(schedule(rate, make, tally) for rate, make, tally in streams))
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    return time.perf_counter() - began


def percentile_ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def line(
    case: str, connections: int, offered: float | None, tally: Tally, elapsed: float, base: float | None
) -> dict:
    achieved = round(len(tally.latencies) / elapsed, 1) if elapsed else 0.0
    return {
        "case": case,
        "connections": connections,
        "offered_rps": offered,
        "achieved_rps": achieved,
        "p50_ms": percentile_ms(tally.latencies, 0.50),
        "p99_ms": percentile_ms(tally.latencies, 0.99),
        "errors": tally.errors,
        "ratio_to_healthz": round(achieved / base, 3) if base else None,
    }


# ---- the day -----------------------------------------------------------------------------


@dataclass
class Day:
    journeys: list[tuple[int, str]]  # (journey id, patient token)
    rooms: list[str]  # rooms with people in line
    clock_offset_s: float  # the hospital's clock: real time plus this (bench/morning_app.py)
    checked_in: list[str] = field(default_factory=list)  # visit numbers answered 201


def private_database(server: str) -> tuple[str, str]:
    name = f"carepath_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, name: str) -> None:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, patients: int, morning_at: str = MORNING) -> Day:
    """The demo hospital and a morning of checked-in patients: each has paid, and stands in
    the line of their next step when it is a room ready for them. The hospital's clock reads
    `morning_at` local time when seeding starts, whatever the real hour."""
    from sqlalchemy.orm import Session

    from navigation import planning, sequencing
    from navigation.access import access_token
    from navigation.checkin import PatientDetails, check_in
    from navigation.demo import load_demo
    from navigation.demo.clock import OffsetClock, parse_local_time
    from navigation.journeys import arrive, complete_self_service
    from navigation.models import Base, Language, Site, StaffUser, TaskStatus
    from navigation.simulation.scenario import generate
    from navigation.staff import set_password
    from navigation.task_states import next_step
    from notifications.db import NotificationsBase
    from notifications.outbox import OutboxMessage, Status

    # Seeding a thousand check-ins in minutes: each gets the greedy plan and 20 ms of solver
    # (the server keeps its own budget for the check-ins measured in the mixed run).
    planning.CHECKIN_SETTINGS = sequencing.SolverSettings(workers=1, time_limit_s=0.02)
    # seeding only, not waiting for each commit to reach the disk (the server's writes do)
    engine = sa.create_engine(url, connect_args={"options": "-c synchronous_commit=off"})
    Base.metadata.create_all(engine)
    NotificationsBase.metadata.create_all(engine)
    journeys, rooms = [], set()
    with Session(engine) as session:
        site = load_demo(session)
        hospital = OffsetClock(parse_local_time(morning_at), site.timezone)
        reception = session.scalars(sa.select(StaffUser).where(StaffUser.username == "reception")).one()
        for user in session.scalars(
            sa.select(StaffUser).where(StaffUser.username.in_(["nurse", "reception"]))
        ):
            set_password(session, user, STAFF_PASSWORD, hospital())  # production refuses the demo's
        for n, arrival in enumerate(generate(patients, seed=1).arrivals):
            now = hospital()
            try:
                journey = check_in(
                    session,
                    site_code=site.code,
                    visit_number=f"M{n:06d}",
                    patient=PatientDetails(
                        f"MRN{n:06d}", f"Bench {n}", Language.ZH, arrival.mobility, fasting_confirmed=True
                    ),
                    order_codes=list(arrival.orders),
                    actor=reception,
                    now=now,
                )
            except Exception:  # orders the catalog refuses to combine: the desk would fix them
                session.rollback()
                continue
            for task in [t for t in journey.tasks if t.kind == "payment" and t.status == TaskStatus.READY]:
                complete_self_service(session, journey, task.id, now)
            step = next_step(journey)
            if (
                step is not None
                and not step.self_service
                and step.status == TaskStatus.READY
                and step.planned_room
            ):
                arrive(session, journey, step.id, now)
                rooms.add(step.planned_room.code)
            session.commit()
            journeys.append((journey.id, access_token(SECRET, journey)))
        # the background improver ran a moment ago: it stays out of the measured minutes
        session.execute(sa.update(Site).values(improved_at=hospital()))
        # and the morning's messages went out (no phone is registered: each ends as no_device);
        # left pending, each web worker's dispatcher drained 2,600 of them in the first cases
        session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.status == Status.PENDING)
            .values(status=Status.NO_DEVICE, finished_at=hospital())
        )
        session.commit()
    engine.dispose()
    return Day(journeys, sorted(rooms), hospital.offset.total_seconds())


# ---- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, workers: int, clock_offset_s: float) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "JWT_SECRET_KEY": SECRET + "-jwt",
        "CAREPATH_ENV": "production",
        "CAREPATH_IMPROVE_EVERY_S": "3600",
        "CAREPATH_BENCH_CLOCK_OFFSET_S": str(clock_offset_s),
    }
    if os.environ.get("BENCH_REDIS_URL"):  # a private Redis: routes and live events shared through it
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    command = [
        sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", str(workers),
        "--worker-connections", "1000", "-b", f"{HOST}:{port}", "--log-level", "warning", "bench.morning_app:app",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not start within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)  # gunicorn and its workers: the group it leads
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# ---- the cases ---------------------------------------------------------------------------


async def login(port: int, username: str) -> dict[str, str]:
    conn = Connection(port)
    status, _, data = await conn.send(
        Call("POST", "/api/v1/auth/login", body={"username": username, "password": STAFF_PASSWORD})
    )
    conn.close()
    if status != 200:
        raise SystemExit(f"{username} could not sign in: {status} {data[:200]!r}")
    return {"Authorization": f"Bearer {json.loads(data)['access_token']}"}


class Morning:
    """The requests of an outpatient morning, drawn at random but reproducibly."""

    def __init__(self, day: Day, nurse: dict[str, str], reception: dict[str, str]) -> None:
        self.day, self.nurse, self.reception = day, nurse, reception
        self.random = random.Random(1)
        self.etags: dict[str, str] = {}  # path -> the ETag the phone holds
        self._polling: list[tuple[str, str, str]] = []
        self.called: list[int] = []  # entries called, to complete
        self.visits = itertools.count()
        self.desks = itertools.count()

    def _patient(self) -> tuple[int, dict[str, str]]:
        journey_id, token = self.random.choice(self.day.journeys)
        return journey_id, {"Authorization": f"Bearer {token}"}

    def journey(self, with_etag: bool = False) -> Call:
        journey_id, auth = self._patient()
        return self._read(f"/api/v1/journeys/{journey_id}", auth, with_etag)

    def place_in_line(self, with_etag: bool = False) -> Call:
        journey_id, auth = self._patient()
        return self._read(f"/api/v1/queues/journeys/{journey_id}", auth, with_etag)

    def _read(self, path: str, auth: dict[str, str], with_etag: bool) -> Call:
        etag = self.etags.get(path) if with_etag else None
        if etag is None:
            return Call("GET", path, auth)
        return Call("GET", path, {**auth, "If-None-Match": etag}, expect=(200, 304))

    def not_modified(self) -> Call:
        """A phone polling its journey with the ETag it holds; nothing changed since."""
        if not self._polling:
            tokens = dict(self.day.journeys)
            self._polling = [
                (path, tokens[int(path.rsplit("/", 1)[1])], etag)
                for path, etag in self.etags.items()
                if path.startswith("/api/v1/journeys/")
            ]
        path, token, etag = self.random.choice(self._polling)
        return Call("GET", path, {"Authorization": f"Bearer {token}", "If-None-Match": etag}, expect=(304,))

    def board(self) -> Call:
        return Call("GET", f"/api/v1/queues/rooms/{self.random.choice(self.day.rooms)}", self.nurse)

    def mixed_read(self) -> Call:
        pick = self.random.random()
        if pick < 0.45:
            return self.journey(with_etag=True)
        if pick < 0.60:
            return self.journey()
        if pick < 0.80:
            return self.place_in_line(with_etag=True)
        if pick < 0.90:
            return self.place_in_line()
        return self.board()

    def queue_operation(self) -> Call:
        """A nurse calls the next patient, or finishes with one called before."""
        if self.called and next(self.desks) % 2:
            entry = self.called.pop(0)
            return Call("POST", f"/api/v1/queues/entries/{entry}/complete", self.nurse, expect=(200, 409))
        room = self.random.choice(self.day.rooms)
        return Call(
            "POST", f"/api/v1/queues/rooms/{room}/call-next", self.nurse, {"desk": 1}, expect=(200, 409)
        )

    def check_in(self) -> Call:
        n = next(self.visits)
        body = {
            "visit_number": f"L{n:06d}",
            "patient": {"mrn": f"LMRN{n:06d}", "name": "Bench", "language": "zh", "mobility": "walking",
                        "fasting_confirmed": True},
            "orders": [{"code": "ECG"}, {"code": "XR-CHEST"}],
        }  # fmt: skip
        return Call(
            "POST", "/api/v1/journeys", {**self.reception, "Idempotency-Key": f"bench-{n}"}, body, (201,)
        )

    def heard(self, call: Call, status: int, headers: dict[str, str], data: bytes) -> None:
        """Keep what a phone or a nurse keeps from an answer."""
        if status == 200 and "etag" in headers and call.method == "GET":
            self.etags[call.path] = headers["etag"]
        elif status == 200 and call.path.endswith("/call-next"):
            entry = json.loads(data).get("entry")
            if entry:
                self.called.append(entry["id"])
        elif status == 201 and call.path == "/api/v1/journeys":
            self.day.checked_in.append(call.body["visit_number"] if call.body else "")


async def warm_up(port: int, day: Day, morning: Morning, limit_s: float = 240.0) -> None:
    """Not measured: every phone reads its journey and place in line, twice (so that each
    worker is likely to have seen it): the morning is under way, routes are cached, each phone
    holds its ETags. Bounded in time on a slow machine."""
    calls = [Call("GET", f"/api/v1/{kind}/{j}", {"Authorization": f"Bearer {t}"})
             for _ in range(2) for j, t in day.journeys for kind in ("journeys", "queues/journeys")]  # fmt: skip
    queue: asyncio.Queue[Call] = asyncio.Queue()
    for call in calls:
        queue.put_nowait(call)
    deadline = time.perf_counter() + limit_s

    async def connection() -> None:
        conn = Connection(port)
        while not queue.empty() and time.perf_counter() < deadline:
            await _exchange(conn, queue.get_nowait(), morning.heard)
        conn.close()

    await asyncio.gather(*(connection() for _ in range(32)))
    print(f"warm-up: {len(calls) - queue.qsize()} of {len(calls)} reads", file=sys.stderr)


def yardstick(port: int, seconds: float) -> None:
    """If Debian's `wrk` is installed: /healthz as a C client sees it, on stderr, to tell a
    slow client from a slow server (the JSON lines stay this client's figures)."""
    if shutil.which("wrk") is None:
        return
    found = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{max(1, int(seconds))}s", f"http://{HOST}:{port}/healthz"],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout
    rate = next((line.split()[1] for line in found.splitlines() if line.startswith("Requests/sec")), "?")
    print(f"wrk yardstick, /healthz with 32 connections: {rate} req/s", file=sys.stderr)


async def run_cases(port: int, day: Day, seconds: float, mixed_seconds: float) -> list[dict]:
    nurse, reception = await login(port, "nurse"), await login(port, "reception")
    morning = Morning(day, nurse, reception)
    lines: list[dict] = []

    # Warm-up, not measured: every phone has read its journey and place in line once (the
    # morning is under way), which also gives each phone its ETags.
    await warm_up(port, day, morning)

    tally, elapsed = await as_fast_as_possible(port, 32, seconds, lambda: Call("GET", "/healthz"))
    healthz = line("healthz", 32, None, tally, elapsed, None)
    base = healthz["achieved_rps"]
    healthz["ratio_to_healthz"] = 1.0
    if base < MIN_HEALTHZ_RPS:
        healthz["invalid"] = (
            f"/healthz reached {base} req/s, under {MIN_HEALTHZ_RPS}: the client or the machine was the limit"
        )
        print(f"INVALID RUN: {healthz['invalid']}", file=sys.stderr)
    lines.append(healthz)
    yardstick(port, seconds)

    for case, connections, make in (
        ("journey_read", 32, morning.journey),
        ("journey_not_modified", 32, morning.not_modified),
        ("journey_read_128", 128, morning.journey),
    ):
        tally, elapsed = await as_fast_as_possible(port, connections, seconds, make)
        lines.append(line(case, connections, None, tally, elapsed, base))

    tally = Tally()
    elapsed = await at_fixed_rates(port, 32, seconds, [(200.0, morning.journey, tally)])
    lines.append(line("journey_read_200rps", 32, 200.0, tally, elapsed, base))

    reads, writes = Tally(), Tally()
    elapsed = await at_fixed_rates(
        port,
        64,
        mixed_seconds,
        [
            (200.0, morning.mixed_read, reads),
            (2.0, morning.queue_operation, writes),
            (1.0, morning.check_in, writes),
        ],
        morning.heard,
    )
    lines.append(line("mixed_reads_200rps", 64, 200.0, reads, elapsed, base))
    lines.append(line("mixed_writes_200rps", 64, 3.0, writes, elapsed, base))
    return lines


def integrity(url: str, day: Day) -> dict:
    """From the database, after the run: nobody called twice, no acknowledged check-in lost."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        double_calls = conn.scalar(
            sa.text(
                "SELECT count(*) FROM (SELECT entry_id FROM queue_event WHERE action = 'call' "
                "AND undone_by_id IS NULL GROUP BY entry_id HAVING count(*) > 1) AS twice"
            )
        )
        found = set(conn.scalars(sa.text("SELECT visit_number FROM journey WHERE visit_number LIKE 'L%'")))
    engine.dispose()
    return {
        "case": "mixed_integrity",
        "double_calls": double_calls,
        "lost_checkins": len(set(day.checked_in) - found),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON lines")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each case")
    parser.add_argument("--mixed-seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--morning-at", default=MORNING, help="the hospital's local time when the day is seeded"
    )
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith("postgresql"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (a private database is created on it)")
    began = time.monotonic()
    name, url = private_database(server_url)
    try:
        day = seed(url, args.patients, args.morning_at)
        if not args.json:
            print(f"seeded {len(day.journeys)} patients in {time.monotonic() - began:.0f} s", file=sys.stderr)
        port = free_port()
        server = start_server(url, port, args.workers, day.clock_offset_s)
        try:
            lines = asyncio.run(run_cases(port, day, args.seconds, args.mixed_seconds))
        finally:
            stop_server(server)
        lines.append(integrity(url, day))
    finally:
        drop_database(server_url, name)
    for result in lines:
        print(json.dumps(result))
    if not args.json:
        print(f"whole run: {time.monotonic() - began:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
