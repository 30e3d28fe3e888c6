"""A simulated day: rooms, catalog, arrivals with their orders. Loaded from JSON or generated.

The file format is documented in docs/scenario-format.md. The generator is deterministic:
the same seed and size always give the same day.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from navigation.booking.engine import without_payment, without_report_desk
from navigation.catalog import Catalog, load_demo_catalog, parse_catalog
from navigation.errors import DomainError
from navigation.sequencing.adapter import minute_of_day, rooms_from_hospital
from navigation.sequencing.model import Mobility, Room
from navigation.sequencing.prepare import hhmm
from navigation.steps import StepPlan, expand_orders

FORMAT = "carepath-scenario/1"
DEMO_HOSPITAL = Path(__file__).resolve().parents[1] / "demo" / "hospital.json"


class ScenarioError(ValueError):
    """The scenario file is refused; the message names the field."""


@dataclass(frozen=True)
class Arrival:
    patient: str
    arrival_min: int
    orders: tuple[str, ...]
    mobility: Mobility = Mobility.WALKING
    priority: float = 1.0
    last_meal_min: int | None = None
    fasting_confirmed: bool = False
    leaves_after_steps: int | None = None  # a no-show: gone after this many steps
    collects_reports: bool = True  # False: reports go to the patient's phone, no desk visit
    paid_in_advance: bool = False  # paid when booking: no payment step on the day
    # drank for a full-bladder scan at this minute, wherever they were, as the evening's
    # message told them: before arriving, the water step is already under way
    drank_water_min: int | None = None


@dataclass(frozen=True)
class RoomPause:
    room: str
    start: int
    end: int


@dataclass
class Scenario:
    name: str
    seed: int
    rooms: list[Room]
    catalog: Catalog
    arrivals: list[Arrival]
    pauses: list[RoomPause] = field(default_factory=list)
    service_time_cv: float = 0.2
    entrance: str | None = None

    def steps_for(self, arrival: Arrival) -> StepPlan | str:
        """The patient's steps, or why their orders cannot be combined."""
        try:
            plan = expand_orders(self.catalog, list(arrival.orders))
        except DomainError as exc:
            return exc.message
        if arrival.paid_in_advance:
            plan = without_payment(plan)
        return plan if arrival.collects_reports else without_report_desk(plan)


# --- JSON -------------------------------------------------------------------------------


def _minute(value: Any, where: str) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        before = text.startswith("yesterday ")
        try:
            minute = minute_of_day(text.removeprefix("yesterday ").strip())
        except ValueError:
            raise ScenarioError(f"{where}: expected HH:MM, got {value!r}") from None
        return minute - 24 * 60 if before else minute
    raise ScenarioError(f"{where}: expected HH:MM or minutes, got {value!r}")


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"{where}: expected true or false, got {value!r}")
    return value


def _time_text(minute: int) -> str:
    return f"yesterday {hhmm(minute + 24 * 60)}" if minute < 0 else hhmm(minute)


def load_scenario(path: str | Path) -> Scenario:
    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc}") from exc
    return parse_scenario(document)


def parse_scenario(document: Any) -> Scenario:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ScenarioError(f"format: expected {FORMAT!r}")
    hospital = document.get("hospital", "demo")
    if hospital == "demo":
        hospital = json.loads(DEMO_HOSPITAL.read_text("utf-8"))
    if not isinstance(hospital, dict) or not isinstance(hospital.get("rooms"), list):
        raise ScenarioError("hospital: expected 'demo' or an object with a 'rooms' list")
    try:
        rooms = rooms_from_hospital(hospital)
    except (KeyError, ValueError) as exc:
        raise ScenarioError(f"hospital.rooms: {exc}") from exc
    catalog_doc = document.get("catalog", "demo")
    catalog = load_demo_catalog() if catalog_doc == "demo" else parse_catalog(catalog_doc)
    codes = {r.code for r in rooms}
    arrivals = []
    for i, a in enumerate(document.get("arrivals", [])):
        where = f"arrivals.{i}"
        if not isinstance(a, dict) or not a.get("orders"):
            raise ScenarioError(f"{where}: needs 'patient', 'time' and a non-empty 'orders' list")
        last_meal, drank = a.get("last_meal"), a.get("drank_water")
        try:
            mobility = Mobility(a.get("mobility", "walking"))
        except ValueError:
            raise ScenarioError(f"{where}.mobility: one of walking, slow, wheelchair") from None
        arrivals.append(
            Arrival(
                patient=str(a.get("patient", f"P{i + 1:04d}")),
                arrival_min=_minute(a.get("time"), f"{where}.time"),
                orders=tuple(a["orders"]),
                mobility=mobility,
                priority=float(a.get("priority", 1)),
                last_meal_min=None if last_meal is None else _minute(last_meal, f"{where}.last_meal"),
                fasting_confirmed=bool(a.get("fasting_confirmed", False)),
                leaves_after_steps=a.get("leaves_after_steps"),
                collects_reports=_flag(a.get("collects_reports", True), f"{where}.collects_reports"),
                paid_in_advance=_flag(a.get("paid_in_advance", False), f"{where}.paid_in_advance"),
                drank_water_min=None if drank is None else _minute(drank, f"{where}.drank_water"),
            )
        )
    pauses = []
    for i, p in enumerate(document.get("room_pauses", [])):
        if p.get("room") not in codes:
            raise ScenarioError(f"room_pauses.{i}.room: unknown room {p.get('room')!r}")
        pauses.append(
            RoomPause(
                p["room"],
                _minute(p["start"], f"room_pauses.{i}.start"),
                _minute(p["end"], f"room_pauses.{i}.end"),
            )
        )
    entrance = document.get("entrance") or next((r.code for r in rooms if r.room_type == "reception"), None)
    return Scenario(
        name=str(document.get("name", "scenario")),
        seed=int(document.get("seed", 0)),
        rooms=rooms,
        catalog=catalog,
        arrivals=sorted(arrivals, key=lambda a: (a.arrival_min, a.patient)),
        pauses=pauses,
        service_time_cv=float(document.get("service_time_cv", 0.2)),
        entrance=entrance,
    )


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The JSON form of a scenario (generated ones can be saved and replayed)."""
    floors = sorted({(r.building, r.floor) for r in scenario.rooms})
    buildings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for b, f in floors:
        buildings[b].append({"name": f"{f}F", "ordinal": f})
    return {
        "format": FORMAT,
        "name": scenario.name,
        "seed": scenario.seed,
        "service_time_cv": scenario.service_time_cv,
        "entrance": scenario.entrance,
        "catalog": "demo",
        "hospital": {
            "buildings": [{"code": b, "floors": fl} for b, fl in sorted(buildings.items())],
            "rooms": [
                {
                    "code": r.code,
                    "type": r.room_type,
                    "stations": r.stations,
                    "hours": [f"{hhmm(a)}-{hhmm(b)}" for a, b in r.windows],
                    "building": r.building,
                    "floor": f"{r.floor}F",
                }
                for r in scenario.rooms
            ],
        },
        "arrivals": [
            {
                "patient": a.patient,
                "time": hhmm(a.arrival_min),
                "orders": list(a.orders),
                "mobility": a.mobility.value,
                "priority": a.priority,
                "last_meal": None if a.last_meal_min is None else _time_text(a.last_meal_min),
                "fasting_confirmed": a.fasting_confirmed,
                "leaves_after_steps": a.leaves_after_steps,
                "collects_reports": a.collects_reports,
                "paid_in_advance": a.paid_in_advance,
                "drank_water": None if a.drank_water_min is None else hhmm(a.drank_water_min),
            }
            for a in scenario.arrivals
        ],
        "room_pauses": [
            {"room": p.room, "start": hhmm(p.start), "end": hhmm(p.end)} for p in scenario.pauses
        ],
    }


# --- generator ----------------------------------------------------------------------------

# Order bundles a doctor typically writes, with how common each is (relative weights).
ORDER_MIX: tuple[tuple[float, tuple[str, ...]], ...] = (
    (12, ("GLU", "HBA1C", "LIPID")),
    (10, ("CBC", "LFT", "US-ABD")),
    (8, ("XR-CHEST", "ECG", "CBC")),
    (6, ("GASTRO", "US-ABD", "CBC")),
    (6, ("UA", "US-URO", "RENAL")),
    (6, ("US-PELVIS", "CBC")),
    (5, ("TFT", "US-THY")),
    (2, ("TFT", "NM-THY")),
    (7, ("ECG", "ECHO", "LIPID")),
    (5, ("CT-ABD-C", "LFT")),
    (5, ("CT-HEAD", "MRI-BRAIN")),
    (3, ("COLONO", "CBC")),
    (2, ("BA-UGI", "US-ABD")),
    (5, ("MRI-KNEE", "XR-CHEST")),
    (5, ("PFT", "XR-CHEST", "CT-CHEST")),
    (4, ("US-PELVIS", "US-URO", "UA")),
    (4, ("ECG", "GLU", "US-ABD")),
)
EXTRA_EXAMS = ("ECG", "XR-CHEST", "CBC", "UA", "US-THY", "CT-CHEST", "ECHO")
P_EXTRA_EXAM = 0.3
P_RETURN_VISIT = 0.25
P_PHARMACY = 0.15
P_PRIORITY = 0.05
P_NO_SHOW = 0.03
UTILISATION = 0.75
DAY_WINDOWS = ((8 * 60, 12 * 60), (13 * 60 + 30, 17 * 60 + 30))
SERVICE_WINDOWS = ((7 * 60 + 30, 17 * 60 + 30),)
# where each room type lives: building, floor (the demo hospital's layout)
LAYOUT = {
    "reception": ("A", 1),
    "cashier": ("A", 1),
    "pharmacy": ("A", 1),
    "cafeteria": ("A", 1),
    "report_desk": ("A", 1),
    "blood_draw": ("A", 2),
    "ecg": ("A", 2),
    "specimen": ("A", 2),
    "clinic": ("A", 3),
    "echo": ("A", 3),
    "endoscopy_upper": ("A", 5),
    "endoscopy_lower": ("A", 5),
    "xray": ("B", 1),
    "ct": ("B", 1),
    "ct_contrast": ("B", 1),
    "ultrasound": ("B", 2),
    "waiting": ("B", 2),
    "mri": ("B", 3),
    "fluoroscopy": ("B", 3),
    "nuclear": ("B", 4),
    "pulmonary": ("B", 5),
}
SELF_SERVICE_TYPES = ("reception", "cashier", "cafeteria", "report_desk", "waiting")
STATIONS_PER_ROOM = {"blood_draw": 4, "specimen": 2, "pharmacy": 2}


def _orders(rng: random.Random) -> tuple[str, ...]:
    weights = [w for w, _ in ORDER_MIX]
    orders = list(rng.choices([o for _, o in ORDER_MIX], weights)[0])
    if rng.random() < P_EXTRA_EXAM:
        extra = rng.choice(EXTRA_EXAMS)
        if extra not in orders:
            orders.append(extra)
    if rng.random() < P_RETURN_VISIT:
        orders.append("FOLLOWUP")
        if rng.random() < P_PHARMACY / P_RETURN_VISIT:
            orders.append("PHARM")
    return tuple(orders)


def _arrival_minute(rng: random.Random) -> int:
    # arrivals over the morning: 07:30 to 11:30, busiest around 08:30
    return round(rng.triangular(7 * 60 + 30, 11 * 60 + 30, 8 * 60 + 30))


def _meal(rng: random.Random) -> tuple[int | None, bool]:
    draw = rng.random()
    if draw < 0.70:
        return rng.randint(-240, -120), False  # dinner the evening before, remembered
    if draw < 0.85:
        return None, True  # not sure when, but confirms fasting since the night before
    if draw < 0.96:
        return rng.randint(6 * 60 + 30, 7 * 60 + 30), False  # breakfast this morning
    return None, False  # unknown and not confirmed: fasting exams cannot be planned


def generate(patients: int, seed: int, utilisation: float = UTILISATION) -> Scenario:
    """A deterministic day: arrivals, orders, and rooms sized to the demand."""
    rng = random.Random(f"carepath-scenario:{seed}:{patients}")
    catalog = load_demo_catalog()
    arrivals = []
    for i in range(patients):
        last_meal, confirmed = _meal(rng)
        draw = rng.random()
        mobility = Mobility.WHEELCHAIR if draw < 0.05 else Mobility.SLOW if draw < 0.15 else Mobility.WALKING
        arrivals.append(
            Arrival(
                patient=f"P{i + 1:04d}",
                arrival_min=_arrival_minute(rng),
                orders=_orders(rng),
                mobility=mobility,
                priority=2.0 if rng.random() < P_PRIORITY else 1.0,
                last_meal_min=last_meal,
                fasting_confirmed=confirmed,
                leaves_after_steps=rng.randint(1, 3) if rng.random() < P_NO_SHOW else None,
            )
        )
    arrivals.sort(key=lambda a: (a.arrival_min, a.patient))
    rooms = _size_rooms(catalog, arrivals, utilisation)
    pauses = []
    exam_rooms = [r for r in rooms if r.room_type not in SELF_SERVICE_TYPES]
    for _ in range(max(1, len(exam_rooms) // 20)):
        room = rng.choice(exam_rooms)
        start = rng.choice(range(9 * 60, 16 * 60, 15))
        pauses.append(RoomPause(room.code, start, start + rng.choice((20, 30, 45))))
    return Scenario(
        name=f"generated-{patients}-seed{seed}",
        seed=seed,
        rooms=rooms,
        catalog=catalog,
        arrivals=arrivals,
        pauses=sorted(pauses, key=lambda p: p.start),
        entrance=next(r.code for r in rooms if r.room_type == "reception"),
    )


def _size_rooms(catalog: Catalog, arrivals: list[Arrival], utilisation: float) -> list[Room]:
    demand: dict[str, float] = defaultdict(float)
    for arrival in arrivals:
        plan = expand_orders(catalog, list(arrival.orders))
        for step in plan.steps:
            if step.self_service:
                continue
            durations = dict(step.room_durations)
            for kind in step.room_types:
                demand[kind] += durations.get(kind, step.duration_min) / len(step.room_types)
    open_minutes = sum(b - a for a, b in DAY_WINDOWS)
    rooms: list[Room] = []
    numbers: dict[tuple[str, int], int] = defaultdict(int)

    def add(kind: str, stations: int, windows: tuple[tuple[int, int], ...]) -> None:
        building, floor = LAYOUT.get(kind, ("A", 4))
        numbers[(building, floor)] += 1
        code = f"{building}{floor}-{numbers[(building, floor)]:02d}"
        rooms.append(Room(code, kind, stations, windows, building, floor))

    for kind in SELF_SERVICE_TYPES:
        add(kind, 1, SERVICE_WINDOWS)
    for kind in sorted(catalog.room_types() - set(SELF_SERVICE_TYPES)):
        per_room = STATIONS_PER_ROOM.get(kind, 1)
        needed = demand.get(kind, 0.0) / (utilisation * open_minutes)
        count = max(1, math.ceil(needed / per_room))
        for _ in range(count):
            add(kind, per_room, DAY_WINDOWS)
    return rooms
