"""A worker's full garbage collections leave the app's own objects alone: gunicorn.conf.py's
`post_worker_init` freezes what the app was built with. Before, each full collection walked
some 300,000 objects (modules, the catalog, schemas) and held the worker about 0.2 s, the
phones' slowest answers of a busy morning (`bench/load.py`, mixed run).

The child does what a gunicorn worker does: builds the app (`wsgi.py`), then runs the hook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.timing import without_faketime

ROOT = Path(__file__).resolve().parents[1]

WORKER = """
import gc, runpy, sys

import wsgi  # the app, as a gunicorn worker loads it

gc.collect()
before = len(gc.get_objects())  # what a full collection walks
if sys.argv[1] == "hooked":
    runpy.run_path("gunicorn.conf.py")["post_worker_init"](object())
gc.collect()
print(before, len(gc.get_objects()))
"""


def _walked(hooked: str, tmp_path: Path) -> tuple[int, int]:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path}/worker.sqlite"}
    environ.pop("REDIS_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", WORKER, hooked],
        cwd=ROOT,
        env=without_faketime(environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    before, after = out.stdout.split()[-2:]
    return int(before), int(after)


def test_a_full_collection_in_a_worker_walks_a_small_part_of_what_the_app_was_built_with(tmp_path):
    before, after = _walked("hooked", tmp_path)
    assert before > 100_000 and after < before / 10
    before, after = _walked("as imported", tmp_path)
    assert after > before * 0.9  # without the hook, every object stays in the collector's way
