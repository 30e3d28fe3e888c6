"""Reception: check a patient in and hand them their journey link."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import segno
from flask import Response, g, json, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy.exc import IntegrityError

from api import access
from api.access import current_journey
from api.context import commit, now
from api.errors import problem
from api.extensions import db
from api.schemas import (
    CheckInSchema,
    JourneySchema,
    JourneySearchArgs,
    ReasonSchema,
    WhereaboutsSchema,
    access_url,
)
from navigation import audit
from navigation.access import replace_link
from navigation.cancellation import cancel_step, close_journey
from navigation.checkin import AlreadyCheckedIn, PatientDetails, check_in
from navigation.errors import DomainError
from navigation.followups import Undelivered, undelivered_today
from navigation.idempotency import LIFETIME as KEY_LIFETIME
from navigation.idempotency import remember, replayed_journey, request_fingerprint
from navigation.journeys import load_for_reading
from navigation.models import Journey, Role
from navigation.whereabouts import Whereabouts, find_journeys

blp = Blueprint(
    "reception", __name__, url_prefix="/api/v1", description="Reception: check-in, find a patient, reprint"
)
JOURNEY_ID = "<int(max=2147483647):journey_id>"
TASK_ID = "<int(max=2147483647):task_id>"


@blp.route("/journeys")
class Journeys(MethodView):
    @blp.doc(
        parameters=[
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string"},
                "description": "Retrying with the same key returns the journey the first attempt created "
                f"(for {KEY_LIFETIME // timedelta(hours=1)} hours: a key sent again later starts a new request)",
            }
        ],
    )
    @access.staff(Role.RECEPTION, Role.ADMIN, Role.INTERFACE)
    @blp.arguments(CheckInSchema)
    @blp.response(201, JourneySchema)
    @blp.alt_response(200, schema=JourneySchema, description="An idempotent retry: the same journey")
    def post(self, body: dict):
        """Check a patient in: their orders become the medical task list. A visit already
        checked in answers 409 with that `journey` (its id and links): reprint its slip."""
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 1 <= len(key) <= 128:
            raise DomainError("Idempotency-Key must be 1 to 128 characters", field="Idempotency-Key")
        fingerprint = request_fingerprint(request.get_json())
        if key and (journey := replayed_journey(db.session, key, g.staff.id, fingerprint, now())):
            return journey, 200
        try:
            journey = _check_in_once(body, key, fingerprint)
        except IntegrityError:
            # A concurrent request wrote the same rows first: a double tap (same key), another
            # desk with the same visit, or the same new patient. The double tap gets its
            # journey; otherwise one more try sees the other's rows and answers plainly.
            db.session.rollback()
            replay = key and replayed_journey(db.session, key, g.staff.id, fingerprint, now())
            if replay:
                return replay, 200
            journey = _check_in_once(body, key, fingerprint)
        return load_for_reading(db.session, journey.id), 201

    @access.staff(*access.STAFF_ROLES, audit_read="journey.search")
    @blp.arguments(JourneySearchArgs, location="query")
    @blp.response(200, WhereaboutsSchema(many=True))
    def get(self, args: dict) -> list[Whereabouts]:
        """Where is everyone? Today's journeys at your site, newest first, matching every filter
        given (`visit_number`, `mrn`, `q` = part of the name), each with the patient's current
        step, its room and state. The read is audit-logged."""
        return find_journeys(
            db.session,
            g.scope.named(args.get("site")),
            now(),
            visit_number=args.get("visit_number"),
            mrn=args.get("mrn"),
            name=args.get("q"),
            limit=args["limit"],
        )


@blp.errorhandler(AlreadyCheckedIn)
def already_checked_in(error: AlreadyCheckedIn):
    """The 409 of a second check-in points at the journey, so the desk can reprint its slip."""
    db.session.rollback()
    response = problem(error.status, error.message, {"json": error.errors})
    body = response.get_json()
    body["journey"] = {
        "id": error.journey_id,
        "visit_number": error.visit_number,
        "href": url_for("patient.JourneyView", journey_id=error.journey_id),
        "qr": url_for("reception.JourneyQRCode", journey_id=error.journey_id),
    }
    response.set_data(json.dumps(body))
    return response


def _reasoned_route(name: str, path: str, summary: str, change: Callable[..., object]) -> None:
    """A POST that takes part of the patient's day away for a reason (audited by `change`):
    they leave its line, the day is re-planned, the phone is told; the answer is the journey."""

    def post(self, body: dict, journey_id: int, **task_id: int):  # a step's cancel names the step
        journey = current_journey()
        change(db.session, journey, *task_id.values(), body["reason"], actor=g.staff, now=now())
        commit()
        return journey

    post.__doc__ = summary
    post = blp.response(200, JourneySchema)(post)
    post = blp.arguments(ReasonSchema)(post)
    post = access.staff(*access.STAFF_ROLES)(post)
    blp.route(f"/journeys/{JOURNEY_ID}/{path}")(type(name, (MethodView,), {"post": post}))


_reasoned_route(
    "CancelStep",
    f"tasks/{TASK_ID}/cancel",
    "Take a step off the patient's day, with a reason (audited): they leave its line, the\n"
    "day is re-planned and their phone is told.",
    cancel_step,
)
_reasoned_route(
    "CloseJourney",
    "close",
    "Close the visit now, with a reason (audited): every open step is cancelled, the\n"
    "patient leaves any line and their phone is told.",
    close_journey,
)


class UndeliveredSchema(Schema):
    journey_id = fields.Integer(attribute="journey.id")
    visit_number = fields.String(attribute="journey.visit_number")
    patient_name = fields.String(attribute="journey.patient.name")
    event = fields.String(attribute="message.event", metadata={"description": "e.g. next_step, turn_now"})
    status = fields.String(attribute="message.status", metadata={"enum": ["failed", "expired"]})
    attempts = fields.Integer(attribute="message.attempts")
    last_error = fields.String(attribute="message.last_error", allow_none=True)
    created_at = fields.DateTime(attribute="message.created_at")


@blp.route("/undelivered")
class UndeliveredMessages(MethodView):
    @access.staff(*access.STAFF_ROLES, audit_read="notifications.undelivered.read")
    @blp.response(200, UndeliveredSchema(many=True))
    def get(self) -> list[Undelivered]:
        """Messages of today's patients that never reached their phone, newest first: tell them
        in person. The read is audit-logged."""
        return undelivered_today(db.session, g.scope.site().id, now())


@blp.route(f"/journeys/{JOURNEY_ID}/qr.svg")
class JourneyQRCode(MethodView):
    @blp.doc(
        responses={"200": {"description": "The access link as a QR code", "content": {"image/svg+xml": {}}}},
    )
    @access.staff(*access.STAFF_ROLES, audit_read="journey.link.read")
    def get(self, journey_id: int):
        """The patient's access link as a QR code to print or show on the desk screen."""
        journey = current_journey()
        out = io.BytesIO()
        # A viewBox and no size: the desk screen and the printed slip each scale it to fit.
        segno.make(access_url(journey), error="m").save(
            out, kind="svg", scale=1, omitsize=True, xmldecl=False, title="CarePath QR", svgclass="qr-code"
        )
        return Response(out.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@blp.route("/journeys/<int(max=2147483647):journey_id>/link")
class JourneyLink(MethodView):
    @access.staff(Role.RECEPTION, Role.ADMIN)
    @blp.response(200, JourneySchema)
    def post(self, journey_id: int):
        """A new link for a patient who lost their phone; the old link answers 410 "go to the
        desk" from now on. Audit-logged."""
        journey = current_journey()
        replace_link(journey)
        audit.record(
            db.session,
            g.staff,
            "journey.link.replace",
            "journey",
            journey.id,
            site_id=journey.site_id,
            patient_id=journey.patient_id,
            now=now(),
        )
        commit()
        return journey


def _check_in_once(body: dict, key: str | None, fingerprint: str) -> Journey:
    journey = _check_in(body)
    if key:
        remember(db.session, key, g.staff.id, fingerprint, journey, now())
    commit()
    return journey


def _check_in(body: dict) -> Journey:
    site_code = g.scope.named(body["site"]).code
    details = body["patient"]
    return check_in(
        db.session,
        site_code=site_code,
        visit_number=body["visit_number"],
        patient=PatientDetails(**details),
        order_codes=[o["code"] for o in body["orders"]],
        on_file={f["code"]: f["at"] for f in body["on_file"]},
        priority=body["priority"],
        departments={o["code"]: o["department"] for o in body["orders"] if o["department"]},
        actor=g.staff,
        now=now(),
    )
