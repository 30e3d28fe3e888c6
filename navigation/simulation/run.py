"""Run one scenario under each policy, on the same day with the same random draws."""

from __future__ import annotations

from collections.abc import Iterable

from navigation.sequencing.model import DayState, Plan
from navigation.sequencing.walking import StraightLineWalking
from navigation.simulation.policies import Planned, PlannedOptions, Policy, WalkIn
from navigation.simulation.scenario import Scenario
from navigation.simulation.simulator import DayResult, simulate_day

POLICIES = ("walk_in", "fcfs_catalog_order", "fcfs", "carepath")


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


def run_day(
    scenario: Scenario,
    policies: Iterable[str] = POLICIES,
    options: PlannedOptions | None = None,
) -> list[DayResult]:
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    options = options or PlannedOptions()
    return [
        simulate_day(scenario, make_policy(name, scenario, walking, options), walking) for name in policies
    ]
