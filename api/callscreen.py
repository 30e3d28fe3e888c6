"""The consulting room's call screen (public, like signage: ticket numbers only) with its door
scanner, and the doctor's workstation page that shows the patient whose QR was just scanned."""

from __future__ import annotations

import re

import flask
from flask import g, render_template
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import access
from api.access import patient_journey
from api.context import commit, now
from api.extensions import db, limiter
from api.live import LiveTicketSchema, live_ticket
from navigation.aftercommit import defer
from navigation.errors import DomainError, NotFound
from navigation.models import Role
from navigation.queues.callscreen import call_screen, door_scan, room_at
from notifications import room_queue_channel

blp = Blueprint("callscreen", __name__, description="Consulting-room call screens and door scanners")
pages = flask.Blueprint("callscreen_pages", __name__, template_folder="templates")
SCREEN = "/api/v1/call-screens/<string(maxlength=32):site>/<string(maxlength=32):room_code>"
LINK_TOKEN = re.compile(r"pt_\d{1,18}_[A-Za-z0-9_-]{43}")


class CalledSchema(Schema):
    ticket = fields.String()
    desk = fields.Integer()
    called_at = fields.DateTime(allow_none=True)
    recalls = fields.Integer(metadata={"description": "A recall is announced again"})


class CallScreenSchema(Schema):
    room = fields.String()
    calling = fields.List(fields.Nested(CalledSchema), metadata={"description": "Newest call first"})
    next = fields.List(fields.Nested(Schema.from_dict({"ticket": fields.String()})()))
    paused = fields.Boolean()
    at = fields.DateTime()


class ScanSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=400),
        metadata={
            "description": "What the door's scanner read from the patient's QR code (their page's link)"
        },
    )


class ScanOutSchema(Schema):
    ticket = fields.String()
    status = fields.String()
    desk = fields.Integer(allow_none=True)


def door_channel(room_id: int) -> str:
    """Door scans of a room, for its workstation only (the public screen never hears them)."""
    return room_queue_channel(f"door-{room_id}")


@blp.route(SCREEN)
class CallScreen(MethodView):
    @access.public("a screen in the corridor: ticket numbers and desks only")
    @blp.response(200, CallScreenSchema)
    def get(self, site: str, room_code: str):
        """Who is called to which desk (newest first) and the next three in line."""
        return call_screen(db.session, room_at(db.session, site, room_code), now())


@blp.route(f"{SCREEN}/live-ticket")
class CallScreenTicket(MethodView):
    @access.public("the room's queue stream carries only 'the line changed'")
    @blp.response(200, LiveTicketSchema)
    def post(self, site: str, room_code: str):
        """A ticket for the room's live stream, so the screen updates the moment a call is made."""
        return live_ticket(room_queue_channel(str(room_at(db.session, site, room_code).id)))


@blp.route(f"{SCREEN}/scans")
class DoorScan(MethodView):
    decorators = [limiter.limit("120/minute")]

    @access.public("the scanned link is the patient's own credential, as on their phone")
    @blp.arguments(ScanSchema)
    @blp.response(200, ScanOutSchema)
    def post(self, body: dict, site: str, room_code: str):
        """The patient's QR scanned at the door: "I'm here" (their call is seen; not yet in this
        room's line, they join it) and the room's workstation shows their record."""
        token = LINK_TOKEN.search(body["code"])
        if token is None:
            raise DomainError("this is not a CarePath patient code", field="code")
        journey = patient_journey(token.group(0))
        room = room_at(db.session, site, room_code)
        if journey.site_id != room.site_id:
            raise NotFound("this patient's visit is at another hospital", field="code")
        entry = door_scan(db.session, journey, room, now())
        defer(
            db.session,
            "live",
            (door_channel(room.id), {"type": "door_scan", "journey_id": journey.id, "ticket": entry.ticket}),
        )
        commit()
        return {"ticket": entry.ticket, "status": entry.status.value, "desk": entry.desk}


@blp.route("/api/v1/workstations/<string(maxlength=32):room_code>/live-ticket")
class WorkstationTicket(MethodView):
    @access.staff(Role.NURSE, Role.ADMIN)
    @blp.response(200, LiveTicketSchema)
    def post(self, room_code: str):
        """The room's door scans, for the doctor's workstation page (staff of the room's site)."""
        room = room_at(db.session, g.scope.site().code, room_code)
        return live_ticket(door_channel(room.id))


@pages.get("/call/<string(maxlength=32):site>/<string(maxlength=32):room_code>")
def call_screen_page(site: str, room_code: str):
    return render_template("callscreen.html", site=site, room=room_code)


@pages.get("/workstation/<string(maxlength=32):room_code>")
def workstation_page(room_code: str):
    return render_template("workstation.html", room=room_code)


# The pages are plain Flask routes (not API operations): nest them without documenting them.
flask.Blueprint.register_blueprint(blp, pages)
