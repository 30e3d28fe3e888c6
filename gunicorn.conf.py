"""gunicorn settings read from the working directory: Prometheus metrics across workers.

With PROMETHEUS_MULTIPROC_DIR set, every worker writes its counters to files there and any
worker's `/metrics` sums them. The directory is emptied when the server starts, so counts do
not carry over from an earlier run.
"""

import os
from pathlib import Path


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
