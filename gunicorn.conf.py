"""gunicorn settings read from the working directory: Prometheus metrics across workers.

With PROMETHEUS_MULTIPROC_DIR set, every worker writes its counters to files there and any
worker's `/metrics` sums them. The directory is emptied when the server starts, so counts do
not carry over from an earlier run.
"""

import gc
import os
from pathlib import Path

from gunicorn import glogging

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # before anything creates a metric
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def post_worker_init(worker):
    """A worker must never stall: while one request waits, every other request of the process
    waits with it (all of them, in a gevent worker).

    - The objects the app was built with (modules, the catalog, schemas, some 300,000) are
      frozen out of the garbage collector's way. Every full collection walked them all, about
      0.2 s during which the worker answered nothing: a collection every few seconds of a busy
      morning, and the phones' slowest answers.
    - Waits for PostgreSQL go through the (patched) `select.poll`: psycopg chose its C wait when
      the master imported it for the log formatter, before gevent patched anything, and that
      wait holds the whole loop for each query's round trip and for every row lock.
    - CP-SAT solves run on the hub's thread pool (the solver releases the GIL).
    """
    gc.collect()
    gc.freeze()
    if worker.__class__.__module__.endswith("ggevent"):
        import gevent
        from psycopg import waiting

        from navigation.sequencing.cpsat import run_solves_with

        waiting.wait = waiting.wait_poll
        run_solves_with(lambda solve: gevent.get_hub().threadpool.apply(solve))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


class OneLinePerRequest(glogging.Logger):
    """The app logs each request (`api.request_log`: the URL rule, never the path, with the
    request id). gunicorn's access line is off: a `logconfig_dict` turns it on, and it doubled
    every request's log line and the worker's logging time."""

    access_log_enabled = False


logger_class = OneLinePerRequest

# gunicorn's own lines (boot, worker exits) as JSON too
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "api.json_logs.JsonFormatter"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
