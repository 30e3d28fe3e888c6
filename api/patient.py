"""The patient's own journey: read it, finish self-service steps, say "I'm here"."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import BEARER, journey_reader
from api.context import commit, now
from api.schemas import JourneySchema, TaskOutSchema
from navigation.journeys import arrive, complete_self_service

blp = Blueprint(
    "patient",
    __name__,
    url_prefix="/api/v1/journeys",
    description="A patient's journey (access token or staff)",
)
JOURNEY_ID = "<int(max=2147483647):journey_id>"
TASK_ID = "<int(max=2147483647):task_id>"


@blp.route(f"/{JOURNEY_ID}")
class JourneyView(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, JourneySchema)
    def get(self, journey_id: int):
        """The journey and its task list; the patient sends their access token as a bearer token."""
        return journey_reader(journey_id)


@blp.route(f"/{JOURNEY_ID}/tasks/{TASK_ID}/complete")
class CompleteStep(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, TaskOutSchema)
    def post(self, journey_id: int, task_id: int):
        """Mark a self-service step done (paid, ate, drank the water, collected the report)."""
        journey = journey_reader(journey_id)
        task = complete_self_service(journey, task_id, now())
        commit()
        return task


@blp.route(f"/{JOURNEY_ID}/tasks/{TASK_ID}/arrive")
class Arrive(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, TaskOutSchema)
    def post(self, journey_id: int, task_id: int):
        """The patient says "I'm here" at the room for this step."""
        journey = journey_reader(journey_id)
        task = arrive(journey, task_id, now())
        commit()
        return task
