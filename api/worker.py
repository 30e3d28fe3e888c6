"""`carepath worker`: the long-running background process, built to outlive outages.

It runs three things: the plan improver (a thread), the outbox sweep (a thread that delivers
whatever is due straight from the database, so a wake-up lost while Redis was away costs a
few seconds, never a message), and, with REDIS_URL, an RQ worker for prompt wake-ups. RQ's
worker quits when Redis vanishes in the middle of a job; here it is started again with
backoff until Redis returns. Database errors end one pass, never the process.
"""

from __future__ import annotations

import logging
import threading

import redis
import rq
from flask import Flask

from api.background import PlanImprover, app_dispatcher
from notifications import BackgroundDispatcher
from notifications.jobs import QUEUE_NAME

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0


def run(app: Flask, sweep_seconds: float) -> None:
    """Work until stopped (Ctrl-C or SIGTERM); outages are waited out, not fatal."""
    improver = PlanImprover(app)
    sweep = BackgroundDispatcher(app_dispatcher(app), poll_seconds=sweep_seconds)
    improver.start()
    sweep.start()
    try:
        if app.config["REDIS_URL"]:
            _rq_until_stopped(app.config["REDIS_URL"])
        else:
            threading.Event().wait()  # the sweep is the dispatcher; Ctrl-C ends the wait
    except KeyboardInterrupt:
        pass
    finally:
        sweep.stop()
        improver.stop()


def _rq_until_stopped(redis_url: str, stopping: threading.Event | None = None) -> None:
    """Run RQ's worker; whenever it quits on a Redis error, wait and start a fresh one."""
    stopping = stopping or threading.Event()
    backoff = 1.0
    while not stopping.is_set():
        try:
            # No work horses: forking a process that runs threads (sweep, improver) can copy a
            # lock held by one of them into the child, which then hangs holding its lease.
            worker = rq.SimpleWorker([QUEUE_NAME], connection=redis.Redis.from_url(redis_url))
            worked = worker.work(with_scheduler=True)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            logger.warning("worker lost Redis (%s); starting again in %.0f s", error, backoff)
        else:
            if getattr(worker, "_stop_requested", False):
                return  # SIGTERM or Ctrl-C: RQ finished its job and stopped on request
            logger.warning("RQ worker quit (Redis away?); starting again in %.0f s", backoff)
            if worked:
                backoff = 1.0
        if stopping.wait(backoff):
            return
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
