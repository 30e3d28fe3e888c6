"""FHIR R4 for the hospital's systems: orders in as a transaction Bundle, the capability statement.

Answers are FHIR resources (`application/fhir+json`); a request refused as a whole gets an
OperationOutcome whose `expression` names the faulty element, as FHIR clients expect.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import IntegrityError

from api import access
from api.context import commit, now
from api.extensions import db
from api.request_guard import STORABLE_TEXT
from api.schemas import JourneySchema
from navigation import audit
from navigation.errors import DomainError
from navigation.integration.capability import capability_statement
from navigation.integration.fhir_answers import operation_outcome, transaction_response
from navigation.integration.fhir_journey import bundle, journey_resources, step_task
from navigation.integration.fhir_orders import BundleRefused, read_bundle
from navigation.integration.fhir_pull import ServerUnavailable, settings_from, visit_orders
from navigation.integration.receive import receive_orders
from navigation.integration.replays import earlier_answer, remember_answer
from navigation.integration.task_search import TaskQuery, find_tasks
from navigation.models import FhirServer, Role, Site

blp = Blueprint("fhir", __name__, url_prefix="/fhir/r4", description="FHIR R4: orders in, journeys out")
journeys_blp = Blueprint("fhir_journeys", __name__, url_prefix="/api/v1", description="A journey as FHIR")
FHIR_JSON = "application/fhir+json"
RELEASED = datetime(2026, 11, 30, tzinfo=UTC)  # when this capability statement last changed


def fhir_response(resource: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(resource, ensure_ascii=False), status=status, mimetype=FHIR_JSON)


@blp.route("")
class Transaction(MethodView):
    @blp.doc(
        requestBody={"content": {FHIR_JSON: {"schema": {"type": "object"}}}},
        responses={"200": {"description": "transaction-response Bundle", "content": {FHIR_JSON: {}}}},
    )
    @access.staff(Role.RECEPTION, Role.ADMIN, Role.INTERFACE)
    def post(self):
        """Orders in: a transaction Bundle with a Patient (MRN = identifier of type MR), an Encounter
        (identifier = visit number) and ServiceRequests. Creates or updates the visit's journey."""
        document = request.get_json(silent=True)
        try:
            message = read_bundle(document)
        except BundleRefused as exc:
            return fhir_response(operation_outcome(exc.message, exc.where, "structure"), 400)
        site = _site()
        for attempt in (1, 2):
            try:
                return fhir_response(_take_in(site, document, message))
            except IntegrityError:
                # the same bundle (or visit) arrived twice at once: the other's rows are there now
                db.session.rollback()
                if attempt == 2:
                    raise
            except DomainError as exc:
                db.session.rollback()
                where = f"Bundle.{exc.field}" if exc.field else None
                return fhir_response(operation_outcome(exc.message, where, "business-rule"), exc.status)
        raise AssertionError("unreachable")


def _take_in(site: Site, document: dict, message) -> dict:
    answer = earlier_answer(db.session, site, "fhir", message.message_id)
    if answer is not None:
        return answer
    receipt = receive_orders(db.session, site, message, g.staff, now())
    answer = transaction_response(document, receipt)
    remember_answer(db.session, site, "fhir", message.message_id, receipt.journey, answer, now())
    commit()
    return answer


def _site() -> Site:
    """The signed-in account's site."""
    return g.scope.site()


def _base_url() -> str:
    return (current_app.config["PUBLIC_BASE_URL"] or request.host_url).rstrip("/")


@blp.route("/metadata")
class Metadata(MethodView):
    @access.public("the FHIR capability statement: what this server does, no patient data")
    @blp.doc(responses={"200": {"description": "CapabilityStatement", "content": {FHIR_JSON: {}}}})
    def get(self):
        """What this FHIR endpoint does (FHIR 4.0.1): transactions in, Task search out."""
        return fhir_response(capability_statement(_base_url(), RELEASED))


@blp.route("/Task")
class TaskSearch(MethodView):
    @blp.doc(
        parameters=[
            {
                "in": "query",
                "name": name,
                "required": False,
                "schema": {"type": "string", "pattern": STORABLE_TEXT},
            }
            for name in ("group-identifier", "status", "code", "_count")
        ],
        responses={"200": {"description": "searchset Bundle of Tasks", "content": {FHIR_JSON: {}}}},
    )
    @access.staff(Role.RECEPTION, Role.NURSE, Role.ADMIN)
    def get(self):
        """Steps of journeys at the caller's site as FHIR Tasks (the read is audit-logged)."""
        scope = g.scope
        try:
            query = TaskQuery.from_params(request.args, site_id=scope.home_id)
        except DomainError as exc:
            return fhir_response(operation_outcome(exc.message, exc.field, "invalid"), 400)
        tasks = find_tasks(db.session, query)
        audit.record(
            db.session,
            g.staff,
            "fhir.task.search",
            "site",
            scope.home_id or "*",
            site_id=scope.home_id,
            now=now(),
            found=len(tasks),
            journeys=sorted({t.journey_id for t in tasks}),
        )
        commit()
        return fhir_response(bundle([step_task(t) for t in tasks], f"{_base_url()}/fhir/r4", "searchset"))


@journeys_blp.route("/journeys/<int(max=2147483647):journey_id>/fhir")
class JourneyAsFhir(MethodView):
    @journeys_blp.doc(
        responses={"200": {"description": "collection Bundle", "content": {FHIR_JSON: {}}}},
    )
    @access.staff(Role.RECEPTION, Role.NURSE, Role.ADMIN, audit_read="journey.fhir.read")
    def get(self, journey_id: int):
        """The journey as a FHIR R4 collection Bundle: Patient, a parent Task and one per step,
        Appointments for planned slots, Locations of the rooms (the read is audit-logged)."""
        journey = access.current_journey()
        return fhir_response(bundle(journey_resources(journey), f"{_base_url()}/fhir/r4"))


class PullSchema(Schema):
    visit_number = fields.String(required=True, validate=validate.Length(min=1, max=64))


class OrderOutcomeSchema(Schema):
    status = fields.String(metadata={"enum": ["created", "unchanged", "cancelled", "refused"]})
    exam_code = fields.String(allow_none=True)
    field = fields.String(allow_none=True)
    message = fields.String(allow_none=True)


class PulledSchema(Schema):
    journey = fields.Nested(JourneySchema, allow_none=True)
    orders = fields.List(fields.Nested(OrderOutcomeSchema))


class HospitalUnavailable(DomainError):
    status = 503


@journeys_blp.route("/journeys/from-hospital")
class PullFromHospital(MethodView):
    @access.staff(Role.RECEPTION, Role.ADMIN)
    @journeys_blp.arguments(PullSchema)
    @journeys_blp.response(201, PulledSchema)
    def post(self, body: dict):
        """Check in by visit number alone: the orders come from the hospital's FHIR server (the
        site's configured one). 503 with the reason when it does not answer: check in by hand."""
        site = _site()
        server = db.session.get(FhirServer, site.id)
        if server is None:
            raise DomainError(
                f"no FHIR server is configured for site {site.code}; check the patient in by hand"
            )
        try:
            document = visit_orders(settings_from(server), body["visit_number"])
            message = read_bundle(document)
        except ServerUnavailable as exc:
            raise HospitalUnavailable(f"{exc.message}; check the patient in by hand") from exc
        except BundleRefused as exc:
            raise HospitalUnavailable(
                f"the hospital's answer cannot be used ({exc.message}); check in by hand"
            ) from exc
        receipt = receive_orders(db.session, site, message, g.staff, now())
        commit()
        orders = [
            o for o in receipt.outcomes if o.where >= 2
        ]  # entries 0 and 1 are the Patient and Encounter
        return {"journey": receipt.journey, "orders": orders}, 201 if receipt.created else 200
