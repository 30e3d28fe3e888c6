"""A small hospital in a few lines, and patients built from the real catalog."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from navigation.catalog import Catalog, load_demo_catalog
from navigation.sequencing import DayState, Mobility, Patient, Plan, Room, StraightLineWalking
from navigation.sequencing.adapter import patient_from_steps
from navigation.steps import expand_orders

MORNING_AFTERNOON = ((8 * 60, 12 * 60), (13 * 60 + 30, 17 * 60 + 30))
ALL_DAY = ((7 * 60 + 30, 17 * 60 + 30),)


def small_hospital() -> list[Room]:
    def room(code: str, kind: str, stations: int = 1, windows=MORNING_AFTERNOON) -> Room:  # type: ignore[no-untyped-def]
        return Room(code, kind, stations, windows, code[0], int(code[1]))

    return [
        room("A1-01", "reception", 2, ALL_DAY),
        room("A1-02", "cashier", 2, ALL_DAY),
        room("A1-08", "cafeteria", 1, ALL_DAY),
        room("A1-10", "report_desk", 1, ALL_DAY),
        room("A1-05", "pharmacy", 1, ALL_DAY),
        room("A2-01", "blood_draw", 2, ((7 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60))),
        room("A2-08", "ecg"),
        room("A2-12", "specimen"),
        room("A3-01", "clinic"),
        room("A3-10", "echo"),
        room("A5-02", "endoscopy_upper"),
        room("A5-04", "endoscopy_lower"),
        room("B1-02", "xray"),
        room("B1-05", "ct"),
        room("B1-07", "ct_contrast"),
        room("B2-01", "ultrasound"),
        room("B2-02", "ultrasound"),
        room("B2-05", "waiting", 1, ALL_DAY),
        room("B3-01", "mri"),
        room("B3-05", "fluoroscopy"),
        room("B4-01", "nuclear"),
        room("B5-01", "pulmonary"),
    ]


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_demo_catalog()


@pytest.fixture
def day() -> DayState:
    rooms = small_hospital()
    return DayState({r.code: r for r in rooms}, {}, Plan(), StraightLineWalking.for_rooms(rooms))


MakePatient = Callable[..., Patient]


@pytest.fixture
def make_patient(catalog: Catalog) -> MakePatient:
    def make(
        pid: str,
        orders: list[str],
        arrival: int = 8 * 60,
        last_meal: int | None = -120,
        confirmed: bool = False,
        mobility: Mobility = Mobility.WALKING,
        priority: float = 1.0,
    ) -> Patient:
        steps = expand_orders(catalog, orders)
        return patient_from_steps(
            pid, steps, arrival, mobility, priority, last_meal, confirmed, entrance="A1-01"
        )

    return make
