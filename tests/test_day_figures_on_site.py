"""A real day's time on site means what the simulator's does: a meal that is the patient's last
step is eaten wherever they like, so it is not time on site (time in hospital keeps it)."""

from __future__ import annotations

from datetime import timedelta

from navigation.kpis import StepRow, figures
from tests.conftest import T0


def step(kind: str, start_min: int, end_min: int) -> StepRow:
    started, completed = T0 + timedelta(minutes=start_min), T0 + timedelta(minutes=end_min)
    return StepRow(
        patient="p-1", journey_id=1, step=kind, kind=kind, exam="", department=kind, room=None,
        status="completed", planned_start=started, planned_end=completed, arrived_at=started,
        called_at=started, started_at=started, completed_at=completed,
        wait_min=0.0, service_min=float(end_min - start_min), no_show=False, not_done=None,
    )  # fmt: skip


def test_a_closing_meal_is_in_the_hospital_stay_but_not_time_on_site():
    day = [step("exam", 0, 30), step("exam", 40, 60), step("meal", 60, 90)]
    shown = figures(day, open_minutes=600)
    assert shown["mean_time_in_hospital_min"] == 90.0
    assert shown["mean_time_on_site_min"] == 60.0
    assert shown["p90_time_on_site_min"] == 60.0


def test_a_meal_between_exams_is_time_on_site():
    day = [step("exam", 0, 30), step("meal", 30, 50), step("exam", 50, 70)]
    assert figures(day, open_minutes=600)["mean_time_on_site_min"] == 70.0
