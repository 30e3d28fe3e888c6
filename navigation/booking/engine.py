"""Which days all of a patient's orders fit, each with an arrival window and planned times.

Pure: rooms, the placements other bookings already hold, walking times and the rules come in;
offers come out. Orders that must not share a day (colonoscopy and barium) become separate
visits on separate days. Each visit is planned by earliest start (`sequencing.greedy`, the
same rules as the live plan: fasting first, prerequisites and their result waits, the full
bladder's limit) into the bookable part of each room, so what a booking holds is exactly
what the live plan later finds free. A fasting visit tells the patient when to stop eating:
each fasting step's hours before it (a 12-h draw at 08:00: from 20:00), 22:00 at the latest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from navigation.booking.rules import BookingRules, bookable_room, in_same_day_peak
from navigation.catalog import Catalog
from navigation.errors import DomainError
from navigation.sequencing.adapter import patient_from_steps
from navigation.sequencing.greedy import Timelines, place_in_order
from navigation.sequencing.model import (
    OVERNIGHT_LAST_MEAL,
    DayState,
    Patient,
    Placement,
    Plan,
    Room,
    Task,
    Unplaced,
    WalkingTime,
)
from navigation.sequencing.prepare import initial_order
from navigation.steps import CATEGORY_RANK, StepPlan, expand_orders

NEW = "new-booking"  # the patient being offered, among the held placements of others
LATER_KINDS = ("return_visit", "pickup")  # they wait for every result: on the last visit


@dataclass(frozen=True)
class PlannedStep:
    key: str
    kind: str
    exam_codes: tuple[str, ...]
    room: str | None
    station: int
    start: int  # minutes of the visit day
    end: int
    fasting: bool = False  # the patient comes fasting for it


@dataclass(frozen=True)
class VisitOffer:
    day: date
    orders: tuple[str, ...]  # exam codes done on this visit
    window_start: int  # minutes of the day
    window_end: int
    steps: tuple[PlannedStep, ...]
    # when the patient stops eating, minutes of the visit day (negative: the evening before);
    # None: nothing to fast for
    fasting_from: int | None = None

    @property
    def first_exam(self) -> int:
        return min(
            (s.start for s in self.steps if s.room is not None and s.station >= 0), default=self.window_start
        )


@dataclass(frozen=True)
class NoFit:
    """Why a visit does not fit on a day, naming the order at fault when one is."""

    exam_code: str | None
    reason: str


@dataclass(frozen=True)
class Offer:
    visits: tuple[VisitOffer, ...]


@dataclass(frozen=True)
class Hospital:
    """The rooms (with their full opening hours), walking times and the entrance."""

    rooms: dict[str, Room]
    walking: WalkingTime
    entrance: str | None = None
    desks: frozenset[str] = frozenset()  # room types of self-service steps only: no capacity to keep


def desk_types(catalog: Catalog) -> frozenset[str]:
    """Where patients pay, eat, drink or collect reports: self-service, so nothing to book."""
    return frozenset(t for s in catalog.services.values() if s.self_service for t in s.room_types)


class DayBook:
    """One day's bookable rooms and the capacity its bookings hold, kept as timelines so an
    offer reads a full day without rebuilding it."""

    def __init__(self, hospital: Hospital, rules: BookingRules, held: Iterable[Placement] = ()):
        rooms = {
            c: r if r.room_type in hospital.desks else bookable_room(r, rules)
            for c, r in hospital.rooms.items()
        }
        self.state = DayState(rooms, {}, Plan(), hospital.walking)
        self.timelines = Timelines(self.state)
        for p in held:
            self.hold(p)

    def hold(self, placement: Placement) -> None:
        if placement.room in self.state.rooms and placement.station >= 0:
            self.timelines.add(placement.room, placement.station, placement.start, placement.end)


HeldOn = Callable[[date], DayBook]  # the day as other bookings left it


def split_visits(catalog: Catalog, codes: Sequence[str]) -> list[tuple[str, ...]]:
    """Orders grouped into visits: no two that must not share a day together; barium last."""
    for i, code in enumerate(codes):
        if code not in catalog.exam_types:
            raise DomainError(f"unknown exam code {code!r}", field=f"orders.{i}.code")
    groups: list[list[str]] = []
    for code in dict.fromkeys(codes):
        exam = catalog.exam(code)
        if exam.kind in LATER_KINDS:
            continue
        home = next((g for g in groups if not set(exam.not_same_day_as) & set(g)), None)
        if home is None:
            groups.append(home := [])
        home.append(code)
    if not groups:
        groups.append([])
    groups.sort(key=lambda g: max((CATEGORY_RANK.get(catalog.exam(c).category, 4) for c in g), default=0))
    groups[-1] += [c for c in dict.fromkeys(codes) if catalog.exam(c).kind in LATER_KINDS]
    return [tuple(g) for g in groups]


def check_rooms(catalog: Catalog, hospital: Hospital, codes: Sequence[str], rules: BookingRules) -> None:
    """An order no room performs (or none long enough once the same-day share is kept) is refused."""
    bookable = [bookable_room(r, rules) for r in hospital.rooms.values()]
    for i, code in enumerate(codes):
        exam = catalog.exam(code)
        needed = [(code, exam)] + [(r.code, catalog.exam(r.code)) for r in exam.requires]
        for name, item in needed:
            rooms = [r for r in hospital.rooms.values() if r.room_type in item.room_types]
            what = code if name == code else f"{name}, needed before {code},"
            if not rooms:
                raise DomainError(
                    f"no room here performs {what} ({'/'.join(item.room_types)})", field=f"orders.{i}.code"
                )
            longest = max(b - a for r in bookable if r.room_type in item.room_types for a, b in r.windows)
            shortest = min(dict(item.room_durations).get(t, item.duration_min) for t in item.room_types)
            if longest < shortest:
                raise DomainError(
                    f"{what} takes {shortest} min, longer than any bookable slot ({longest} min) once "
                    "the share kept for same-day patients is left out",
                    field=f"orders.{i}.code",
                )


def without_report_desk(plan: StepPlan) -> StepPlan:
    """Reports sent to the phone: no desk visit, but a return visit still waits for results."""
    if not any(s.key == "report" for s in plan.steps):
        return plan
    waits = [d for d in plan.dependencies if d.after == "report"]
    dependencies = [d for d in plan.dependencies if "report" not in (d.before, d.after)]
    for d in plan.dependencies:
        if d.before == "report":
            dependencies += [replace(wait, after=d.after) for wait in waits]
    steps = [s for s in plan.steps if s.key != "report"]
    return StepPlan(steps, dependencies, dict(plan.added))


def without_payment(plan: StepPlan) -> StepPlan:
    """Paid when booking: the visit day has no payment step."""
    steps = [s for s in plan.steps if s.kind != "payment"]
    deps = [d for d in plan.dependencies if "payment" not in (d.before, d.after)]
    return StepPlan(steps, deps, dict(plan.added))


def visit_patient(
    catalog: Catalog, codes: Sequence[str], hospital: Hospital, arrival: int, rules: BookingRules
) -> Patient:
    """The patient of one visit as the sequencer reads it: paid, fasting since as early as the
    evening's message may tell them (`earliest_fasting_from_min`), results on the phone
    (collecting reports at a desk holds no room)."""
    steps = without_report_desk(without_payment(expand_orders(catalog, list(codes))))
    return patient_from_steps(
        NEW, steps, arrival, last_meal_min=rules.earliest_fasting_from_min, entrance=hospital.entrance
    )


def plan_visit(
    day: date,
    patient: Patient,
    codes: tuple[str, ...],
    book: DayBook,
    rules: BookingRules,
    shortest: int | None = 0,
) -> VisitOffer | NoFit:
    """The window on `day` with the shortest visit (the earliest of equals), or why none fits.

    Trying each window rather than taking the first levels the day: once the morning is
    full, a morning window means waiting between rooms and a later one wins, and a visit
    `max_added_wait_min` longer than on an empty day does not fit at all. A visit with no
    fasting step counts `off_peak_preference_min` more in the same-day peak, so it leaves the
    peak to walk-ins and fasting visits when it can. A window whose visit counts `shortest`
    (the length on an empty day) cannot be beaten: the search stops. `shortest=None` is for
    that empty day, where a later window never shortens a visit once one has not: the
    search stops at the first window no shorter than the one before.
    """
    state, timelines = book.state, book.timelines
    orders = _orders(patient)
    fasting = next((t for t in patient.tasks if t.fasting_hours > 0), None)
    latest = rules.latest_fasting_arrival_min if fasting else rules.latest_arrival_min
    off_peak = 0 if fasting is not None or shortest is None else rules.off_peak_preference_min
    best: tuple[int, int, list[Placement], int] | None = None
    no_fit: NoFit | None = None
    for arrival in range(rules.first_arrival_min, latest + 1, rules.window_min):
        here: tuple[int, int, list[Placement], int] | None = None
        for i, order in enumerate(orders):
            placed, unplaced = place_in_order(state, timelines, replace(patient, arrival_min=arrival), order)
            if unplaced:
                no_fit = no_fit or _no_fit(patient, unplaced[0])
                continue
            if i:
                placed = _drink_just_before(placed, order[0].key)
            late = _fasting_too_late(patient, placed, rules)
            if late is not None:
                no_fit = no_fit or late
                continue
            exams = [p.start for p in placed if p.station >= 0]
            start = max(arrival, (min(exams, default=arrival) - rules.lead_min) // 5 * 5)
            cost = max(p.end for p in placed) - start
            if shortest and cost > shortest + rules.max_added_wait_min:
                no_fit = no_fit or NoFit(
                    None, f"it would wait over {rules.max_added_wait_min} min between exams"
                )
                continue
            if off_peak and any(p.station >= 0 and in_same_day_peak(rules, p.start) for p in placed):
                cost += off_peak
            if here is None or (cost, start) < here[:2]:
                here = (cost, start, placed, i)
        if here is None:
            continue
        if shortest is None and best is not None and here[0] >= best[0]:
            break
        if best is None or here[:2] < best[:2]:
            best = here
        if shortest is not None and here[0] <= shortest:
            break
    if best is None:
        if fasting is not None and no_fit is None:
            return NoFit(next(iter(fasting.exam_codes), None), "fasting exams need a morning window")
        return no_fit or NoFit(None, "no free slot")
    _, start, placed, i = best
    if i == 0 and start != min(p.start for p in placed):
        placed, _ = place_in_order(state, timelines, replace(patient, arrival_min=start), orders[0])
    steps = tuple(
        PlannedStep(
            p.task,
            patient.task(p.task).kind,
            patient.task(p.task).exam_codes,
            p.room,
            p.station,
            p.start,
            p.end,
            patient.task(p.task).fasting_hours > 0,
        )
        for p in sorted(placed, key=lambda p: (p.start, p.end))
    )
    return VisitOffer(day, codes, start, start + rules.window_min, steps, _fasting_from(patient, placed))


def _fasting_from(patient: Patient, placed: list[Placement]) -> int | None:
    """When to stop eating: as late as every fasting step's hours allow, on the half hour,
    and 22:00 at the latest (a fast shorter than the night is not worth a later meal)."""
    since = [
        p.start - math.ceil(patient.task(p.task).fasting_hours * 60)
        for p in placed
        if patient.task(p.task).fasting_hours > 0
    ]
    return min(OVERNIGHT_LAST_MEAL, min(since) // 30 * 30) if since else None


def _fasting_too_late(patient: Patient, placed: list[Placement], rules: BookingRules) -> NoFit | None:
    """A fasting step after the morning would keep the patient fasting from the evening into
    the afternoon: such a visit goes to another day instead."""
    latest = rules.latest_fasting_start_min
    late = next((p for p in placed if patient.task(p.task).fasting_hours > 0 and p.start > latest), None)
    if late is None:
        return None
    code = next(iter(patient.task(late.task).exam_codes), None)
    return NoFit(code, f"fasting exams must start by {latest // 60:02d}:{latest % 60:02d}")


def _orders(patient: Patient) -> list[list[Task]]:
    """The rule-keeping order, and for a full-bladder scan also one that drinks first: the
    patient drinks on the way at the time the evening's message gives, and comes in ready
    instead of spending the bladder's filling time between rooms."""
    order = initial_order(patient)
    water = next((t for t in order if t.kind == "water"), None)
    if water is None or order[0] is water:
        return [order]
    return [order, [water, *(t for t in order if t is not water)]]


def _drink_just_before(placed: list[Placement], water: str) -> list[Placement]:
    """Drinking on the way ends as the first step begins, however late that is: the bladder
    is full on arrival and holds as long as it can."""
    drink = next(p for p in placed if p.task == water)
    first = min(p.start for p in placed if p is not drink)
    if first <= drink.end:
        return placed
    moved = replace(drink, start=first - (drink.end - drink.start), end=first)
    return [moved if p is drink else p for p in placed]


def _no_fit(patient: Patient, unplaced: Unplaced) -> NoFit:
    task = patient.task(unplaced.task)
    return NoFit(next(iter(task.exam_codes), None), unplaced.reason)


def offer_days(
    catalog: Catalog,
    hospital: Hospital,
    orders: Sequence[str],
    first_day: date,
    held_on: HeldOn,
    rules: BookingRules,
) -> list[Offer]:
    """Up to `rules.offers` offers, earliest first; refuses (naming the order) what never fits."""
    visits = split_visits(catalog, orders)
    check_rooms(catalog, hospital, orders, rules)
    patients = [visit_patient(catalog, codes, hospital, rules.first_arrival_min, rules) for codes in visits]
    days = [first_day + timedelta(days=n) for n in range(rules.horizon_days)]
    cache: dict[tuple[int, date], VisitOffer | NoFit] = {}

    empty = DayBook(hospital, rules)
    ideal = [
        plan_visit(first_day, p, codes, empty, rules, None) for p, codes in zip(patients, visits, strict=True)
    ]
    shortest = [
        max(s.end for s in v.steps) - v.window_start if isinstance(v, VisitOffer) else 0 for v in ideal
    ]

    def on(i: int, day: date) -> VisitOffer | NoFit:
        if (i, day) not in cache:
            cache[(i, day)] = plan_visit(day, patients[i], visits[i], held_on(day), rules, shortest[i])
        return cache[(i, day)]

    offers: list[Offer] = []
    why: dict[int, NoFit] = {}
    for start in days:
        chosen: list[VisitOffer] = []
        after = start
        for i in range(len(visits)):
            found = None
            for day in (d for d in days if d >= after):
                answer = on(i, day)
                if isinstance(answer, VisitOffer):
                    found = answer
                    break
                why.setdefault(i, answer)
            if found is None:
                break
            chosen.append(found)
            after = found.day + timedelta(days=1)
        if len(chosen) < len(visits):
            if not chosen:
                break  # the first visit fits on no later day either
            continue
        if offers and offers[-1].visits[0].day == chosen[0].day:
            continue
        offers.append(Offer(tuple(chosen)))
        if len(offers) >= rules.offers:
            break
    if not offers:
        i = next(iter(why), 0)
        no_fit = why.get(i, NoFit(None, "no free slot"))
        named = no_fit.exam_code
        code = named if named is not None and named in orders else (visits[i] or tuple(orders))[0]
        raise DomainError(
            f"{code} cannot be booked within {rules.horizon_days} days: {no_fit.reason}",
            field=f"orders.{list(orders).index(code)}.code",
        )
    return offers
