"""Run one scenario under each policy, on the same day with the same random draws."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from navigation.sequencing.model import DayState, Plan
from navigation.sequencing.walking import StraightLineWalking
from navigation.simulation.booked import book_day, booked_policy
from navigation.simulation.policies import Planned, PlannedOptions, Policy, WalkIn
from navigation.simulation.scenario import Scenario
from navigation.simulation.simulator import DayResult, simulate_day

POLICIES = ("walk_in", "fcfs_catalog_order", "fcfs", "carepath")
BOOKED = "carepath_booked"  # added by --booked-share


def make_policy(
    name: str, scenario: Scenario, walking: StraightLineWalking, options: PlannedOptions
) -> Policy:
    if name == "walk_in":
        printed = {a.patient: list(a.orders) for a in scenario.arrivals}
        return WalkIn({r.code: r for r in scenario.rooms}, printed, walking)
    if name in ("fcfs_catalog_order", "fcfs", "carepath"):
        state = DayState({r.code: r for r in scenario.rooms}, {}, Plan(), walking)
        return Planned(
            state, smart=name == "carepath", options=options, best_order=name != "fcfs_catalog_order"
        )
    raise ValueError(f"unknown policy {name!r}; expected one of {', '.join(POLICIES)}")


def as_run(scenario: Scenario, reports_to_phone: bool) -> Scenario:
    """The day as the hospital runs it: with results on the phone nobody collects reports at a
    desk (the day's lower bound is taken on this day too, or it would bound the other one)."""
    if not reports_to_phone:
        return scenario
    return replace(scenario, arrivals=[replace(a, collects_reports=False) for a in scenario.arrivals])


def run_day(
    scenario: Scenario,
    policies: Iterable[str] = POLICIES,
    options: PlannedOptions | None = None,
    booked_share: float | None = None,
    reports_to_phone: bool = False,
) -> list[DayResult]:
    """Each policy on the same day; `booked_share` adds `carepath_booked`, `reports_to_phone`
    sends every patient's results to their phone (a hospital-wide policy, so every run)."""
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    options = options or PlannedOptions()
    scenario = as_run(scenario, reports_to_phone)
    names = [n for n in policies if n != BOOKED]
    results = [
        simulate_day(scenario, make_policy(name, scenario, walking, options), walking) for name in names
    ]
    if booked_share is not None or BOOKED in policies:
        booked = book_day(scenario, 0.7 if booked_share is None else booked_share)
        state = DayState({r.code: r for r in scenario.rooms}, {}, Plan(), walking)
        result = simulate_day(booked.scenario, booked_policy(state, booked, options), walking)
        result.windows = {p: v.window_start for p, v in booked.visits.items() if p not in booked.no_shows}
        result.no_shows = len(booked.no_shows)
        results.append(result)
    return results
