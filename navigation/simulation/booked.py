"""`carepath_booked`: a share of the day's patients were booked the day before.

The booking engine (`navigation.booking.engine`) books them one by one, in the order their
calls came in, into the bookable part of the rooms (a share of every period stays for
patients who come without a booking, most of it in the morning when they come); they paid
when booking and stopped eating when the evening's message told them. On the day they aim
for the start of their window with a punctuality spread of 15 min (one standard deviation,
normally distributed; nobody later than the window's end); 5 % do not come at all. Whoever
has a full-bladder scan drinks at the time the evening's message gave
(`booking.preparation`), on the way if that is before they arrive. Their booked times sit in
the live plan from the start of the day, so walk-in check-ins are planned around them; at
check-in the booked times are the hint of their plan, and a booking nobody came for is
released once its window has passed by more than the grace.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date

from navigation.booking.engine import DayBook, Hospital, VisitOffer, desk_types, offer_days
from navigation.booking.rules import BookingRules
from navigation.errors import DomainError
from navigation.sequencing.adapter import patient_from_steps
from navigation.sequencing.model import DayState, Patient, Placement
from navigation.sequencing.planner import plan_afresh
from navigation.sequencing.walking import StraightLineWalking
from navigation.simulation.policies import Day, Planned, PlannedOptions
from navigation.simulation.scenario import Arrival, Scenario

# The generated day's patients without a booking all come between 07:30 and 11:30 (see
# `scenario.generate`), so the simulated hospital keeps its same-day reserve when they come:
# the last half of every 90 min in the morning, a fifth in the afternoon (on the generated
# rooms' 08:00-12:00 and 13:30-17:30: 44 % and 15 %, 29 % of the day, as the flat default's
# 30 %). Blocks of 90 min leave 45-min booked slots in the morning: a colonoscopy takes 40.
RULES = BookingRules(same_day_share=0.5, same_day_share_from=((12 * 60, 0.2),), share_period_min=90)
PUNCTUALITY_SD_MIN = 15.0
NO_SHOW_SHARE = 0.05
BOOKED_DAY = date(2000, 1, 3)  # any day: the engine only needs one


@dataclass(frozen=True)
class BookedDay:
    scenario: Scenario  # the day as it happens: booked patients arrive at their windows
    visits: dict[str, VisitOffer]  # booked patients who came, and those who did not
    booked: dict[str, Arrival]  # as booked (paid, fasting as told), no-shows included
    no_shows: frozenset[str]


def book_day(scenario: Scenario, share: float, rules: BookingRules | None = None) -> BookedDay:
    """Book a share of the day's patients the day before; draw who comes when."""
    rules = replace(rules or RULES, horizon_days=1, offers=1)
    rng = random.Random(f"booked:{scenario.seed}:{share}")
    callers = [a for a in sorted(scenario.arrivals, key=lambda a: a.patient) if rng.random() < share]
    rng.shuffle(callers)
    rooms = {r.code: r for r in scenario.rooms}
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    hospital = Hospital(rooms, walking, scenario.entrance, desk_types(scenario.catalog))
    book = DayBook(hospital, rules)
    visits: dict[str, VisitOffer] = {}

    def held_on(_: date) -> DayBook:
        return book

    for arrival in callers:
        try:
            offers = offer_days(scenario.catalog, hospital, arrival.orders, BOOKED_DAY, held_on, rules)
        except DomainError:
            continue  # no room left that day: they come without a booking, as today
        if len(offers[0].visits) != 1:
            continue  # orders for two days: not this day's to simulate
        visit = offers[0].visits[0]
        visits[arrival.patient] = visit
        for s in visit.steps:
            book.hold(Placement(arrival.patient, s.key, s.room, s.station, s.start, s.end))
    no_shows = frozenset(p for p in sorted(visits) if rng.random() < NO_SHOW_SHARE)
    arrivals: list[Arrival] = []
    booked: dict[str, Arrival] = {}
    for a in scenario.arrivals:
        held = visits.get(a.patient)
        if held is None:
            arrivals.append(a)
            continue
        late = random.Random(f"punctuality:{scenario.seed}:{a.patient}").gauss(0, PUNCTUALITY_SD_MIN)
        at = min(held.window_end, round(held.window_start + late))
        water = next((s.start for s in held.steps if s.kind == "water"), None)
        booked[a.patient] = replace(
            a,
            arrival_min=at,
            last_meal_min=held.fasting_from,  # as the evening's message told them
            fasting_confirmed=True,
            paid_in_advance=True,
            drank_water_min=water,
        )
        if a.patient not in no_shows:
            arrivals.append(booked[a.patient])
    arrivals.sort(key=lambda a: (a.arrival_min, a.patient))
    return BookedDay(replace(scenario, arrivals=arrivals), visits, booked, no_shows)


@dataclass
class BookedPlanned(Planned):
    """CarePath with bookings: booked times held in the plan from the start of the day."""

    visits: dict[str, VisitOffer] = field(default_factory=dict)
    released: set[str] = field(default_factory=set)
    arrived: set[str] = field(default_factory=set)
    grace_min: int = BookingRules.no_show_grace_min

    def __post_init__(self) -> None:
        super().__post_init__()
        self.name = "carepath_booked"

    def hold(self, scenario: Scenario, booked: dict[str, Arrival]) -> None:
        """Before the day: every booking's times are in the plan."""
        for pid, visit in self.visits.items():
            arrival = booked[pid]
            steps = scenario.steps_for(arrival)
            if isinstance(steps, str):
                continue
            patient = patient_from_steps(
                pid,
                steps,
                visit.window_start,
                arrival.mobility,
                arrival.priority,
                None,
                True,
                scenario.entrance,
            )
            self.state.patients[pid] = patient
            keys = {t.key for t in patient.tasks}  # no report desk when reports go to the phone
            held = [
                Placement(pid, s.key, s.room, s.station, s.start, s.end) for s in visit.steps if s.key in keys
            ]
            self.state.plan.set_patient(pid, held, [])

    def check_in(self, day: Day, patient: Patient) -> None:
        self.arrived.add(patient.id)
        if patient.id not in self.visits:
            super().check_in(day, patient)
            return
        self._sync(day)
        self._refresh(day, self.options.refresh_every_min)
        self.state.patients[patient.id] = patient  # the booked times stay as the hint
        self._timed(plan_afresh, self.state, patient.id, self.settings(self.options.checkin_seconds))

    def background(self, day: Day) -> None:
        for pid, visit in self.visits.items():
            late = day.now > visit.window_end + self.grace_min
            if late and pid not in self.released and pid not in self.arrived:
                self.released.add(pid)  # missed the window: the capacity goes back to the day
                self.state.plan.drop_patient(pid)
                self.state.departed.add(pid)
        super().background(day)


def booked_policy(state: DayState, booked: BookedDay, options: PlannedOptions) -> BookedPlanned:
    policy = BookedPlanned(state, smart=True, options=options, visits=dict(booked.visits))
    policy.hold(booked.scenario, booked.booked)
    return policy
