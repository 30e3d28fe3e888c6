"""The simulated day (SimPy): patients walk, queue and are served; a policy guides them.

Every policy sees the same day: the same arrivals, the same service-time draws (one per
patient and step, seeded by the scenario), the same walking times, no-shows and room pauses.
Rooms call the waiting patient with the smallest queue key (arrival at the desk for walk-in,
planned start for planned policies, CarePath's moved later by the step's slack), only while
open, and start an exam only if it should end before the room closes; whoever still waits
when a room closes for the day is sent home. Under a policy with `shared_lines`, a free room
calls from the line of every room of its type on its floor (the nurses' shared call), and the
patient walks over.

Departments keep the rules whatever the policy: a fasting test after a meal (or with the
fasting status unknown) is refused, a patient missing a prerequisite is sent for it first
(or turned away when it cannot be had), nobody collects reports, sees the doctor or picks
up medicine when none of what that visit is for was done, and self-service desks keep
their hours. Times are kept exactly (minutes as floats), so gaps are measured exactly.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Generator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import simpy

from navigation.sequencing.model import DAY_END, NO_STATION, Patient, Placement, Room, Task
from navigation.sequencing.prepare import FOLLOW_ON, fasting_lower_bound, visit_purpose
from navigation.sequencing.walking import StraightLineWalking
from navigation.simulation.policies import NextStep, Policy
from navigation.simulation.scenario import Arrival, Scenario

SAMPLE_EVERY_MIN = 5
# reports to the phone: a patient facing at least this long a wait for results goes out
# (home, a cafe) and comes back when the phone says they are ready: time away, not on site
AWAY_MIN_WAIT = 45
CLOSING_TOLERANCE_MIN = 5


@dataclass(frozen=True)
class ExecutedStep:
    policy: str
    patient: str
    task: str
    exam_codes: tuple[str, ...]
    room: str | None
    station: int
    start: float
    end: float


@dataclass
class PatientRecord:
    patient: Patient
    arrival: float
    steps: list[ExecutedStep] = field(default_factory=list)
    walked_m: float = 0.0
    walked_min: float = 0.0
    left_early: bool = False
    not_done: dict[str, str] = field(default_factory=dict)  # task -> reason
    left_at: float | None = None  # when the patient went home (None: still inside at day end)
    away_min: float = 0.0  # out of the building while results were being written
    visits: int = 1  # coming back after results counts as another visit
    drank_water_at: float | None = None  # began drinking for the scan before arriving

    @property
    def time_on_site(self) -> float:
        """The stay less time out waiting for results, and less a meal that is the last step
        (with nothing left to do in the hospital, the patient eats wherever they like)."""
        last = max(self.steps, key=lambda s: s.end, default=None)
        meal = last is not None and self.patient.task(last.task).kind == "meal"
        tail = last.end - last.start if meal and last is not None and (self.left_at or 0) <= last.end else 0.0
        return self.stay - self.away_min - tail

    @property
    def stay(self) -> float:
        """Arrival to leaving: the last step's end, or later when sent home from a queue."""
        ends = [s.end for s in self.steps]
        if self.left_at is not None:
            ends.append(self.left_at)
        return max(ends, default=self.arrival) - self.arrival


@dataclass
class DayResult:
    policy: str
    scenario: str
    records: dict[str, PatientRecord]
    refused: dict[str, str]  # patient -> why their orders could not be combined
    steps: list[ExecutedStep]
    solve_seconds: float
    queue_samples: list[tuple[float, int]]
    busy_minutes: dict[str, float]
    open_station_minutes: dict[str, float]
    rooms: dict[str, Room]
    pauses: list[tuple[str, int, int]] = field(default_factory=list)  # room, start, end
    # (time, waiting for a fasting window, waiting for a result or report) every 5 minutes
    held_samples: list[tuple[float, int, int]] = field(default_factory=list)
    windows: dict[str, int] = field(default_factory=dict)  # booked patient -> window start
    no_shows: int = 0  # booked patients who never came (not in `records`)


def service_multiplier(seed: int, patient: str, task: str, cv: float) -> float:
    """The same random draw for a patient's step under every policy."""
    if cv <= 0:
        return 1.0
    sigma = math.sqrt(math.log(1 + cv * cv))
    rng = random.Random(f"service:{seed}:{patient}:{task}")
    return rng.lognormvariate(-sigma * sigma / 2, sigma)


@dataclass(order=True)
class _Request:
    key: float
    seq: int
    patient: str = field(compare=False)
    task: str = field(compare=False)
    expected: float = field(compare=False)
    event: simpy.Event = field(compare=False)
    task_def: Task | None = field(default=None, compare=False)  # which rooms may serve it


class _Desk:
    def __init__(self, env: simpy.Environment, room: Room, pauses: list[tuple[int, int]]):
        self.env, self.room, self.pauses = env, room, pauses
        self.free = list(range(room.stations))
        self.waiting: list[_Request] = []
        self.busy = 0.0
        self.shared: list[_Desk] = []  # the department's other rooms of the type: one line

    def open_until(self, t: float) -> float | None:
        for a, b in self.room.windows:
            if a <= t < b:
                limit = float(b)
                for pa, pb in self.pauses:
                    if pa <= t < pb:
                        return None
                    if t < pa < limit:
                        limit = float(pa)
                return limit
        return None

    @property
    def last_close(self) -> float:
        return float(max((b for _, b in self.room.windows), default=0))

    def next_opening(self, t: float, minutes: float, tolerance: float) -> float | None:
        """Earliest time from `t` at which the room is open and `minutes` still fit."""
        starts = [float(a) for a, _ in self.room.windows] + [float(b) for _, b in self.pauses]
        for c in sorted({t, *(x for x in starts if x > t)}):
            limit = self.open_until(c)
            if limit is not None and c + minutes <= limit + tolerance:
                return c
        return None

    def send_home(self) -> None:
        """Closing for the day: everyone still waiting is told to come back another day."""
        for request in self.waiting:
            request.event.succeed(None)
        self.waiting.clear()

    def serves(self, request: _Request) -> bool:
        task = request.task_def
        return task is not None and (task.only_rooms is None or self.room.code in task.only_rooms)

    def dispatch(self) -> None:
        """Call the first of the line who fits before closing; with shared lines, the first of
        the department's rooms of this type whom this room can serve (the nurse's "shared"
        call, `queues.operations.call_next(from_service=True)`): they keep their place in time."""
        if not self.free:
            return
        limit = self.open_until(self.env.now)
        if limit is None:
            return
        line = [(r, self) for r in self.waiting]
        line += [(r, d) for d in self.shared for r in d.waiting if self.serves(r)]
        line.sort(key=lambda item: item[0])
        for request, desk in line:
            if not self.free:
                break
            if self.env.now + request.expected <= limit + CLOSING_TOLERANCE_MIN:
                desk.waiting.remove(request)
                request.event.succeed((self.room.code, self.free.pop(0)))

    def release(self, station: int) -> None:
        self.free.append(station)
        self.free.sort()
        self.dispatch()


class _Day:
    """The running simulation, as a policy sees it (`policies.Day`)."""

    def __init__(self, scenario: Scenario, policy: Policy, walking: StraightLineWalking):
        self.env = simpy.Environment()
        self.scenario, self.policy, self.walking = scenario, policy, walking
        self.rooms = {r.code: r for r in scenario.rooms}
        pauses: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for p in scenario.pauses:
            pauses[p.room].append((p.start, p.end))
        self.desks = {r.code: _Desk(self.env, r, pauses[r.code]) for r in scenario.rooms}
        if getattr(policy, "shared_lines", False):
            for desk in self.desks.values():
                room = desk.room
                desk.shared = [
                    d
                    for d in self.desks.values()
                    if d is not desk
                    and (d.room.room_type, d.room.building, d.room.floor)
                    == (room.room_type, room.building, room.floor)
                ]
        self.records: dict[str, PatientRecord] = {}
        self.refused: dict[str, str] = {}
        self.steps: list[ExecutedStep] = []
        self._done: dict[str, dict[str, Placement]] = defaultdict(dict)
        self._exact: dict[str, dict[str, ExecutedStep]] = defaultdict(dict)  # unrounded times
        self._skipped: dict[str, dict[str, str]] = defaultdict(dict)  # task -> why not today
        self._running: dict[tuple[str, str], Placement] = {}
        self._heading: dict[tuple[str, str], str] = {}
        self._where: dict[str, str | None] = {}
        self.samples: list[tuple[float, int]] = []
        self.held_samples: list[tuple[float, int, int]] = []
        self._fasting: set[str] = set()  # patients waiting for their fasting window
        self._results: set[str] = set()  # patients waiting for a result, a report or a gap
        self._seq = count()

    @property
    def now(self) -> float:
        return float(self.env.now)

    def queue_load(self, room: str) -> float:
        desk = self.desks[room]
        return (len(desk.waiting) + desk.room.stations - len(desk.free)) / desk.room.stations

    def room_idle(self, room: str, minutes: float) -> bool:
        """Open with a free station, nobody waiting, and open `minutes` longer."""
        desk = self.desks[room]
        limit = desk.open_until(self.now)
        return bool(desk.free) and not desk.waiting and limit is not None and limit >= self.now + minutes

    def location(self, patient: str) -> str | None:
        return self._where.get(patient)

    def executed(self, patient: str) -> dict[str, Placement]:
        return self._done[patient]

    def skipped(self, patient: str) -> dict[str, str]:
        return self._skipped[patient]

    def in_progress(self) -> dict[tuple[str, str], Placement]:
        return self._running

    def heading(self) -> dict[tuple[str, str], str]:
        return self._heading

    # --- processes -----------------------------------------------------------------------

    def start(self) -> None:
        for desk in self.desks.values():
            for t in sorted({a for a, _ in desk.room.windows} | {b for _, b in desk.pauses}):
                self.env.process(self._wake(desk, t))
            self.env.process(self._close(desk))
        for pause in self.scenario.pauses:
            self.env.process(self._pause(pause.room, pause.start, pause.end))
        for arrival in self.scenario.arrivals:
            self.env.process(self._patient(arrival))
        self.env.process(self._sampler())
        self.env.process(self._background())

    def _wake(self, desk: _Desk, t: int) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(max(0, t - self.env.now))
        desk.dispatch()

    def _close(self, desk: _Desk) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(max(0.0, desk.last_close - self.env.now))
        desk.send_home()

    def _pause(self, room: str, start: int, end: int) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(max(0, start - self.env.now))
        self.policy.room_paused(self, room, start, end)

    def _sampler(self) -> Generator[simpy.Event, Any, None]:
        while self.env.now < DAY_END - SAMPLE_EVERY_MIN:
            self.samples.append((self.now, sum(len(d.waiting) for d in self.desks.values())))
            self.held_samples.append((self.now, len(self._fasting), len(self._results)))
            yield self.env.timeout(SAMPLE_EVERY_MIN)

    def _background(self) -> Generator[simpy.Event, Any, None]:
        every = getattr(getattr(self.policy, "options", None), "improve_every_min", 15)
        first = min((a.arrival_min for a in self.scenario.arrivals), default=DAY_END)
        yield self.env.timeout(first + every)
        last_close = max((b for r in self.rooms.values() for _, b in r.windows), default=DAY_END)
        while self.env.now < last_close:
            self.policy.background(self)
            yield self.env.timeout(every)

    def _patient(self, arrival: Arrival) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(arrival.arrival_min)
        steps = self.scenario.steps_for(arrival)
        if isinstance(steps, str):
            self.refused[arrival.patient] = steps
            return
        from navigation.sequencing.adapter import patient_from_steps

        patient = patient_from_steps(
            arrival.patient,
            steps,
            arrival.arrival_min,
            arrival.mobility,
            arrival.priority,
            arrival.last_meal_min,
            arrival.fasting_confirmed,
            self.scenario.entrance,
        )
        record = PatientRecord(patient, self.now)
        self.records[patient.id] = record
        water = self._drunk_on_the_way(arrival, patient)
        if water is not None:
            record.drank_water_at = water.start
            self._record(record, patient.task(water.task), None, NO_STATION, water.start, water.end)
        self.policy.check_in(self, patient)
        if water is not None and water.end > self.now:
            yield self.env.timeout(water.end - self.now)  # the bladder is filling: nothing else yet
        location = self.scenario.entrance
        done = self._done[patient.id]
        held: tuple[str, int] | None = None  # station kept for a next step in the same room
        sent_for: str | None = None  # the step a department sent the patient away from
        while True:
            step: NextStep | None = None
            if arrival.leaves_after_steps is not None and len(done) >= arrival.leaves_after_steps:
                record.left_early = True
            elif self.env.now < DAY_END - 1:
                step = self.policy.next_step(self, patient)
            keep = (
                held is not None
                and step is not None
                and step.room == held[0]
                and not step.task.self_service
                and self.now >= max(step.not_before, self._ready(patient, step.task))
            )
            if held is not None and not keep:
                self.desks[held[0]].release(held[1])
                held = None
            if record.left_early:
                self.policy.patient_left(self, patient)
                break
            if step is None:
                break
            task = step.task
            target = None if task.location_neutral else step.room
            if target is not None and not task.self_service:
                self._heading[(patient.id, task.key)] = target
            if target is not None and location is not None and target != location:
                yield from self._walk(record, patient, location, target)
                location = target
            self._where[patient.id] = location
            planned = task.duration_in(self.rooms[target].room_type if target else None)
            ready = max(self.now, step.not_before, self._ready(patient, task))
            refusal, prerequisite = self._refusal(patient, task, target, ready, planned)
            if prerequisite is not None and sent_for != task.key:
                sent_for = task.key
                self._heading.pop((patient.id, task.key), None)
                self.policy.sent_for_first(self, patient, task, prerequisite)
                continue
            if prerequisite is not None:  # sent for it once and came back without it
                refusal = f"needs {prerequisite} first"
            if refusal is not None:
                self._turn_away(patient, task, refusal)
                continue
            if target is not None and task.self_service:
                ready = self.desks[target].next_opening(ready, planned, 0) or ready
            if ready > self.now:
                results = not arrival.collects_reports and self._ready(patient, task) >= ready
                if results and ready - self.now >= AWAY_MIN_WAIT:
                    # the phone says when to come back: the results, and the planned time if later
                    ready = max(ready, step.queue_key)
                    record.away_min += ready - self.now
                    record.visits += 1
                held_by = self._held_by(task, step.not_before, self._ready(patient, task), ready)
                held_by.add(patient.id)
                yield self.env.timeout(ready - self.now)
                held_by.discard(patient.id)
            actual: float = planned
            if task.self_service or target is None:
                start, station = self.now, NO_STATION
            else:
                actual = planned * service_multiplier(
                    self.scenario.seed, patient.id, task.key, self.scenario.service_time_cv
                )
                key = step.queue_key
                called: tuple[str, int] | None = None
                while True:
                    if held is not None:
                        called, held = held, None
                    else:
                        event = self.env.event()
                        desk = self.desks[target]
                        desk.waiting.append(
                            _Request(key, next(self._seq), patient.id, task.key, planned, event, task)
                        )
                        for caller in (desk, *desk.shared):
                            caller.dispatch()
                        called = yield event
                    if called is None:
                        break
                    if called[0] != target:  # called from the shared line to the next room
                        yield from self._walk(record, patient, target, called[0])
                        target = location = called[0]
                        self._where[patient.id] = location
                    again = self._expired_preparation(patient, task)
                    if again is None:
                        break
                    # the full bladder did not last: give the room back, drink again, re-queue
                    self.desks[target].release(called[1])
                    yield from self._redo(record, again)
                    key = self.now - 60
                if called is None:
                    self._turn_away(patient, task, f"still waiting when {target} closed for the day")
                    continue
                station = called[1]
                start = self.now
            self._heading.pop((patient.id, task.key), None)
            self._running[(patient.id, task.key)] = Placement(
                patient.id, task.key, target, station, math.floor(start), math.floor(start + planned)
            )
            self.policy.step_started(self, patient, task, step.queue_key)
            yield self.env.timeout(actual)
            if station >= 0 and target is not None:
                self.desks[target].busy += actual
                held = (target, station)
            del self._running[(patient.id, task.key)]
            self._record(record, task, target, station, start)
            sent_for = None
        record.left_at = self.now
        self._settle(record)

    def _drunk_on_the_way(self, arrival: Arrival, patient: Patient) -> Placement | None:
        """The water for a full-bladder scan, started before arriving at the time the message
        gave (a booked patient): the step is under way, or done, when they walk in."""
        water = next((t for t in patient.tasks if t.kind == "water"), None)
        at = arrival.drank_water_min
        if water is None or at is None or at >= self.now:
            return None  # drinks here, when the plan says
        return Placement(patient.id, water.key, None, NO_STATION, at, at + water.duration_min)

    def _walk(
        self, record: PatientRecord, patient: Patient, here: str, there: str
    ) -> Generator[simpy.Event, Any, None]:
        seconds = self.walking(here, there, patient.mobility)
        record.walked_m += self.walking.metres(here, there)
        record.walked_min += seconds / 60
        yield self.env.timeout(seconds / 60)

    def _held_by(self, task: Task, not_before: float, rules: float, ready: float) -> set[str]:
        """What a patient waits for before a step: their fasting window or a result."""
        if rules >= ready:
            return self._results
        return self._fasting if task.fasting_hours > 0 and not_before >= ready else set()

    def _record(
        self,
        record: PatientRecord,
        task: Task,
        room: str | None,
        station: int,
        start: float,
        end: float | None = None,
    ) -> None:
        """A step done, ending now (or at `end`: the water drunk on the way)."""
        pid = record.patient.id
        end = self.now if end is None else end
        self._done[pid][task.key] = Placement(
            pid, task.key, room, station, math.floor(start), math.floor(end)
        )
        executed = ExecutedStep(self.policy.name, pid, task.key, task.exam_codes, room, station, start, end)
        self._exact[pid][task.key] = executed
        record.steps.append(executed)
        self.steps.append(executed)
        self.policy.step_finished(self, record.patient, task, start, end)

    def _settle(self, record: PatientRecord) -> None:
        """Name every step that did not happen today, and why."""
        patient = record.patient
        not_done = {**self.policy.unplaced(patient), **self._skipped[patient.id]}
        for task in patient.tasks:
            if task.key not in self._done[patient.id]:
                record.not_done[task.key] = not_done.get(
                    task.key, "patient left" if record.left_early else "not reached today"
                )

    def _turn_away(self, patient: Patient, task: Task, reason: str) -> None:
        self._heading.pop((patient.id, task.key), None)
        self._skipped[patient.id][task.key] = reason
        self.policy.step_refused(self, patient, task, reason)

    def _refusal(
        self, patient: Patient, task: Task, room: str | None, ready: float, minutes: float
    ) -> tuple[str | None, str | None]:
        """What the department says: (why the step is refused today, a prerequisite to get first)."""
        done, skipped = self._done[patient.id], self._skipped[patient.id]
        if task.fasting_hours > 0:
            since = fasting_lower_bound(patient, task)
            if since is None:
                return "fasting since the night before cannot be confirmed", None
            if any(patient.task(k).kind == "meal" for k in done):
                return f"needs {task.fasting_hours:g} h fasting, and the patient has eaten", None
            if since > ready:
                return f"needs {task.fasting_hours:g} h fasting, not kept since the last meal", None
        lost = skipped.keys() | self.policy.unplaced(patient).keys()
        for rule in patient.rules:
            if rule.after != task.key or rule.before in done:
                continue
            if rule.hard and rule.before in lost:
                return f"needs {rule.before} first, which was not done today", None
            if rule.before not in lost and not task.self_service:
                return None, rule.before  # staff send the patient there first
        purpose = visit_purpose(patient, task)
        if purpose and not purpose & set(done):
            return FOLLOW_ON[task.kind], None
        if room is not None:
            tolerance = 0 if task.self_service else CLOSING_TOLERANCE_MIN
            if self.desks[room].next_opening(ready, minutes, tolerance) is None:
                return f"{room} is closed by the time the step could start", None
        return None, None

    def _expired_preparation(self, patient: Patient, task: Task) -> Task | None:
        """A preparation step whose effect ran out ("at most N min after") before this one."""
        done = self._exact[patient.id]
        for rule in patient.rules:
            if rule.after != task.key or rule.max_gap_min is None or rule.before not in done:
                continue
            if self.now > done[rule.before].end + rule.max_gap_min:
                return patient.task(rule.before)
        return None

    def _redo(self, record: PatientRecord, task: Task) -> Generator[simpy.Event, Any, None]:
        start = self.now
        yield self.env.timeout(task.duration_min)
        self._record(record, task, None, NO_STATION, start)

    def _ready(self, patient: Patient, task: Task) -> float:
        """Earliest start the rules allow given what is done (gaps, results), exactly."""
        done = self._exact[patient.id]
        ready = 0.0
        for rule in patient.rules:
            if rule.after == task.key and rule.before in done:
                ready = max(ready, done[rule.before].end + rule.min_gap_min)
        return ready


def simulate_day(scenario: Scenario, policy: Policy, walking: StraightLineWalking | None = None) -> DayResult:
    walking = walking or StraightLineWalking.for_rooms(scenario.rooms)
    day = _Day(scenario, policy, walking)
    day.start()
    day.env.run(until=DAY_END)
    for record in day.records.values():
        if record.left_at is None:  # still inside at midnight: a step never came
            day._settle(record)
    open_minutes: dict[str, float] = {}
    for code, desk in day.desks.items():
        total = sum(b - a for a, b in desk.room.windows)
        paused = sum(max(0, min(pb, b) - max(pa, a)) for pa, pb in desk.pauses for a, b in desk.room.windows)
        open_minutes[code] = (total - paused) * desk.room.stations
    return DayResult(
        policy.name,
        scenario.name,
        day.records,
        day.refused,
        day.steps,
        policy.solve_seconds,
        day.samples,
        {code: d.busy for code, d in day.desks.items()},
        open_minutes,
        day.rooms,
        [(p.room, p.start, p.end) for p in scenario.pauses],
        day.held_samples,
    )
