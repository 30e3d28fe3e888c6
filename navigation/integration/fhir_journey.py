"""A journey as FHIR R4 resources, for the hospital's systems to read.

A parent `Task` per journey and one per step (`partOf` the parent, all sharing the journey's
`groupIdentifier`), the `Location`s of the rooms in use (room `partOf` floor `partOf` building;
a paused room is `suspended`), and an `Appointment` for every step with a planned slot. Each
resource is built through its `fhir.resources` model, so what goes out is valid FHIR.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from navigation.instructions import step_instructions
from navigation.models import Journey, JourneyStatus, OrderStatus, Room, RoomStatus, Task, TaskStatus

JOURNEY_SYSTEM = "urn:carepath:journey"
EXAM_SYSTEM = "urn:carepath:exam"
BUSINESS_STATUS_SYSTEM = "urn:carepath:business-status"
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
JOURNEY_TASK_STATUS = {
    JourneyStatus.ACTIVE: "in-progress",
    JourneyStatus.COMPLETED: "completed",
    JourneyStatus.CANCELLED: "cancelled",
}
LOCATION_STATUS = {RoomStatus.OPEN: "active", RoomStatus.PAUSED: "suspended", RoomStatus.CLOSED: "inactive"}
APPOINTMENT_STATUS = {
    TaskStatus.REQUESTED: "booked",
    TaskStatus.READY: "booked",
    TaskStatus.IN_PROGRESS: "arrived",
    TaskStatus.ON_HOLD: "arrived",
    TaskStatus.COMPLETED: "fulfilled",
    TaskStatus.CANCELLED: "cancelled",
    TaskStatus.FAILED: "noshow",
}


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource through its model and back: refused here if it were not valid FHIR."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return model.model_dump(mode="json", exclude_none=True)


def _period(start: Any, end: Any) -> dict[str, Any] | None:
    period = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
    return period or None


def _clean(resource: dict[str, Any]) -> dict[str, Any]:
    return valid({k: v for k, v in resource.items() if v not in (None, [], {})})


def group_identifier(journey: Journey) -> dict[str, str]:
    return {"system": JOURNEY_SYSTEM, "value": str(journey.id)}


def patient_resource(journey: Journey) -> dict[str, Any]:
    patient = journey.patient
    return _clean(
        {
            "resourceType": "Patient",
            "id": f"patient-{patient.id}",
            "identifier": [
                {"type": {"coding": [{"system": V2_0203, "code": "MR"}]}, "value": patient.mrn},
            ],
            "name": [{"text": patient.name}],
            "communication": [
                {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": patient.language.value}]}}
            ],
        }
    )


def journey_task(journey: Journey) -> dict[str, Any]:
    return _clean(
        {
            "resourceType": "Task",
            "id": f"journey-{journey.id}",
            "identifier": [group_identifier(journey)],
            "groupIdentifier": group_identifier(journey),
            "status": JOURNEY_TASK_STATUS[journey.status],
            "businessStatus": {"text": journey.status.value},
            "intent": "order",
            "priority": ["routine", "urgent", "asap", "stat"][journey.priority],
            "description": f"Visit {journey.visit_number}",
            "encounter": {"identifier": {"value": journey.visit_number}},
            "for": {"reference": f"Patient/patient-{journey.patient_id}"},
            "authoredOn": journey.created_at,
            "executionPeriod": _period(journey.created_at, journey.completed_at),
            "basedOn": _orders(journey, None),
        }
    )


def step_task(task: Task) -> dict[str, Any]:
    journey = task.journey
    business = task.business_status
    return _clean(
        {
            "resourceType": "Task",
            "id": f"task-{task.id}",
            "partOf": [{"reference": f"Task/journey-{journey.id}"}],
            "groupIdentifier": group_identifier(journey),
            "status": task.status.value,
            "statusReason": {"text": task.status_reason} if task.status_reason else None,
            "businessStatus": {
                "coding": [{"system": BUSINESS_STATUS_SYSTEM, "code": business}],
                "text": business,
            }
            if business
            else None,
            "intent": "order",
            "code": {
                "coding": [{"system": EXAM_SYSTEM, "code": c} for c in task.exam_codes],
                "text": task.name_en,
            },
            "description": task.name_zh,
            "for": {"reference": f"Patient/patient-{journey.patient_id}"},
            "executionPeriod": _period(task.started_at, task.completed_at),
            "restriction": {"period": _period(task.planned_start, task.planned_end)}
            if task.planned_start
            else None,
            "location": {"reference": f"Location/room-{task.planned_room_id}"}
            if task.planned_room_id
            else None,
            "basedOn": _orders(journey, task),
            "note": [{"text": text} for text in step_instructions(task)],
        }
    )


def _orders(journey: Journey, task: Task | None) -> list[dict[str, Any]]:
    """The hospital's orders behind the journey (or the step), by their order numbers."""
    refs = []
    for order in journey.orders:
        if order.status != OrderStatus.ACTIVE or not order.placer:
            continue
        if task is None or order.exam_code in task.exam_codes:
            system, _, value = order.placer.partition("|")
            identifier = {"system": system, "value": value} if system else {"value": value}
            refs.append({"type": "ServiceRequest", "identifier": identifier})
    return refs


def appointment(task: Task) -> dict[str, Any]:
    participants: list[dict[str, Any]] = [
        {"actor": {"reference": f"Patient/patient-{task.journey.patient_id}"}, "status": "accepted"}
    ]
    if task.planned_room_id:
        participants.append(
            {"actor": {"reference": f"Location/room-{task.planned_room_id}"}, "status": "accepted"}
        )
    return _clean(
        {
            "resourceType": "Appointment",
            "id": f"slot-{task.id}",
            "status": APPOINTMENT_STATUS[task.status],
            "description": task.name_en,
            "serviceType": [{"coding": [{"system": EXAM_SYSTEM, "code": c} for c in task.exam_codes]}]
            if task.exam_codes
            else None,
            "start": task.planned_start,
            "end": task.planned_end,
            "participant": participants,
        }
    )


def locations(rooms: Iterable[Room]) -> list[dict[str, Any]]:
    """The rooms with their floors and buildings, each once."""
    out: dict[str, dict[str, Any]] = {}
    for room in rooms:
        floor, building = room.floor, room.floor.building
        out.setdefault(
            f"building-{building.id}", _location(f"building-{building.id}", building.name_en, "bu", None)
        )
        out.setdefault(
            f"floor-{floor.id}",
            _location(
                f"floor-{floor.id}", f"{building.name_en} {floor.name}", "lvl", f"building-{building.id}"
            ),
        )
        out[f"room-{room.id}"] = _location(
            f"room-{room.id}",
            room.name_en,
            "ro",
            f"floor-{floor.id}",
            room.code,
            LOCATION_STATUS[room.status],
        )
    return list(out.values())


def _location(
    ident: str, name: str, physical: str, part_of: str | None, code: str | None = None, status: str = "active"
) -> dict[str, Any]:
    return _clean(
        {
            "resourceType": "Location",
            "id": ident,
            "identifier": [{"system": "urn:carepath:room", "value": code}] if code else None,
            "status": status,
            "name": name,
            "mode": "instance",
            "physicalType": {"coding": [{"system": PHYSICAL_TYPE, "code": physical}]},
            "partOf": {"reference": f"Location/{part_of}"} if part_of else None,
        }
    )


def journey_resources(journey: Journey) -> list[dict[str, Any]]:
    tasks = sorted(journey.tasks, key=lambda t: t.position)
    rooms = {t.planned_room.id: t.planned_room for t in tasks if t.planned_room is not None}
    return [
        patient_resource(journey),
        journey_task(journey),
        *(step_task(t) for t in tasks),
        *(appointment(t) for t in tasks if t.planned_start is not None and not t.self_service),
        *locations(rooms.values()),
    ]


def bundle(resources: list[dict[str, Any]], base_url: str, kind: str = "collection") -> dict[str, Any]:
    """A collection (one journey) or a searchset (Task search: every resource is a match)."""
    entries: list[dict[str, Any]] = [
        {"fullUrl": f"{base_url}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
    ]
    document: dict[str, Any] = {"resourceType": "Bundle", "type": kind, "entry": entries}
    if kind == "searchset":
        for entry in entries:
            entry["search"] = {"mode": "match"}
        document["total"] = len(entries)
    return valid(document)
