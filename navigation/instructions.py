"""What the ordering doctor told the patient about a step (FHIR ServiceRequest.patientInstruction):
the doctor's own words, shown with the step and exported with it."""

from __future__ import annotations

from navigation.models import OrderStatus, Task


def step_instructions(task: Task) -> list[str]:
    """The instructions of the step's active orders, once each, in order."""
    texts = [
        o.instruction
        for o in task.journey.orders
        if o.status == OrderStatus.ACTIVE and o.instruction and o.exam_code in task.exam_codes
    ]
    return list(dict.fromkeys(texts))
