"""End-to-end check-in benchmark (not a timed test): the whole API with a full day planned.

    DATABASE_URL=postgresql+psycopg://... /work/venv/bin/python bench/checkin_service.py [--planned 1000]

Without DATABASE_URL it uses a fresh SQLite file. The database must be empty or hold only
an earlier run of this benchmark (its tables are created and the demo hospital loaded).
Checks `--planned` patients in through `POST /api/v1/journeys`, then times `--measured`
more. Prints one JSON line: p50/p95/max in ms, and, as the baseline measured in the same
run, how long loading the whole day takes (what every check-in did before it read the
others as bookings only).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--planned", type=int, default=1000)
    parser.add_argument("--measured", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite")

    from flask_migrate import upgrade

    from api import create_app
    from api.extensions import db
    from navigation import planning
    from navigation.demo import load_demo
    from navigation.models import Site, utcnow
    from navigation.simulation.scenario import generate

    app = create_app()
    with app.app_context():
        upgrade()
        load_demo(db.session)
        db.session.commit()
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"username": "reception", "password": "demo"})
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    run = f"{time.time():.0f}"
    arrivals = generate(args.planned + args.measured, seed=1).arrivals
    times = []
    for i, arrival in enumerate(arrivals):
        body = {
            "visit_number": f"B{run}-{i}",
            "patient": {
                "mrn": f"B{run}-{i}",
                "name": "Bench",
                "language": "zh",
                "mobility": arrival.mobility.value,
                "fasting_confirmed": True,
            },
            "orders": [{"code": code} for code in arrival.orders],
        }
        began = time.perf_counter()
        response = client.post("/api/v1/journeys", json=body, headers=headers)
        if i >= args.planned:
            times.append(time.perf_counter() - began)
        refused = response.status_code == 422 and "orders" in str(response.json.get("errors"))
        if response.status_code != 201 and not refused:  # refused: orders that cannot be combined
            raise SystemExit(f"check-in failed: {response.status_code} {response.json}")
    with app.app_context():
        site = db.session.scalars(db.select(Site).where(Site.code == "demo")).one()
        began = time.perf_counter()
        day = planning.load_day(db.session, site, utcnow())
        full_load = time.perf_counter() - began
        dialect = db.engine.dialect.name
    print(
        json.dumps(
            {
                "metric": "checkin_service",
                "database": dialect,
                "planned_patients": len(day.state.patients) - args.measured,
                "checkin_p50_ms": round(1000 * percentile(times, 0.5)),
                "checkin_p95_ms": round(1000 * percentile(times, 0.95)),
                "checkin_max_ms": round(1000 * max(times)),
                "baseline_full_day_load_ms": round(1000 * full_load),
            }
        )
    )


if __name__ == "__main__":
    main()
