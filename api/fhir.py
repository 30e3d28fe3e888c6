"""FHIR R4 for the hospital's systems: orders in as a transaction Bundle, the capability statement.

Answers are FHIR resources (`application/fhir+json`); a request refused as a whole gets an
OperationOutcome whose `expression` names the faulty element, as FHIR clients expect.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from api import access
from api.auth import BEARER
from api.context import commit, now
from api.extensions import db
from navigation.errors import DomainError
from navigation.integration.fhir_answers import operation_outcome, transaction_response
from navigation.integration.fhir_orders import BundleRefused, read_bundle
from navigation.integration.receive import receive_orders
from navigation.integration.replays import earlier_answer, remember_answer
from navigation.models import Role, Site

blp = Blueprint("fhir", __name__, url_prefix="/fhir/r4", description="FHIR R4: orders in, journeys out")
FHIR_JSON = "application/fhir+json"


def fhir_response(resource: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(resource, ensure_ascii=False), status=status, mimetype=FHIR_JSON)


@blp.route("")
class Transaction(MethodView):
    @blp.doc(
        security=BEARER,
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
