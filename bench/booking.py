"""Booking speed (not a timed test): offers for patients with 5 exams against a full week.

    python bench/booking.py [--per-day 1000] [--days 7] [--measured 50] [--json]

Fills each day of a week with `--per-day` booked patients (the generator's order mix, each
booked on its day by the engine), then times `offer_days` for `--measured` patients with 5
exams each, from the first day of the week. Prints p50/p95/max in ms (one JSON line with
`--json`) and how many patients the week really holds.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def five_exams(rng: random.Random, codes: list[str]) -> list[str]:
    return rng.sample(codes, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--measured", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from navigation.booking.engine import (
        DayBook,
        Hospital,
        desk_types,
        offer_days,
        plan_visit,
        split_visits,
        visit_patient,
    )
    from navigation.booking.rules import BookingRules
    from navigation.errors import DomainError
    from navigation.sequencing.model import Placement
    from navigation.sequencing.walking import StraightLineWalking
    from navigation.simulation.scenario import generate

    day0 = date(2000, 1, 3)
    rules = BookingRules()
    held: dict[date, DayBook] = {}
    hospital = None
    booked = 0
    began = time.perf_counter()
    for n in range(args.days):
        scenario = generate(args.per_day, n + 1, utilisation=0.4)
        if hospital is None:
            rooms = {r.code: r for r in scenario.rooms}
            walking = StraightLineWalking.for_rooms(rooms.values())
            hospital = Hospital(rooms, walking, scenario.entrance, desk_types(scenario.catalog))
        day = day0 + timedelta(days=n)
        held[day] = DayBook(hospital, rules)
        for arrival in scenario.arrivals:
            for codes in split_visits(scenario.catalog, arrival.orders)[:1]:
                patient = visit_patient(scenario.catalog, codes, hospital, rules.first_arrival_min, rules)
                visit = plan_visit(day, patient, codes, held[day], rules)
                if not hasattr(visit, "steps"):
                    continue
                booked += 1
                for s in visit.steps:  # type: ignore[union-attr]
                    held[day].hold(Placement(arrival.patient, s.key, s.room, s.station, s.start, s.end))
    fill_s = time.perf_counter() - began
    assert hospital is not None
    catalog = generate(1, 1).catalog
    codes = sorted(c for c, e in catalog.exam_types.items() if e.kind == "exam")
    rng = random.Random("bench-booking")
    timings: list[float] = []
    refused = 0
    for _ in range(args.measured):
        orders = five_exams(rng, codes)
        start = time.perf_counter()
        try:
            offer_days(
                catalog, hospital, orders, day0, lambda d: held.get(d) or DayBook(hospital, rules), rules
            )
        except DomainError:
            refused += 1
        timings.append((time.perf_counter() - start) * 1000)
    result = {
        "offer_p50_ms": round(percentile(timings, 0.5), 1),
        "offer_p95_ms": round(percentile(timings, 0.95), 1),
        "offer_max_ms": round(max(timings), 1),
        "measured": args.measured,
        "refused": refused,
        "booked_per_day": round(booked / args.days),
        "days": args.days,
        "fill_seconds": round(fill_s, 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
