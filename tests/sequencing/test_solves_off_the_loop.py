"""A gevent worker keeps answering while it plans: gunicorn.conf.py hands CP-SAT's solves to
the hub's thread pool (the solver releases the GIL), so one check-in's planning does not stall
every phone the process serves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.timing import without_faketime

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
from gevent import monkey

monkey.patch_all()

import random, runpy, sys
import gevent
from gunicorn.workers.ggevent import GeventWorker
from ortools.sat.python import cp_model

from navigation.sequencing import cpsat

if sys.argv[1] == "gunicorn.conf.py":
    runpy.run_path("gunicorn.conf.py")["post_worker_init"](object.__new__(GeventWorker))

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

ticks = []
def phone():
    while True:
        ticks.append(1)
        gevent.sleep(0.01)

gevent.spawn(phone)
gevent.sleep(0)
ticks.clear()
cpsat.run_solve(lambda: solver.solve(model))
print(len(ticks))
"""


def _ticks_during_a_one_second_solve(setup: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", WORKER, setup],
        cwd=ROOT,
        env=without_faketime({"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.split()[-1])


def test_a_gevent_worker_keeps_serving_while_cp_sat_plans():
    assert _ticks_during_a_one_second_solve("gunicorn.conf.py") >= 20  # about 100 on a quiet machine
    assert _ticks_during_a_one_second_solve("as imported") <= 2  # the loop stood still
