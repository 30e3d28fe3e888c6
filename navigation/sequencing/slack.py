"""How long each of a patient's planned steps may wait without making their day longer.

A room that frees up should call the patient whose delay costs the most time in hospital:
someone whose stay ends with a report written four hours after this scan loses a minute
of stay for every minute they wait here; someone whose day ends with another exam's report
does not. The latest start of a step is the latest time it can begin without moving the
patient's planned end, keeping their steps in planned order and every rule's minimum gap.
Rooms call by it (capped, so nobody with slack waits indefinitely); docs/sequencing.md has
what it gains on the simulated day.
"""

from __future__ import annotations

from collections.abc import Iterable

from navigation.sequencing.model import Placement, Rule

CALL_SLACK_CAP_MIN = 60  # a patient with slack is called at most this long after their planned start
# the queues run behind the plan, so only half the planned slack is trusted (measured: the
# whole slack gave the same mean stay, but a p90 8 min longer than the FCFS plan's, not 3)
CALL_SLACK_SHARE = 0.5


def latest_starts(plan: list[Placement], rules: Iterable[Rule], done: Iterable[str] = ()) -> dict[str, int]:
    """Latest start of each not-done step of `plan` (one patient's placements) that keeps the
    patient's planned end: one step at a time in planned order, every rule's gap kept."""
    if not plan:
        return {}
    finished, rules = set(done), list(rules)
    end = max(p.end for p in plan)
    todo = sorted((p for p in plan if p.task not in finished), key=lambda p: (p.start, p.end))
    length = {p.task: p.end - p.start for p in todo}
    latest = {p.task: end - length[p.task] for p in todo}
    for _ in range(2):  # a rule may run against the planned order once
        for p, nxt in zip(reversed(todo[:-1]), reversed(todo[1:]), strict=True):
            latest[p.task] = min(latest[p.task], latest[nxt.task] - length[p.task])
        for rule in rules:
            if rule.before in latest and rule.after in latest:
                bound = latest[rule.after] - rule.min_gap_min - length[rule.before]
                latest[rule.before] = min(latest[rule.before], bound)
    return latest


def call_delay(plan: list[Placement], rules: Iterable[Rule], task: str, done: Iterable[str] = ()) -> float:
    """How much later than its planned start a room should count this step as due: a share
    of its slack (latest less planned start), at most `CALL_SLACK_CAP_MIN`, never negative."""
    latest = latest_starts(plan, rules, done).get(task)
    own = next((p.start for p in plan if p.task == task), None)
    if latest is None or own is None:
        return 0.0
    return float(min(CALL_SLACK_CAP_MIN, CALL_SLACK_SHARE * max(0, latest - own)))
