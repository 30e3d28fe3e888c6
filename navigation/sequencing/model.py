"""Plain input and output of the sequencer: no database, no Flask, minutes of the day.

Every time is an integer number of minutes since midnight of the service day. A patient
brings tasks (the steps of their journey) and rules between them; rooms bring types,
parallel stations and opening windows; a `Plan` says where and when each task happens,
or why it cannot happen today.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

DAY_END = 24 * 60
OVERNIGHT_LAST_MEAL = -120  # "fasting since the night before": last meal at 22:00 the day before


class Mobility(StrEnum):
    WALKING = "walking"
    SLOW = "slow"
    WHEELCHAIR = "wheelchair"


# walking_seconds(from_room, to_room, mobility) -> seconds; pathfinding/ supplies the real one
WalkingTime = Callable[[str, str, Mobility], float]


@dataclass(frozen=True)
class Room:
    code: str
    room_type: str
    stations: int = 1
    windows: tuple[tuple[int, int], ...] = ((8 * 60, 17 * 60),)
    building: str = "A"
    floor: int = 1


@dataclass(frozen=True)
class Task:
    """One step of a patient's journey. Self-service tasks use no room capacity."""

    key: str
    kind: str
    room_types: tuple[str, ...]
    duration_min: int
    exam_codes: tuple[str, ...] = ()
    fasting_hours: float = 0.0
    full_bladder: bool = False
    self_service: bool = False
    location_neutral: bool = False  # can be done wherever the patient is (pay by phone, drink)
    room_durations: tuple[tuple[str, int], ...] = ()  # room type -> minutes, where rooms differ
    only_rooms: tuple[str, ...] | None = None  # narrower than its types (a department's clinics)

    def duration_in(self, room_type: str | None) -> int:
        for kind, minutes in self.room_durations:
            if kind == room_type:
                return minutes
        return self.duration_min


@dataclass(frozen=True)
class Rule:
    """`after` starts at least `min_gap_min` (and at most `max_gap_min`) after `before` ends.

    A hard rule means `after` cannot happen at all without `before` (a result is needed);
    a soft one only orders them (eat after the fasting exams, if those happen today).
    """

    before: str
    after: str
    min_gap_min: int = 0
    reason: str = ""
    max_gap_min: int | None = None
    hard: bool = True


@dataclass(frozen=True)
class Patient:
    id: str
    arrival_min: int
    tasks: tuple[Task, ...]
    rules: tuple[Rule, ...] = ()
    mobility: Mobility = Mobility.WALKING
    priority: float = 1.0
    last_meal_min: int | None = None  # minutes of the day; negative = the day before
    fasting_confirmed: bool = False  # unknown last meal, but the patient confirms fasting overnight
    entrance: str | None = None  # room code where the patient starts (reception)

    def task(self, key: str) -> Task:
        return next(t for t in self.tasks if t.key == key)

    def fasting_since(self) -> int | None:
        """When the patient last ate, or None when fasting exams cannot be planned."""
        if self.last_meal_min is not None:
            return self.last_meal_min
        return OVERNIGHT_LAST_MEAL if self.fasting_confirmed else None


TaskRef = tuple[str, str]  # (patient id, task key)


NO_STATION = -1  # self-service: the room is only where it happens, no station is used


@dataclass(frozen=True)
class Placement:
    patient: str
    task: str
    room: str | None  # None for self-service tasks done wherever the patient is
    station: int  # NO_STATION for self-service
    start: int
    end: int


@dataclass(frozen=True)
class Unplaced:
    patient: str
    task: str
    reason: str


@dataclass
class Plan:
    placements: dict[TaskRef, Placement] = field(default_factory=dict)
    unplaced: dict[TaskRef, Unplaced] = field(default_factory=dict)
    _keys: dict[str, set[str]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for pid, key in [*self.placements, *self.unplaced]:
            self._keys.setdefault(pid, set()).add(key)

    def copy(self) -> Plan:
        return Plan(dict(self.placements), dict(self.unplaced))

    def of_patient(self, patient_id: str) -> list[Placement]:
        found = [
            self.placements[(patient_id, k)]
            for k in self._keys.get(patient_id, ())
            if (patient_id, k) in self.placements
        ]
        return sorted(found, key=lambda p: (p.start, p.end))

    def unplaced_of(self, patient_id: str) -> list[Unplaced]:
        return [
            self.unplaced[(patient_id, k)]
            for k in self._keys.get(patient_id, ())
            if (patient_id, k) in self.unplaced
        ]

    def put(self, placement: Placement) -> None:
        self.placements[(placement.patient, placement.task)] = placement
        self._keys.setdefault(placement.patient, set()).add(placement.task)

    def set_patient(
        self, patient_id: str, placements: Iterable[Placement], unplaced: Iterable[Unplaced]
    ) -> None:
        self.drop_patient(patient_id)
        keys = self._keys.setdefault(patient_id, set())
        for p in placements:
            self.placements[(p.patient, p.task)] = p
            keys.add(p.task)
        for u in unplaced:
            self.unplaced[(u.patient, u.task)] = u
            keys.add(u.task)

    def drop_patient(self, patient_id: str) -> None:
        for key in self._keys.pop(patient_id, set()):
            self.placements.pop((patient_id, key), None)
            self.unplaced.pop((patient_id, key), None)


@dataclass(frozen=True)
class Closure:
    """A room out of service (pause, breakdown) between two times."""

    room: str
    start: int
    end: int


@dataclass(frozen=True)
class Weights:
    """Objective weights per minute; time in hospital is also multiplied by patient priority."""

    time_in_hospital: int = 10
    fasting: int = 4
    unplaced: int = 20_000
    # per minute beyond `long_stay_min` in hospital, on top: protects the longest days (p90)
    long_stay: int = 10
    long_stay_min: int = 300
    # per minute a room step starts later without delaying the patient: leaves the early
    # slots to patients whose day they shorten (slack goes to whoever has it)
    slack: int = 1
    stability: int = 3  # per minute a not-started task moves in a re-plan
    moved_far: int = 3000  # once per task moved by more than `far_min`
    far_min: int = 15


@dataclass(frozen=True)
class SolverSettings:
    workers: int = 2
    time_limit_s: float = 1.0
    seed: int = 0
    weights: Weights = field(default_factory=Weights)


@dataclass
class DayState:
    """The live day: rooms, everyone's plan, what has started, and the clock."""

    rooms: dict[str, Room]
    patients: dict[str, Patient]
    plan: Plan
    walking: WalkingTime
    now: int = 0
    started: set[TaskRef] = field(default_factory=set)  # started or done: never moved
    closures: list[Closure] = field(default_factory=list)
    pinned_rooms: dict[TaskRef, str] = field(default_factory=dict)  # patient already queuing there
    departed: set[str] = field(default_factory=set)  # left or did not show: never re-planned

    def copy(self) -> DayState:
        return replace(
            self,
            plan=self.plan.copy(),
            patients=dict(self.patients),
            started=set(self.started),
            closures=list(self.closures),
            pinned_rooms=dict(self.pinned_rooms),
            departed=set(self.departed),
        )

    def open_windows(self, room: Room) -> list[tuple[int, int]]:
        """Opening windows minus closures (pauses, breakdowns)."""
        windows = list(room.windows)
        for closure in self.closures:
            if closure.room != room.code:
                continue
            cut: list[tuple[int, int]] = []
            for a, b in windows:
                if closure.end <= a or closure.start >= b:
                    cut.append((a, b))
                    continue
                if a < closure.start:
                    cut.append((a, closure.start))
                if closure.end < b:
                    cut.append((closure.end, b))
            windows = cut
        return windows
