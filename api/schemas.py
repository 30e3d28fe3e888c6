"""Request and response schemas shared by the audiences' blueprints (they also write the OpenAPI)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, request
from marshmallow import Schema, fields, validate

from api.access import audience
from api.context import now as clock_now
from api.extensions import db
from api.freshness import map_versions, route_cache
from navigation.access import access_token
from navigation.instructions import step_instructions
from navigation.models import Journey, Language, Mobility, Task
from navigation.opening import come_back
from navigation.patient_reasons import plan_category
from navigation.task_states import awaits_fasting_answer, next_step
from navigation.wayfinding import next_route

# Times a person types or a system sends: outside these years it is a typo, and date arithmetic
# near year 1 or 9999 overflows.
PLAUSIBLE_TIME = validate.Range(
    min=datetime(1900, 1, 1, tzinfo=UTC),
    max=datetime(2200, 1, 1, tzinfo=UTC),
    error="not a plausible time (years 1900 to 2199)",
)
# the same years, as the OpenAPI document says them to clients and to the fuzz run
PLAUSIBLE_YEARS = {"pattern": "^(19|2[01])[0-9]{2}-"}
CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", error="not a valid code")


class PatientInSchema(Schema):
    mrn = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    language = fields.Enum(Language, by_value=True, required=True)
    mobility = fields.Enum(Mobility, by_value=True, required=True)
    last_meal_at = fields.AwareDateTime(
        load_default=None,
        validate=PLAUSIBLE_TIME,
        metadata={"description": "When the patient last ate, with a UTC offset", **PLAUSIBLE_YEARS},
    )
    fasting_confirmed = fields.Boolean(
        load_default=False,
        metadata={"description": "Last meal unknown, but the patient confirms nothing since last night"},
    )


class OrderSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    department = fields.String(
        load_default=None,
        validate=CODE,
        metadata={
            "description": "The ordering department (a clinic's department): the return visit goes there"
        },
    )


class OnFileSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    at = fields.AwareDateTime(
        required=True,
        validate=PLAUSIBLE_TIME,
        metadata={"description": "When that result was taken (in the past)", **PLAUSIBLE_YEARS},
    )


SITE_IN = fields.String(load_default=None, metadata={"description": "Site code; defaults to the staff's own"})
SITE_QUERY = fields.String(
    validate=validate.Length(min=1, max=32),
    metadata={"description": "Site code; defaults to the staff's own"},
)
ORDERS_IN = fields.List(fields.Nested(OrderSchema), required=True, validate=validate.Length(min=1, max=60))


class VisitInSchema(Schema):
    """A visit as reception enters it: checked in for today (CheckInSchema) or booked for
    another day (api/booking_schemas.py), the same fields alike."""

    visit_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    site = SITE_IN
    patient = fields.Nested(PatientInSchema, required=True)
    orders = ORDERS_IN


class CheckInSchema(VisitInSchema):
    on_file = fields.List(
        fields.Nested(OnFileSchema),
        load_default=list,
        metadata={"description": "Recent results on file, e.g. a kidney test that spares a new one"},
    )
    priority = fields.Integer(load_default=0, validate=validate.Range(min=0, max=3))


class RoomOutSchema(Schema):
    code = fields.String()
    name_en = fields.String()
    name_zh = fields.String()
    building = fields.Function(lambda r: r.floor.building.code)
    building_name_en = fields.Function(lambda r: r.floor.building.name_en)
    building_name_zh = fields.Function(lambda r: r.floor.building.name_zh)
    floor = fields.Function(lambda r: r.floor.name)
    floor_ordinal = fields.Function(lambda r: r.floor.ordinal)


class StaffWords(fields.String):
    """Text written for staff (a nurse's reason, the planner's note): it may name a colleague or
    an illness, so anyone else reads null and the patient is told a category instead."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return super()._serialize(value, attr, obj, **kwargs) if audience() == "staff" else None


class TaskOutSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    key = fields.String()
    kind = fields.String()
    name_en = fields.String()
    name_zh = fields.String()
    exam_codes = fields.List(fields.String())
    status = fields.Function(lambda t: t.status.value)
    business_status = fields.String(allow_none=True)
    status_reason = StaffWords(
        allow_none=True,
        metadata={"description": "Why the step changed, in staff's words: staff only (null for the patient)"},
    )
    status_reason_given = fields.Function(
        lambda t: t.status_reason is not None,
        metadata={"description": "The step changed for a reason given (the words stay with staff)"},
    )
    plan_note = StaffWords(
        allow_none=True,
        metadata={
            "description": "Why the plan cannot fit this step in today (null when planned): staff only, "
            "the patient reads `plan_category`"
        },
    )
    status_category = fields.String(
        allow_none=True,
        metadata={"description": "Why the step changed, as the patient is told it (a category)"},
    )
    plan_category = fields.Function(
        lambda t: plan_category(t.plan_note),
        allow_none=True,
        metadata={
            "description": "Why the plan cannot fit this step in today, as a category the page translates"
        },
    )
    instructions = fields.Function(
        step_instructions,
        metadata={"description": "The ordering doctor's words to the patient about this step"},
    )
    self_service = fields.Boolean()
    fasting_hours = fields.Float()
    full_bladder = fields.Boolean()
    duration_min = fields.Integer()
    not_before = fields.DateTime(allow_none=True)
    planned_start = fields.DateTime(allow_none=True)
    planned_end = fields.DateTime(allow_none=True)
    room = fields.Nested(RoomOutSchema, attribute="planned_room", allow_none=True)
    department = fields.String(
        allow_none=True, metadata={"description": "A return visit: the ordering department it goes back to"}
    )
    after = fields.Method("_after")
    version = fields.Integer()

    def _after(self, task: Task) -> list[dict]:
        return [
            {"task_id": d.before_id, "min_gap_min": d.min_gap_min, "reason": d.reason}
            for d in task.journey.dependencies
            if d.after_id == task.id
        ]


class PatientOutSchema(Schema):
    mrn = fields.String()
    name = fields.String()
    language = fields.Function(lambda p: p.language.value)
    mobility = fields.Function(lambda p: p.mobility.value)


class JourneySchema(Schema):
    id = fields.Integer()
    visit_number = fields.String()
    site = fields.Function(lambda j: j.site.code)
    timezone = fields.Function(
        lambda j: j.site.timezone, metadata={"description": "The hospital's time zone"}
    )
    status = fields.Function(lambda j: j.status.value)
    priority = fields.Integer()
    catalog_version = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    last_meal_at = fields.DateTime(allow_none=True)
    fasting_confirmed = fields.Boolean()
    patient = fields.Nested(PatientOutSchema)
    access_token = fields.Method("_token", metadata={"description": "The patient's bearer token"})
    access_url = fields.Method("_url", metadata={"description": "The link to print as a QR code"})
    next_step_id = fields.Method("_next", allow_none=True)
    come_back = fields.Method(
        "_come_back",
        allow_none=True,
        metadata={
            "description": "Nothing can start today: {at: 'HH:MM' tomorrow (hospital time), fasting: come without eating}"
        },
    )
    pending_question = fields.Method(
        "_question",
        allow_none=True,
        metadata={
            "description": "A question the patient must answer before the day can be planned: 'fasting'"
        },
    )
    next_route = fields.Method(
        "_route",
        allow_none=True,
        metadata={
            "description": "How to walk to the next step from where the patient is, in their mobility profile"
        },
    )
    tasks = fields.List(fields.Nested(TaskOutSchema))

    def _token(self, journey: Journey) -> str:
        return access_token(current_app.config["SECRET_KEY"], journey)

    def _url(self, journey: Journey) -> str:
        return access_url(journey)

    def _route(self, journey: Journey) -> dict | None:
        return next_route(db.session, journey, route_cache(), map_versions(journey.site_id))

    def _come_back(self, journey: Journey) -> dict | None:
        return come_back(db.session, journey, clock_now())

    def _question(self, journey: Journey) -> str | None:
        if self._come_back(journey) is not None:
            return None  # nothing to plan today: they come back fasting
        return "fasting" if awaits_fasting_answer(journey) else None

    def _next(self, journey: Journey) -> int | None:
        step = None if self._come_back(journey) is not None else next_step(journey)
        return step.id if step else None


def public_url(path: str) -> str:
    """A link for a patient's phone: under the public address when one is set."""
    base = current_app.config["PUBLIC_BASE_URL"] or request.host_url
    return f"{base.rstrip('/')}{path}"


def access_url(journey: Journey) -> str:
    return public_url(f"/p/{access_token(current_app.config['SECRET_KEY'], journey)}")


class ExamTypeSchema(Schema):
    code = fields.String()
    name_en = fields.String()
    name_zh = fields.String()
    kind = fields.String()
    category = fields.String()
    duration_min = fields.Integer()
    room_types = fields.List(fields.String())
    payment_required = fields.Boolean()
    fasting_hours = fields.Float()
    full_bladder = fields.Boolean()
    report_after_min = fields.Integer(allow_none=True)
    sources = fields.List(fields.String())


class CatalogInfoSchema(Schema):
    version = fields.String()
    exam_types = fields.Integer()
    loaded_at = fields.DateTime()


class RouteStepSchema(Schema):
    kind = fields.String()
    text_en = fields.String()
    text_zh = fields.String()
    distance_m = fields.Float()
    seconds = fields.Float()
    node = fields.String()


class RouteLegSchema(Schema):
    building = fields.String()
    building_name_en = fields.String()
    building_name_zh = fields.String()
    floor = fields.String()
    ordinal = fields.Integer()
    points = fields.List(fields.Dict())
    distance_m = fields.Float()
    seconds = fields.Float()
    floor_title_en = fields.String(
        metadata={"description": "Names the floor plan: 'Floor 2F of Outpatient Building'"}
    )
    floor_title_zh = fields.String(metadata={"description": "门诊楼2楼"})


class RouteSchema(Schema):
    origin = fields.String()
    destination = fields.String()
    profile = fields.String()
    distance_m = fields.Float()
    seconds = fields.Float(metadata={"description": "Walking time for this profile, elevator waits included"})
    nodes = fields.List(fields.String())
    legs = fields.List(fields.Nested(RouteLegSchema))
    steps = fields.List(fields.Nested(RouteStepSchema))


class JourneySearchArgs(Schema):
    visit_number = fields.String(validate=validate.Length(min=1, max=64))
    mrn = fields.String(validate=validate.Length(min=1, max=64))
    q = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "Part of the patient's name"}
    )
    site = SITE_QUERY
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CurrentStepSchema(Schema):
    id = fields.Integer(attribute="step.id")
    name_en = fields.String(attribute="step.name_en")
    name_zh = fields.String(attribute="step.name_zh")
    kind = fields.String(attribute="step.kind")
    status = fields.Function(lambda w: w.step.status.value, metadata={"description": "FHIR Task.status"})
    business_status = fields.String(attribute="step.business_status", allow_none=True)
    planned_start = fields.DateTime(attribute="step.planned_start", allow_none=True)
    room = fields.String(
        allow_none=True, metadata={"description": "The room of the patient's line, else the planned room"}
    )
    ticket = fields.String(allow_none=True)
    queue_status = fields.String(
        allow_none=True,
        metadata={"description": "waiting, called, in_service... when the patient is in a line"},
    )


class WhereaboutsSchema(Schema):
    id = fields.Integer(attribute="journey.id")
    visit_number = fields.String(attribute="journey.visit_number")
    status = fields.Function(
        lambda w: w.journey.status.value, metadata={"enum": ["active", "completed", "cancelled"]}
    )
    created_at = fields.DateTime(attribute="journey.created_at")
    patient = fields.Nested(PatientOutSchema, attribute="journey.patient")
    current_step = fields.Method("_current", allow_none=True)

    def _current(self, found) -> dict | None:
        return CurrentStepSchema().dump(found) if found.step is not None else None


class ReasonSchema(Schema):
    reason = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=400), validate.Regexp(r"(?s).*\S", error="give a reason")],
        metadata={"description": "Why: kept in the audit log and shown to staff"},
    )
