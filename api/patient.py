"""The patient's own journey: read it, finish self-service steps, say "I'm here"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import access
from api.access import STAFF_ROLES, actor_name, current_journey, current_journey_id
from api.context import commit, now
from api.extensions import db, limiter
from api.freshness import fresh_answer, journey_etag, map_versions, route_cache
from api.schemas import PLAUSIBLE_TIME, PLAUSIBLE_YEARS, JourneySchema, RouteSchema, TaskOutSchema
from navigation import read_stamps, routing
from navigation.errors import DomainError, NotFound
from navigation.journeys import arrive, complete_self_service, load_for_reading, report_fasting
from navigation.models import Role
from navigation.results import mark_result_ready
from notifications import delivery_states, register_device, unregister_device
from pathfinding import NoRouteError, Route, UnknownPlaceError
from pathfinding.svg import route_svgs

blp = Blueprint(
    "patient",
    __name__,
    url_prefix="/api/v1",
    description="A patient's journey (access token or staff)",
)
JOURNEY_ID = "<int(max=2147483647):journey_id>"
TASK_ID = "<int(max=2147483647):task_id>"


@blp.route(f"/journeys/{JOURNEY_ID}")
class JourneyView(MethodView):
    @access.patient_or_staff(*STAFF_ROLES, audit_read="journey.read", stamp=read_stamps.JOURNEY)
    @blp.response(200, JourneySchema)
    @blp.alt_response(304, description="Unchanged since the ETag sent in If-None-Match")
    def get(self, journey_id: int):
        """The journey and its task list; the patient sends their access token as a bearer token.
        A staff member's read is audit-logged (who looked at which patient, when).

        The answer carries an `ETag`: send it back as `If-None-Match` and an unchanged journey
        answers 304 with no body (any change to the steps, the places in line or the route's
        closures changes it, and so does a room's closing time passing: past closing the view
        says when to come back). Never stored by caches (`Cache-Control: no-store`)."""
        journey_id = current_journey_id()
        etag = journey_etag(journey_id, now())  # stamped before reading: a change in between shows next time
        return fresh_answer(etag, lambda: JourneySchema().dump(load_for_reading(db.session, journey_id)))


@blp.route(f"/journeys/{JOURNEY_ID}/tasks/{TASK_ID}/complete")
class CompleteStep(MethodView):
    @access.patient_or_staff(*STAFF_ROLES, acts_for_patient="task.complete_for_patient")
    @blp.response(200, TaskOutSchema)
    def post(self, journey_id: int, task_id: int):
        """Mark a self-service step done (paid, ate, drank the water, collected the report). Staff
        may do it for the patient (a payment made at the cashier); that is audit-logged."""
        task = complete_self_service(db.session, current_journey(), task_id, now(), actor=actor_name())
        commit()
        return task


@blp.route(f"/journeys/{JOURNEY_ID}/tasks/{TASK_ID}/result-ready")
class ResultReady(MethodView):
    @access.staff(Role.NURSE, Role.ADMIN)
    @blp.response(200, TaskOutSchema)
    def post(self, journey_id: int, task_id: int):
        """Staff: this finished exam's results are out, so its report may be collected (the
        patient is told; audit-logged). Until then "collect your reports" is not offered."""
        task = mark_result_ready(db.session, current_journey(), task_id, access.current_staff(), now())
        commit()
        return task


@blp.route(f"/journeys/{JOURNEY_ID}/tasks/{TASK_ID}/arrive")
class Arrive(MethodView):
    @access.patient_or_staff(*STAFF_ROLES, acts_for_patient="task.arrive_for_patient")
    @blp.response(200, TaskOutSchema)
    def post(self, journey_id: int, task_id: int):
        """The patient says "I'm here" at the room for this step (staff may say it for a patient
        without a phone; audit-logged)."""
        task = arrive(db.session, current_journey(), task_id, now())
        commit()
        return task


class FastingSchema(Schema):
    last_meal_at = fields.AwareDateTime(
        load_default=None,
        validate=PLAUSIBLE_TIME,
        metadata={
            "description": "When the patient last ate; leave out to confirm nothing since last night",
            **PLAUSIBLE_YEARS,
        },
    )


@blp.route(f"/journeys/{JOURNEY_ID}/fasting")
class Fasting(MethodView):
    @access.patient_or_staff(*STAFF_ROLES, acts_for_patient="journey.fasting_for_patient")
    @blp.arguments(FastingSchema)
    @blp.response(200, JourneySchema)
    def post(self, body: dict, journey_id: int):
        """The patient answers "have you eaten since last night?"; fasting steps are re-planned.
        Staff may record the patient's answer for them (audit-logged)."""
        journey = current_journey()
        report_fasting(db.session, journey, now(), body["last_meal_at"])
        commit()
        return journey


class DeviceTokenSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class DeviceSchema(DeviceTokenSchema):
    platform = fields.String(required=True, validate=validate.OneOf(["android", "ios", "web"]))


class DeliveryStateSchema(Schema):
    journey_id = fields.Integer()
    event_id = fields.String()
    event = fields.String()
    step_id = fields.String(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    devices_acknowledged = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    next_attempt_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    channel = fields.String(
        allow_none=True, metadata={"description": "fcm, webpush, wechat or sms: the one that delivered it"}
    )
    escalations = fields.Integer(metadata={"description": "Times it went on to the next channel, unseen"})
    seen_at = fields.DateTime(allow_none=True, metadata={"description": "When the patient saw it"})


@blp.route(f"/journeys/{JOURNEY_ID}/devices")
class Devices(MethodView):
    @access.patient()
    @blp.arguments(DeviceSchema)
    @blp.response(204)
    def post(self, body: dict, journey_id: int):
        """Register this phone's push token (FCM) for the journey; registering again is harmless.
        Only the patient's own phone: staff never receive a patient's messages."""
        register_device(db.session, journey_id, body["token"], body["platform"])
        commit()

    @access.patient()
    @blp.arguments(DeviceTokenSchema)
    @blp.response(204)
    def delete(self, body: dict, journey_id: int):
        """Stop pushing to this phone."""
        unregister_device(db.session, journey_id, body["token"])
        commit()


@blp.route(f"/journeys/{JOURNEY_ID}/notifications")
class Deliveries(MethodView):
    @access.staff(*STAFF_ROLES, audit_read="journey.notifications.read")
    @blp.response(200, DeliveryStateSchema(many=True))
    def get(self, journey_id: int):
        """Staff: every message sent for this journey and how its delivery went (failed ones to follow up)."""
        return delivery_states(db.session, journey_id)


class RouteQuerySchema(Schema):
    origin = fields.String(
        data_key="from", required=True, metadata={"description": "Room code or map node id"}
    )
    destination = fields.String(
        data_key="to", required=True, metadata={"description": "Room code or map node id"}
    )
    profile = fields.String(
        load_default="walking", validate=validate.OneOf(["walking", "slow", "wheelchair"])
    )


class RouteDrawingQuerySchema(RouteQuerySchema):
    lang = fields.String(load_default="en", validate=validate.OneOf(["en", "zh"]))
    floor_index = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=50),
        metadata={"description": "Which floor of the route"},
    )


@blp.route("/sites/<string(maxlength=32):site>/route")
class SiteRoute(MethodView):
    decorators = [limiter.limit("600/minute")]

    @access.public("directions between rooms; the map is no secret inside the hospital")
    @blp.arguments(RouteQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, RouteSchema)
    def get(self, site: str, origin: str, destination: str, profile: str):
        """The shortest walk between two places, with turn-by-turn steps in Chinese and English."""
        return _cached_route(site, origin, destination, profile)


@blp.route("/sites/<string(maxlength=32):site>/route.svg")
class SiteRouteDrawing(MethodView):
    decorators = [limiter.limit("600/minute")]

    @access.public("the drawn route, as for /route")
    @blp.arguments(RouteDrawingQuerySchema, location="query", as_kwargs=True)
    @blp.doc(
        responses={
            "200": {
                "description": "One floor of the route drawn on its plan; X-Floor-Count says how many floors",
                "content": {"image/svg+xml": {}},
            }
        }
    )
    def get(self, site: str, origin: str, destination: str, profile: str, lang: str, floor_index: int):
        """The route drawn on the plan of each floor it crosses, in walking order (for the phone page)."""
        found = _route(site, origin, destination, profile)
        router = routing.router_for(db.session, routing.site_by_code(db.session, site))
        drawings = route_svgs(router.site, found, width_px=360, lang=lang)
        if floor_index >= len(drawings):
            raise NotFound(f"the route crosses {len(drawings)} floors", field="floor_index")
        return Response(
            drawings[floor_index], mimetype="image/svg+xml", headers={"X-Floor-Count": str(len(drawings))}
        )


def _route(site: str, origin: str, destination: str, profile: str) -> Route:
    with _route_problems(site, origin):
        return routing.route(db.session, routing.site_by_code(db.session, site), origin, destination, profile)


def _cached_route(site: str, origin: str, destination: str, profile: str) -> dict:
    with _route_problems(site, origin):
        found = routing.site_by_code(db.session, site)
        return routing.route_dict(
            db.session, found, origin, destination, profile, route_cache(), map_versions(found.id)
        )


@contextmanager
def _route_problems(site: str, origin: str) -> Iterator[None]:
    """An unknown place is a 404 naming the field; no way through says why, in both languages."""
    try:
        yield
    except UnknownPlaceError as exc:
        field = "from" if exc.place == origin else "to"
        raise NotFound(f"no room or place {exc.place!r} on the map of {site}", field=field) from exc
    except NoRouteError as exc:
        raise DomainError(
            exc.reason_en, errors={"route": [exc.reason_en, exc.reason_zh], "blocked": list(exc.blocked)}
        ) from exc
