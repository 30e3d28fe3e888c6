"""Live updates over Server-Sent Events: a stream per journey (patient page) and per room
queue (nurses). EventSource cannot send headers, so the page first trades its bearer token
for a short-lived ticket that names one channel, then opens the stream with it."""

from __future__ import annotations

from flask import Response, current_app, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from marshmallow import Schema, fields

from api import access
from api.access import STAFF_ROLES, current_journey
from api.background import broker
from api.extensions import db
from navigation.errors import DomainError
from notifications import journey_channel, room_queue_channel

blp = Blueprint("live", __name__, url_prefix="/api/v1", description="Live updates (Server-Sent Events)")
TICKET_SECONDS = 300


class LiveTicketSchema(Schema):
    ticket = fields.String()
    stream_url = fields.String()
    expires_in = fields.Integer(metadata={"description": "seconds to open the stream"})


class StreamQuerySchema(Schema):
    ticket = fields.String(required=True)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="carepath-live")


def live_ticket(channel: str) -> dict:
    ticket = _serializer().dumps({"channel": channel})
    return {"ticket": ticket, "stream_url": f"/api/v1/live?ticket={ticket}", "expires_in": TICKET_SECONDS}


@blp.route("/journeys/<int(max=2147483647):journey_id>/live-ticket")
class JourneyTicket(MethodView):
    @access.patient_or_staff(*STAFF_ROLES, audit_read="journey.live.read")
    @blp.response(200, LiveTicketSchema)
    def post(self, journey_id: int):
        """A ticket to open this journey's live stream (the patient's page, or staff)."""
        return live_ticket(journey_channel(current_journey().id))


@blp.route("/rooms/<int(max=2147483647):room_id>/live-ticket")
class RoomTicket(MethodView):
    @access.staff(*STAFF_ROLES)
    @blp.response(200, LiveTicketSchema)
    def post(self, room_id: int):
        """A ticket to open a room queue's live stream (nurses' screens)."""
        return live_ticket(room_queue_channel(str(room_id)))


@blp.route("/live")
class LiveStream(MethodView):
    @access.public("the ticket in the query is the credential (EventSource sends no headers)")
    @blp.arguments(StreamQuerySchema, location="query", as_kwargs=True)
    @blp.doc(responses={"200": {"description": "An event stream", "content": {"text/event-stream": {}}}})
    def get(self, ticket: str):
        """The stream a ticket opens: one `data:` line per change, a comment every ~15 s."""
        try:
            channel = _serializer().loads(ticket, max_age=TICKET_SECONDS)["channel"]
        except SignatureExpired as exc:
            raise DomainError("this ticket has expired; ask for a new one", field="ticket") from exc
        except BadSignature as exc:
            raise DomainError("this ticket is not valid", field="ticket") from exc
        db.session.remove()  # hold no database connection for the life of the stream
        subscription = broker().subscribe(channel)

        def frames():
            with subscription:
                yield "retry: 5000\n: connected\n\n"  # reconnect after 5 s if the stream drops
                yield from subscription

        return Response(
            stream_with_context(frames()),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
