"""Clocks and waits for tests whose outcome depends on real time passing.

The suite also runs 400 days ahead under Debian's libfaketime (0.9.10) with
FAKETIME_DONT_FAKE_MONOTONIC=1, where `time.sleep` fails with EINVAL (it sleeps to an absolute
monotonic deadline that libfaketime shifts). `pause` waits on an event instead, which works
there too, and `sleep_through_faketime` routes the libraries' own sleeps (subprocess polls a
child with one) through it.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timedelta


def pause(seconds: float) -> None:
    """Sleep `seconds` of real time, also under libfaketime."""
    threading.Event().wait(seconds)


def sleep_through_faketime() -> None:
    """Under libfaketime, make every `time.sleep` of this process a `pause`."""
    if "faketime" in os.environ.get("LD_PRELOAD", ""):
        time.sleep = pause


def without_faketime(environ: dict[str, str]) -> dict[str, str]:
    """The environment for a child process that sleeps in its own code (gunicorn's arbiter),
    where `sleep_through_faketime` cannot reach: the real clock, which the child's work here
    does not read the date from."""
    return {k: v for k, v in environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}


class RunningClock:
    """A clock that starts at a chosen instant and moves in real time: for races decided by
    real waits, without reading the calendar."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.origin)
