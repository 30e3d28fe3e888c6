"""Nurses run their rooms' queues; patients check in at a room; the public screen shows tickets.

Views parse, call `navigation.queues`, commit once. Each operation's `QueueChange` (journeys
and rooms it touched) passes through `_done`, the one place to hook the re-planner in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import flask
from flask import g, render_template, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import access
from api.access import STAFF_ROLES, current_journey, current_journey_id
from api.context import commit, now
from api.errors import problem
from api.extensions import db
from api.freshness import fresh_answer, queue_etag
from navigation import queues, read_stamps
from navigation.errors import DomainError
from navigation.models import QueueEntry, Role, Room, RoomStatus, Site
from navigation.patient_reasons import PAUSE_CATEGORIES
from navigation.queues.arrival import arrive_at_room
from navigation.queues.notify import announce
from navigation.queues.views import entry_history, entry_view
from navigation.replanning import replan_and_tell

blp = Blueprint("nurse", __name__, description="Nurses: room queues; patients: room check-in; public signage")
pages = flask.Blueprint("queue_pages", __name__, template_folder="templates")

ROOM = "<string(maxlength=32):room_code>"
ENTRY = "<int(max=2147483647):entry_id>"
NURSES = (Role.NURSE, Role.ADMIN)
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string", "pattern": '^(W/)?"?[0-9]{1,9}"?$', "example": '"3"'},
    "description": "The entry's `version` as last seen, as a number, optionally quoted as an ETag "
    '(`3`, `"3"` or `W/"3"`); a stale one is refused with 409 and the current state',
}
REASON = fields.String(required=True, validate=validate.Length(min=1, max=400))


# ---- schemas -------------------------------------------------------------------------------


class QueueEntrySchema(Schema):
    id = fields.Integer()
    ticket = fields.String()
    status = fields.String(
        metadata={"enum": ["waiting", "called", "in_service", "done", "no_show", "skipped", "on_hold"]}
    )
    room = fields.String()
    desk = fields.Integer(allow_none=True)
    priority = fields.Integer()
    people_ahead = fields.Integer(allow_none=True, metadata={"description": "Only while in line"})
    wait_minutes = fields.Integer(allow_none=True, metadata={"description": "Estimated minutes to the call"})
    recalls = fields.Integer()
    joined_at = fields.DateTime()
    called_at = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    grace_until = fields.DateTime(allow_none=True)
    journey_id = fields.Integer()
    task_id = fields.Integer()
    patient_name = fields.String()
    exam_en = fields.String()
    exam_zh = fields.String()
    version = fields.Integer()
    not_seen = fields.Boolean(metadata={"description": "Called, and the patient has not seen the call yet"})


class QueueEventSchema(Schema):
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    actor = fields.String()
    reason = fields.String(allow_none=True)
    at = fields.DateTime()
    detail = fields.Dict()
    undone = fields.Boolean()


class QueueEntryDetailSchema(QueueEntrySchema):
    history = fields.List(fields.Nested(QueueEventSchema))


class RoomQueueSchema(Schema):
    room = fields.String()
    name_en = fields.String()
    name_zh = fields.String()
    room_type = fields.String()
    stations = fields.Integer()
    status = fields.String()
    timezone = fields.String(metadata={"description": "The hospital's time zone: show times in it"})
    paused_until = fields.DateTime(allow_none=True)
    pause_reason = fields.String(allow_none=True)
    can_undo = fields.String(allow_none=True, metadata={"description": "The operation undo would take back"})
    entries = fields.List(fields.Nested(QueueEntrySchema))


class PlannedStepSchema(Schema):
    task_id = fields.Integer()
    journey_id = fields.Integer()
    visit_number = fields.String()
    patient_name = fields.String()
    exam_en = fields.String()
    exam_zh = fields.String()
    planned_start = fields.DateTime()
    planned_end = fields.DateTime()
    station = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": "The step's task state (FHIR R4 Task)"})
    ticket = fields.String(
        allow_none=True, metadata={"description": "Once the patient is in this room's line"}
    )


class ServiceQueueSchema(Schema):
    room_type = fields.String()
    rooms = fields.List(fields.Nested(RoomQueueSchema))


class QueueRoomSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name_en = fields.String()
    name_zh = fields.String()
    room_type = fields.String()
    stations = fields.Integer()
    status = fields.Function(lambda r: r.status.value)


class QueueChangeSchema(Schema):
    message = fields.String()
    entry = fields.Nested(QueueEntrySchema, allow_none=True)
    journeys = fields.List(fields.Integer(), metadata={"description": "Journeys this change touched"})
    rooms = fields.List(fields.String(), metadata={"description": "Rooms this change touched"})


class QueueCallNextSchema(Schema):
    desk = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    confirm = fields.Boolean(
        load_default=False,
        metadata={"description": "Call although the desk still has a patient called or in service"},
    )
    from_service = fields.Boolean(
        load_default=False, metadata={"description": "Call from the shared line of every room of this type"}
    )


class QueueOverrideSchema(Schema):
    override_reason = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=400),
        metadata={
            "description": "Begin although the step's prerequisites are not met yet, and why (audited)"
        },
    )


class QueueStartSchema(QueueOverrideSchema):
    desk = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))


class QueueSkipSchema(Schema):
    places = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    reason = REASON


class QueueReasonSchema(Schema):
    reason = REASON


class QueueNoShowSchema(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=400))
    grace_minutes = fields.Integer(load_default=15, validate=validate.Range(min=0, max=240))


class QueueMoveSchema(Schema):
    room = fields.String(required=True, validate=validate.Length(min=1, max=32))
    reason = REASON


class QueuePrioritySchema(Schema):
    priority = fields.Integer(required=True, validate=validate.Range(min=0, max=3))
    reason = REASON


class RoomPauseSchema(Schema):
    reason = REASON
    category = fields.String(
        load_default="other",
        validate=validate.OneOf(PAUSE_CATEGORIES),
        metadata={"description": "Why, as the patients are told it; `reason` stays with staff"},
    )
    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=24 * 60))


class RoomArrivalSchema(Schema):
    task_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2147483647))


class PatientQueueSchema(Schema):
    task_id = fields.Integer()
    ticket = fields.String()
    status = fields.String()
    room = fields.String()
    desk = fields.Integer(allow_none=True)
    people_ahead = fields.Integer(allow_none=True)
    wait_minutes = fields.Integer(allow_none=True)
    starts_at = fields.DateTime(
        allow_none=True, metadata={"description": "The step cannot begin before this time (a result awaited)"}
    )
    grace_until = fields.DateTime(allow_none=True)


class SignageTicketSchema(Schema):
    ticket = fields.String()
    room = fields.String()
    desk = fields.Integer(allow_none=True)


class SignageSchema(Schema):
    site = fields.String()
    group = fields.String()
    calling = fields.List(fields.Nested(SignageTicketSchema))
    next = fields.List(fields.Nested(SignageTicketSchema))
    paused = fields.List(fields.String())
    at = fields.DateTime()


# ---- helpers -------------------------------------------------------------------------------


def _room(code: str) -> Room:
    return queues.room_for_staff(db.session, code, g.scope.site().id)


def _if_match() -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 9:
        raise DomainError("If-Match must be the entry's version number", field="If-Match")
    return int(value)


def _done(
    change: queues.QueueChange, closed_room: tuple[str, datetime] | None = None
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Re-plan the patients the operation touched, tell those whose plan moved, commit once."""
    entry = change.entry
    touched_rooms = db.session.query(Room).filter(Room.id.in_(change.room_ids)).all()
    rooms = sorted(r.code for r in touched_rooms)
    if touched_rooms:
        site = db.session.get_one(Site, touched_rooms[0].site_id)  # in the session: no walk up the floors
        change.journey_ids |= replan_and_tell(db.session, site, change.journey_ids, now(), closed_room)
    announce(db.session, change.journey_ids, change.room_ids, now())  # live pages, after the commit
    commit()
    body = {
        "message": change.message,
        "entry": entry_view(db.session, entry, now()) if entry is not None else None,
        "journeys": sorted(change.journey_ids),
        "rooms": rooms,
    }
    headers = {"ETag": f'"{entry.version}"'} if entry is not None else {}
    return body, 200, headers


@blp.errorhandler(queues.StaleEntry)
def stale_entry(error: queues.StaleEntry):
    """409 with the entry as it is now, so the nurse's screen can show it at once."""
    db.session.rollback()
    current = QueueEntrySchema().dump(
        entry_view(db.session, db.session.get(QueueEntry, error.entry.id), now())
    )
    response = problem(409, error.message, {"json": error.errors})
    body = response.get_json()
    body["current"] = current
    response.set_data(flask.json.dumps(body))
    response.headers["ETag"] = f'"{current["version"]}"'
    return response


# ---- nurses: rooms -------------------------------------------------------------------------


@blp.route("/api/v1/queues/rooms")
class Rooms(MethodView):
    @access.staff(*NURSES)
    @blp.response(200, QueueRoomSchema(many=True))
    def get(self):
        """Rooms at your site, to pick the one you run."""
        query = db.session.query(Room).filter(
            Room.status != RoomStatus.CLOSED, Room.site_id == g.scope.site().id
        )
        return query.order_by(Room.code).all()


@blp.route(f"/api/v1/queues/rooms/{ROOM}")
class RoomQueueView(MethodView):
    @access.staff(*NURSES, audit_read="queue.room.read")
    @blp.response(200, RoomQueueSchema)
    def get(self, room_code: str):
        """The room's line: who is called or in service, who waits in which order and how long."""
        return queues.room_view(db.session, _room(room_code), now())


@blp.route(f"/api/v1/queues/rooms/{ROOM}/plan")
class RoomPlanView(MethodView):
    @access.staff(*NURSES, audit_read="queue.plan.read")
    @blp.response(200, PlannedStepSchema(many=True))
    def get(self, room_code: str):
        """The room's plan for the rest of the day: who is expected when, soonest first."""
        return queues.room_plan(db.session, _room(room_code))


@blp.route("/api/v1/queues/services/<string(maxlength=32):room_type>")
class ServiceQueueView(MethodView):
    @access.staff(*NURSES, audit_read="queue.service.read")
    @blp.response(200, ServiceQueueSchema)
    def get(self, room_type: str):
        """Every room performing a service (e.g. `ultrasound`) at your site, as one board."""
        return queues.service_view(db.session, g.scope.site().id, room_type, now())


@blp.route(f"/api/v1/queues/rooms/{ROOM}/call-next")
class CallNext(MethodView):
    @access.staff(*NURSES)
    @blp.arguments(QueueCallNextSchema)
    @blp.response(200, QueueChangeSchema)
    def post(self, body: dict, room_code: str):
        """Call the next patient to a desk (409 when nobody is waiting, the room is paused, or the
        desk still has a patient: send `confirm` to take a second one)."""
        change = queues.call_next(
            db.session,
            _room(room_code),
            body["desk"],
            actor=g.staff,
            now=now(),
            from_service=body["from_service"],
            confirm=body["confirm"],
        )
        return _done(change)


@blp.route(f"/api/v1/queues/rooms/{ROOM}/pause")
class Pause(MethodView):
    @access.staff(*NURSES)
    @blp.arguments(RoomPauseSchema)
    @blp.response(200, QueueChangeSchema)
    def post(self, body: dict, room_code: str):
        """Pause the room: waiting patients go to other rooms for the exam, or wait longer; all are told."""
        room = _room(room_code)
        change = queues.pause(
            db.session,
            room,
            body["reason"],
            body["minutes"],
            actor=g.staff,
            now=now(),
            category=body["category"],
        )
        return _done(change, closed_room=(room.code, now() + timedelta(minutes=body["minutes"])))


def _room_route(path: str, summary: str, run) -> None:
    """One POST endpoint per bodiless operation on a whole room (resume, undo): nurse of its site."""

    def post(self, room_code: str):
        return _done(run(db.session, _room(room_code), actor=g.staff, now=now()))

    post.__doc__ = summary
    post = blp.response(200, QueueChangeSchema)(post)
    post = access.staff(*NURSES)(post)
    view = type(path.capitalize(), (MethodView,), {"post": post})
    blp.route(f"/api/v1/queues/rooms/{ROOM}/{path}")(view)


_room_route("resume", "Open the paused room again.", queues.resume)
_room_route(
    "undo",
    "Undo the room's last operation (again to go further back); start/complete/pause cannot be.",
    queues.undo,
)


# ---- nurses: one entry ---------------------------------------------------------------------


@blp.route(f"/api/v1/queues/entries/{ENTRY}")
class EntryView(MethodView):
    @access.staff(*NURSES, audit_read="queue.entry.read")
    @blp.response(200, QueueEntryDetailSchema)
    def get(self, entry_id: int):
        """One ticket with its whole history."""
        entry = queues.entry_for_staff(db.session, entry_id, g.scope.site().id)
        view = entry_view(db.session, entry, now())
        return {**view, "history": entry_history(db.session, entry)}, 200, {"ETag": f'"{entry.version}"'}


def _entry_route(path: str, schema: type[Schema] | None, summary: str, run):
    """One POST endpoint per operation on an entry: If-Match, nurse of the entry's site."""

    def post(self, *args: Any, entry_id: int):
        body = args[0] if args else {}
        change = run(entry_id, body, dict(actor=g.staff, now=now(), version=_if_match()))
        return _done(change)

    post.__doc__ = summary
    post = blp.response(200, QueueChangeSchema)(post)
    if schema is not None:
        post = blp.arguments(schema)(post)
    post = access.staff(*NURSES)(post)
    post = blp.doc(parameters=[IF_MATCH])(post)
    view = type(f"Entry_{path.replace('-', '_')}", (MethodView,), {"post": post})
    blp.route(f"/api/v1/queues/entries/{ENTRY}/{path}")(view)


_entry_route(
    "recall", None, "Call the same patient again.", lambda i, b, k: queues.recall(db.session, i, **k)
)
_entry_route(
    "start",
    QueueStartSchema,
    "The exam begins (the step becomes in-progress).",
    lambda i, b, k: queues.start(db.session, i, desk=b["desk"], override_reason=b["override_reason"], **k),
)
_entry_route(
    "complete",
    QueueOverrideSchema,
    "The exam is done (the step completes; the next steps are released).",
    lambda i, b, k: queues.complete(db.session, i, override_reason=b["override_reason"], **k),
)
_entry_route(
    "skip",
    QueueSkipSchema,
    "Put the patient back N places in line.",
    lambda i, b, k: queues.skip(db.session, i, b["places"], b["reason"], **k),
)
_entry_route(
    "no-show",
    QueueNoShowSchema,
    "The called patient did not come; they keep their place for the grace period.",
    lambda i, b, k: queues.no_show(
        db.session, i, reason=b["reason"], grace=timedelta(minutes=b["grace_minutes"]), **k
    ),
)
_entry_route(
    "rejoin",
    None,
    "A no-show patient is back and rejoins the line.",
    lambda i, b, k: queues.rejoin(db.session, i, **k),
)
_entry_route(
    "move",
    QueueMoveSchema,
    "Send the patient to another room that performs their exam.",
    lambda i, b, k: queues.move(db.session, i, _room(b["room"]), b["reason"], **k),
)
_entry_route(
    "priority",
    QueuePrioritySchema,
    "Raise or lower the patient's priority (0 normal to 3 most urgent).",
    lambda i, b, k: queues.set_priority(db.session, i, b["priority"], b["reason"], **k),
)
_entry_route(
    "hold",
    QueueReasonSchema,
    "Keep the patient aside without losing their place.",
    lambda i, b, k: queues.hold(db.session, i, b["reason"], **k),
)
_entry_route(
    "release", None, "Put a held patient back in line.", lambda i, b, k: queues.release(db.session, i, **k)
)


# ---- patients ------------------------------------------------------------------------------


@blp.route(f"/api/v1/queues/rooms/{ROOM}/arrivals")
class RoomArrival(MethodView):
    @access.patient()
    @blp.arguments(RoomArrivalSchema)
    @blp.response(200, PatientQueueSchema(many=True))
    def post(self, body: dict, room_code: str):
        """The patient scanned this room's QR code: "I'm here". A wrong room answers where to go."""
        journey = current_journey()
        arrive_at_room(db.session, journey, room_code, now(), body["task_id"])
        commit()
        return queues.journey_queue(db.session, journey.id, now())


@blp.route("/api/v1/queues/journeys/<int(max=2147483647):journey_id>")
class JourneyQueue(MethodView):
    @access.patient_or_staff(*STAFF_ROLES, audit_read="journey.queue.read", stamp=read_stamps.QUEUE)
    @blp.response(200, PatientQueueSchema(many=True))
    @blp.alt_response(304, description="Unchanged since the ETag sent in If-None-Match")
    def get(self, journey_id: int):
        """The patient's own tickets: room, desk when called, people ahead, estimated minutes.

        With an `ETag` (send it back as `If-None-Match`: 304 while nothing changed). It changes
        when anyone in the patient's lines moves, the room pauses, or the wait's minute turns."""
        journey_id = current_journey_id()
        etag = queue_etag(journey_id, now())  # stamped before reading: a change in between shows next time
        return fresh_answer(
            etag,
            lambda: PatientQueueSchema(many=True).dump(queues.journey_queue(db.session, journey_id, now())),
        )


# ---- public signage ------------------------------------------------------------------------


@blp.route("/api/v1/signage/<string(maxlength=32):site>/<string(maxlength=32):group>")
class Signage(MethodView):
    @access.public("the waiting room's screen: ticket numbers and rooms only")
    @blp.response(200, SignageSchema)
    def get(self, site: str, group: str):
        """A department's (room type's) or a room's public screen: ticket numbers and rooms only."""
        return queues.signage(db.session, site, group, now())


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/nurse")
def nurse_page():
    return render_template("nurse.html")


@pages.get("/signage/<string(maxlength=32):site>/<string(maxlength=32):group>")
def signage_page(site: str, group: str):
    return render_template("signage.html", site=site, group=group)


# The pages are plain Flask routes (not API operations): nest them without documenting them.
flask.Blueprint.register_blueprint(blp, pages)
