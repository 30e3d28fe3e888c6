"""The ordering department: a return visit goes back to the clinic of the department that
ordered it, never to whichever clinic is free."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from navigation.errors import DomainError
from navigation.models import Journey, OrderStatus, Room
from navigation.steps import Step, StepPlan


def assign_departments(plan: StepPlan, departments: Mapping[str, str]) -> StepPlan:
    """Bind each return visit to its own order's department, else to the one department that
    placed the other orders (several departments and no word on the visit: any clinic)."""
    named = set(departments.values())
    shared = next(iter(named)) if len(named) == 1 else None

    def bound(step: Step) -> Step:
        if step.kind != "return_visit":
            return step
        own = next((departments[c] for c in step.exam_codes if c in departments), None)
        return replace(step, department=own or shared)

    return replace(plan, steps=[bound(s) for s in plan.steps])


def refuse_unknown_departments(
    rooms: Iterable[Room], departments: Mapping[str, str], order_codes: Sequence[str]
) -> None:
    """An ordering department with no clinic here is a typing error: refuse it by name."""
    known = {r.department for r in rooms if r.department}
    for i, code in enumerate(order_codes):
        department = departments.get(code)
        if department is not None and department not in known:
            raise DomainError(
                f"no department {department!r} at this hospital", field=f"orders.{i}.department"
            )


def departments_of(journey: Journey) -> dict[str, str]:
    """Exam code -> ordering department, from the journey's active orders."""
    return {
        o.exam_code: o.department for o in journey.orders if o.department and o.status == OrderStatus.ACTIVE
    }


def serves_step(room: Room, step: Step) -> bool:
    """Whether the room can take a planned step (a Step, before it is a task row)."""
    if step.department is not None and room.department != step.department:
        return False
    return room.performs(step.room_types, step.exam_codes)
