"""How patients decide where to go next: unguided walk-in, FCFS plan, CarePath.

A policy answers the simulator's questions (which step next, in which room, with which
queue priority) and hears about what happens (check-in, step started and finished, a
patient leaving, a room pausing). The planned policies keep a `DayState` in step with the
simulated day; CarePath also re-plans on events and improves everyone's plan in the
background.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from navigation.sequencing.greedy import insert_patient
from navigation.sequencing.model import (
    DayState,
    Patient,
    Placement,
    Room,
    SolverSettings,
    Task,
    Unplaced,
    WalkingTime,
)
from navigation.sequencing.orders import insert_best_order
from navigation.sequencing.planner import (
    PatientLeft,
    RoomClosed,
    StepOverran,
    improve,
    plan_arrival,
    refresh,
    replan,
    resequence,
)
from navigation.sequencing.prepare import fasting_lower_bound, initial_order, position, screen
from navigation.sequencing.slack import call_delay


@dataclass(frozen=True)
class NextStep:
    task: Task
    room: str | None  # None: self-service where the patient is
    queue_key: float  # rooms call the waiting patient with the smallest key
    not_before: float = 0.0


class Day(Protocol):
    """What a policy may read from the running simulation."""

    @property
    def now(self) -> float: ...

    def queue_load(self, room: str) -> float: ...
    def room_idle(self, room: str, minutes: float) -> bool: ...
    def location(self, patient: str) -> str | None: ...
    def executed(self, patient: str) -> dict[str, Placement]: ...
    def skipped(self, patient: str) -> dict[str, str]: ...
    def in_progress(self) -> dict[tuple[str, str], Placement]: ...
    def heading(self) -> dict[tuple[str, str], str]: ...


class Policy(Protocol):
    name: str
    solve_seconds: float

    def check_in(self, day: Day, patient: Patient) -> None: ...
    def next_step(self, day: Day, patient: Patient) -> NextStep | None: ...
    def step_started(self, day: Day, patient: Patient, task: Task, planned: float) -> None: ...
    def step_finished(self, day: Day, patient: Patient, task: Task, start: float, end: float) -> None: ...
    def patient_left(self, day: Day, patient: Patient) -> None: ...
    def step_refused(self, day: Day, patient: Patient, task: Task, reason: str) -> None: ...
    def sent_for_first(self, day: Day, patient: Patient, task: Task, prerequisite: str) -> None: ...
    def room_paused(self, day: Day, room: str, start: int, end: int) -> None: ...
    def background(self, day: Day) -> None: ...
    def unplaced(self, patient: Patient) -> dict[str, str]: ...


class WalkIn:
    """Unguided: the printed order, the nearest room, first come first served.

    Patients pay first, then take their exams as printed, each in the nearest department of
    its type (they cannot see the queues elsewhere; in its waiting area, the shortest one);
    they eat as soon as the next exam on the slip does not say "fasting" (the fasting exam
    after it is then refused), drink water when the scan desk tells them to, then collect
    reports and see the doctor. A department that sends them for a missing prerequisite
    first sends them there next.
    """

    name = "walk_in"

    def __init__(
        self,
        rooms: dict[str, Room],
        printed: dict[str, list[str]],
        walking: WalkingTime,
    ):
        self.rooms_by_type: dict[str, list[str]] = {}
        for room in rooms.values():
            self.rooms_by_type.setdefault(room.room_type, []).append(room.code)
        self.places = {code: (r.building, r.floor) for code, r in rooms.items()}
        self.printed = printed  # patient -> exam codes in the doctor's printed order
        self.walking = walking
        self.order: dict[str, list[Task]] = {}
        self.solve_seconds = 0.0

    def check_in(self, day: Day, patient: Patient) -> None:
        by_code = {c: t for t in patient.tasks for c in t.exam_codes}
        kinds = {t.kind: t for t in patient.tasks}
        exams: list[Task] = []
        for code in self.printed.get(patient.id, []):
            task = by_code.get(code)
            if task is not None and task not in exams and task.kind in ("exam", "blood_draw"):
                exams.append(task)
        order: list[Task] = [kinds["payment"]] if "payment" in kinds else []
        meal_done = "meal" not in kinds
        for task in exams:
            if not meal_done and task.fasting_hours <= 0 and order and order[-1].key != "payment":
                order.append(kinds["meal"])
                meal_done = True
            if task.full_bladder and "water" in kinds and kinds["water"] not in order:
                order.append(kinds["water"])
            order.append(task)
        if not meal_done:
            order.append(kinds["meal"])
        order += [t for t in patient.tasks if t not in order and t.kind not in ("meal", "water")]
        self.order[patient.id] = order

    def next_step(self, day: Day, patient: Patient) -> NextStep | None:
        done, skipped = day.executed(patient.id), day.skipped(patient.id)
        here = day.location(patient.id) or patient.entrance
        for task in self.order[patient.id]:
            if task.key in done or task.key in skipped:
                continue
            rooms = [r for kind in task.room_types for r in self.rooms_by_type.get(kind, [])]
            if task.self_service:
                room = None if task.location_neutral or not rooms else rooms[0]
            elif not rooms:
                continue
            else:
                room = self._nearest(day, here, rooms, patient)
            return NextStep(task, room, day.now)
        return None

    def _nearest(self, day: Day, here: str | None, rooms: list[str], patient: Patient) -> str:
        """The nearest department of the type; in its waiting area, the shortest queue."""

        def walk(room: str) -> float:
            return 0.0 if here is None or here == room else self.walking(here, room, patient.mobility)

        nearest = min(rooms, key=lambda r: (walk(r), r))
        department = [r for r in rooms if self.places[r] == self.places[nearest]]
        return min(department, key=lambda r: (day.queue_load(r), walk(r), r))

    def sent_for_first(self, day: Day, patient: Patient, task: Task, prerequisite: str) -> None:
        order = self.order[patient.id]
        first = patient.task(prerequisite)
        if first in order:
            order.remove(first)
        order.insert(order.index(task), first)

    def step_refused(self, day: Day, patient: Patient, task: Task, reason: str) -> None:
        return None

    def step_started(self, day: Day, patient: Patient, task: Task, planned: float) -> None:
        return None

    def step_finished(self, day: Day, patient: Patient, task: Task, start: float, end: float) -> None:
        return None

    def patient_left(self, day: Day, patient: Patient) -> None:
        return None

    def room_paused(self, day: Day, room: str, start: int, end: int) -> None:
        return None

    def background(self, day: Day) -> None:
        return None

    def unplaced(self, patient: Patient) -> dict[str, str]:
        return {}


@dataclass
class PlannedOptions:
    checkin_seconds: float = 0.2
    improve_every_min: int = 15
    # background improvement every `improve_every_min`: off, since it did not pay for its
    # time (docs/sequencing.md: within run-to-run noise, about 40 s more solver time a day)
    improve_seconds: float = 0.0
    lns_solve_seconds: float = 0.05  # time limit of each small solve in the improvement
    replan_seconds: float = 0.3
    late_min: int = 10  # a step ending this much later than planned triggers a re-plan
    refresh_every_min: float = 5  # at check-in, re-time overtaken plans at most this often
    # after a step, a patient facing a wait longer than this is re-planned alone (None: never;
    # measured: no better on the 300-patient day, so off)
    resequence_wait_min: float | None = None
    # after each of a patient's steps, CarePath re-plans them alone if a step of theirs was left
    # out for want of a free slot (the service re-plans the patients of every queue change,
    # `planning.replan_touched`): a room that ran ahead of the plan may have room for it now
    retry_seconds: float = 0.1
    # CarePath's rooms call the patient with the least slack first (`sequencing/slack.py`),
    # as the live queues do (`queues.lines.base_key`); False: by planned start, as FCFS plans
    call_by_slack: bool = True
    # nurses call from the department's shared line (rooms of a type on one floor), as
    # `queues.operations.call_next(from_service=True)` does
    shared_lines: bool = True
    workers: int = 2
    seed: int = 0


@dataclass
class Planned:
    """An FCFS plan (`smart=False`) or CarePath (`smart=True`) over one live `DayState`.

    FCFS plans each patient at check-in around everyone before them and never re-optimises:
    in their best rule-keeping order (`fcfs`, the strong baseline) or in the catalog's fixed
    order (`fcfs_catalog_order`, the plan CarePath was first measured against).
    """

    state: DayState
    smart: bool
    options: PlannedOptions = field(default_factory=PlannedOptions)
    solve_seconds: float = 0.0
    replans: int = 0
    name: str = ""
    best_order: bool = True

    def __post_init__(self) -> None:
        self.shared_lines = self.options.shared_lines
        if self.smart:
            self.name = "carepath"
        else:
            self.name = "fcfs" if self.best_order else "fcfs_catalog_order"
        self._refreshed_at = -1e9
        self.seconds_by: dict[str, float] = {}

    def settings(self, seconds: float) -> SolverSettings:
        return SolverSettings(workers=self.options.workers, time_limit_s=seconds, seed=self.options.seed)

    def _sync(self, day: Day) -> None:
        """Bring the plan in line with the day: what started, where people already queue."""
        state = self.state
        state.now = int(day.now)
        for ref, p in day.in_progress().items():
            planned = self.state.plan.placements.get(ref)
            end = max(int(day.now) + 1, p.end if planned is None else p.start + planned.end - planned.start)
            state.plan.put(replace(p, end=end, start=int(p.start)))
            state.started.add(ref)
        state.pinned_rooms = dict(day.heading())

    def _timed(self, fn: Callable[..., object], *args: object, **kwargs: object) -> None:
        began = time.perf_counter()
        try:
            fn(*args, **kwargs)
        finally:
            spent = time.perf_counter() - began
            self.solve_seconds += spent
            name = getattr(fn, "__name__", "other")
            self.seconds_by[name] = self.seconds_by.get(name, 0.0) + spent

    def _refresh(self, day: Day, every_min: float) -> None:
        if day.now - self._refreshed_at >= every_min:
            self._refreshed_at = day.now
            self._timed(refresh, self.state)

    def check_in(self, day: Day, patient: Patient) -> None:
        self._sync(day)
        self._refresh(day, self.options.refresh_every_min)
        if self.smart:
            self._timed(plan_arrival, self.state, patient, self.settings(self.options.checkin_seconds))
        elif self.best_order:
            self._timed(insert_best_order, self.state, patient)
        else:
            self._timed(insert_patient, self.state, patient, initial_order(patient))

    def next_step(self, day: Day, patient: Patient) -> NextStep | None:
        done, skipped = day.executed(patient.id), day.skipped(patient.id)
        todo = [
            p
            for p in self.state.plan.of_patient(patient.id)
            if p.task not in done and p.task not in skipped and not self._too_late(patient, p.task, done)
        ]
        if not todo:
            return None
        pending = {q.task for q in todo}
        # never ahead of a rule: the first planned step whose predecessors are all done
        p = next(
            (q for q in todo if not any(r.after == q.task and r.before in pending for r in patient.rules)),
            todo[0],
        )
        todo = [p, *[q for q in todo if q is not p]]
        filler = self._filler(day, patient, todo, done) if self.smart else None
        if filler is not None:
            return NextStep(patient.task(filler.task), filler.room, day.now)
        task = patient.task(p.task)
        not_before = float(p.start) if task.kind == "water" else 0.0
        # the app tells the patient the fasting rule's earliest time; staff keep to it
        fasting = fasting_lower_bound(patient, task)
        not_before = max(not_before, float(fasting or 0))
        key = float(p.start)
        if self.smart and self.options.call_by_slack:
            key += call_delay(self.state.plan.of_patient(patient.id), patient.rules, p.task, done)
        for rule in patient.rules:
            if rule.after == task.key and rule.max_gap_min is not None and rule.before in done:
                # a full bladder does not wait: call the patient before the rule runs out
                key = min(key, done[rule.before].end + rule.max_gap_min - 2 * task.duration_min)
        return NextStep(task, p.room, key, not_before)

    def _too_late(self, patient: Patient, task: str, done: dict[str, Placement]) -> bool:
        """A step that had to come before one already done: it cannot happen any more."""
        for rule in patient.rules:
            if rule.before == task and rule.after in done:
                ref = (patient.id, task)
                self.state.plan.placements.pop(ref, None)
                self.state.plan.unplaced[ref] = Unplaced(
                    patient.id, task, f"had to come before {rule.after}, which is done"
                )
                return True
        return False

    def _filler(
        self, day: Day, patient: Patient, todo: list[Placement], done: dict[str, Placement]
    ) -> Placement | None:
        """A later step whose room is free now and that fits before the next planned one.

        Rather than wait at the next room, the patient is sent to do it now; the plan follows
        at the next refresh.
        """
        first = todo[0]
        pending = {q.task for q in todo}
        if any(patient.task(k).full_bladder for k in done) and any(
            patient.task(k).full_bladder for k in pending
        ):
            return None  # a full-bladder sitting is under way
        here = day.location(patient.id)
        walking = self.state.walking
        back_to = None if patient.task(first.task).location_neutral else first.room
        for q in todo[1:]:
            task = patient.task(q.task)
            if task.self_service or q.room is None or task.full_bladder:
                continue
            if (fasting_lower_bound(patient, task) or 0) > day.now:
                continue
            blocked = False
            for rule in patient.rules:
                if rule.after == task.key and (
                    rule.before in pending
                    or (rule.before in done and done[rule.before].end + rule.min_gap_min > day.now)
                ):
                    blocked = True
                if rule.before == task.key and rule.after in done:
                    blocked = True
            if blocked:
                continue
            go = walking(here, q.room, patient.mobility) / 60 if here else 0.0
            back = walking(q.room, back_to, patient.mobility) / 60 if back_to else 0.0
            busy = 1.3 * task.duration_in(self.state.rooms[q.room].room_type)
            if day.now + go + busy + back <= first.start and day.room_idle(q.room, go + busy):
                return q
        return None

    def step_started(self, day: Day, patient: Patient, task: Task, planned: float) -> None:
        return None

    def step_finished(self, day: Day, patient: Patient, task: Task, start: float, end: float) -> None:
        ref = (patient.id, task.key)
        planned = self.state.plan.placements.get(ref)
        old = self.state.plan.placements.get(ref)
        self.state.now = int(day.now)
        if old is not None:
            ran = day.executed(patient.id).get(task.key, old)  # a shared line may change the room
            ended = max(int(start) + 1, round(end))
            self.state.plan.put(replace(old, room=ran.room, station=ran.station, start=int(start), end=ended))
        self.state.started.add(ref)
        if self.smart and planned is not None and end > planned.end + self.options.late_min:
            self._sync(day)
            self.replans += 1
            self._timed(
                replan,
                self.state,
                StepOverran(patient.id, task.key, round(end)),
                self.settings(self.options.replan_seconds / 2),
                self.options.replan_seconds,
            )
        elif self.smart and self.options.retry_seconds > 0 and self._left_out(day, patient):
            self._sync(day)
            self._timed(
                improve,
                self.state,
                self.options.retry_seconds,
                self.settings(self.options.retry_seconds),
                reference=self.state.plan.copy(),
                only=[patient.id],
            )
        elif self.smart and self.options.resequence_wait_min is not None:
            nxt = [
                p
                for p in self.state.plan.of_patient(patient.id)
                if (patient.id, p.task) not in self.state.started
            ]
            if nxt and nxt[0].start - end > self.options.resequence_wait_min:
                self._sync(day)
                self._timed(resequence, self.state, patient.id, self.settings(0.1))

    def _left_out(self, day: Day, patient: Patient) -> bool:
        """A step the plan left out that might still fit today: not refused by a department,
        not ruled out by the rules, opening hours or fasting (`screen`), only by busy rooms."""
        refused = day.skipped(patient.id)
        left = {u.task for u in self.state.plan.unplaced_of(patient.id)} - refused.keys()
        if not left:
            return False
        return bool(left - screen(self.state, patient, position(self.state, patient).ready).keys())

    def patient_left(self, day: Day, patient: Patient) -> None:
        self._sync(day)
        if self.smart:
            self.replans += 1
            self._timed(
                replan,
                self.state,
                PatientLeft(patient.id),
                self.settings(self.options.replan_seconds / 2),
                self.options.replan_seconds,
            )
        else:
            kept = [
                p
                for p in self.state.plan.of_patient(patient.id)
                if (patient.id, p.task) in self.state.started
            ]
            self.state.plan.set_patient(patient.id, kept, [])

    def step_refused(self, day: Day, patient: Patient, task: Task, reason: str) -> None:
        """Turned away (or sent home at closing): the step leaves the plan, its slot is free."""
        ref = (patient.id, task.key)
        self.state.plan.placements.pop(ref, None)
        self.state.plan.unplaced[ref] = Unplaced(patient.id, task.key, reason)

    def sent_for_first(self, day: Day, patient: Patient, task: Task, prerequisite: str) -> None:
        return None  # the plan already orders prerequisites first

    def room_paused(self, day: Day, room: str, start: int, end: int) -> None:
        if not self.smart:
            return
        self._sync(day)
        self.replans += 1
        self._timed(
            replan,
            self.state,
            RoomClosed(room, start, end),
            self.settings(self.options.replan_seconds / 2),
            self.options.replan_seconds,
        )

    def background(self, day: Day) -> None:
        if not self.smart:
            return
        self._sync(day)
        self._refresh(day, 0)
        if self.options.improve_seconds <= 0:
            return
        self._timed(
            improve,
            self.state,
            self.options.improve_seconds,
            self.settings(self.options.lns_solve_seconds),
        )

    def unplaced(self, patient: Patient) -> dict[str, str]:
        return {u.task: u.reason for u in self.state.plan.unplaced_of(patient.id)}
