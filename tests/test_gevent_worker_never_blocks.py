"""A gevent worker keeps answering while one request waits: gunicorn.conf.py's
`post_worker_init` makes psycopg wait through the patched `select.poll` (the master imported
psycopg before gevent patched anything, so it had chosen its blocking C wait) and hands
CP-SAT's solves to the hub's thread pool (the solver releases the GIL).

Each case runs in a child that does what a gunicorn gevent worker does: psycopg imported
first (by the log formatter, in the master), then gevent's patching, then the hook. A phone's
greenlet ticks every 10 ms while a one-second query or solve runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.timing import without_faketime

ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgresql://postgres@127.0.0.1:5432/test"

WORKER = """
import psycopg  # the master imported it for the log formatter, before any patching

from gevent import monkey

monkey.patch_all()

import random, runpy, sys
import gevent
from gunicorn.workers.ggevent import GeventWorker
from ortools.sat.python import cp_model

from navigation.sequencing import cpsat

hooked, case, server = sys.argv[1:4]
if hooked == "hooked":
    runpy.run_path("gunicorn.conf.py")["post_worker_init"](object.__new__(GeventWorker))


def solve_for_a_second():
    rng = random.Random(1)
    model = cp_model.CpModel()
    intervals, ends = [], []
    for _ in range(120):
        start, end = model.new_int_var(0, 5000, ""), model.new_int_var(0, 5000, "")
        intervals.append(model.new_interval_var(start, rng.randint(5, 60), end, ""))
        ends.append(end)
        model.add(start >= rng.randint(0, 2000))
    for _ in range(4):
        model.add_no_overlap(rng.sample(intervals, 60))
    model.minimize(sum(ends))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds, solver.parameters.num_workers = 1.0, 1
    cpsat.run_solve(lambda: solver.solve(model))


def query_for_a_second():
    with psycopg.connect(server) as conn:
        conn.execute("SELECT pg_sleep(1)")


ticks = []
def phone():
    while True:
        ticks.append(1)
        gevent.sleep(0.01)

gevent.spawn(phone)
gevent.sleep(0)
ticks.clear()
solve_for_a_second() if case == "solve" else query_for_a_second()
print(len(ticks))
"""


def _ticks(hooked: str, case: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", WORKER, hooked, case, SERVER],
        cwd=ROOT,
        env=without_faketime({**os.environ, "PYTHONPATH": str(ROOT)}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.split()[-1])


def test_a_gevent_worker_keeps_serving_while_cp_sat_plans():
    assert _ticks("hooked", "solve") >= 20  # about 100 on a quiet machine
    assert _ticks("as imported", "solve") <= 2  # the loop stood still


def test_a_gevent_worker_keeps_serving_while_postgresql_answers():
    try:
        psycopg.connect(SERVER, connect_timeout=3).close()
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    assert _ticks("hooked", "query") >= 20
    assert _ticks("as imported", "query") <= 2
