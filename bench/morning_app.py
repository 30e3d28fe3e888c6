"""The app as `wsgi.py` builds it, on the hospital clock the load benchmark set.

`bench/load.py` seeds its day at a fixed local time (09:00 by default) whatever the hour of
the real day: run at night, the real clock would find every room closed, check-ins told to
come back tomorrow, and nothing planned, which is not the morning the benchmark measures.
The server reads the same clock: real time shifted by `CAREPATH_BENCH_CLOCK_OFFSET_S`.
"""

import os
from datetime import timedelta

from navigation.models import utcnow
from wsgi import app

OFFSET = timedelta(seconds=float(os.environ["CAREPATH_BENCH_CLOCK_OFFSET_S"]))
app.config["CLOCK"] = lambda: utcnow() + OFFSET
