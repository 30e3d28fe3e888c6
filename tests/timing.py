"""Clocks and waits for tests whose outcome depends on real time passing.

The suite also runs 400 days ahead under Debian's libfaketime (0.9.10) with
FAKETIME_DONT_FAKE_MONOTONIC=1, where `time.sleep` fails with EINVAL (it sleeps to an absolute
monotonic deadline that libfaketime shifts). `pause` waits on an event instead, which works
there too.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta


def pause(seconds: float) -> None:
    """Sleep `seconds` of real time, also under libfaketime."""
    threading.Event().wait(seconds)


class RunningClock:
    """A clock that starts at a chosen instant and moves in real time: for races decided by
    real waits, without reading the calendar."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.origin)
