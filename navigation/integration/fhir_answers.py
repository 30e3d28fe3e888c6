"""What CarePath answers a FHIR client: the transaction-response Bundle and OperationOutcomes."""

from __future__ import annotations

from typing import Any

from navigation.integration.receive import CREATED, REFUSED, Receipt

STATUS_LINE = {CREATED: "201 Created", REFUSED: "422 Unprocessable Entity"}
# a refusal's field where the FHIR element has another name (the department: its requester)
FHIR_ELEMENTS = {"department": "requester"}


def operation_outcome(message: str, expression: str | None = None, code: str = "invalid") -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def journey_location(journey_id: int) -> str:
    return f"api/v1/journeys/{journey_id}"


def transaction_response(document: dict[str, Any], receipt: Receipt) -> dict[str, Any]:
    """One response entry per request entry, in the same order (as FHIR requires)."""
    outcomes = {o.where: o for o in receipt.outcomes}
    location = journey_location(receipt.journey.id) if receipt.journey is not None else None
    entries = []
    for i, entry in enumerate(document["entry"]):
        kind = (entry.get("resource") or {}).get("resourceType") if isinstance(entry, dict) else None
        outcome = outcomes.get(i)
        response: dict[str, Any] = {"status": "200 OK"}
        if outcome is not None:
            response["status"] = STATUS_LINE.get(outcome.status, "200 OK")
            if outcome.status == REFUSED:
                code = "not-supported" if outcome.field in ("code", "resourceType") else "business-rule"
                element = FHIR_ELEMENTS.get(outcome.field or "", outcome.field)
                response["outcome"] = operation_outcome(
                    outcome.message or "refused", f"{kind}.{element}", code
                )
            elif location:
                response["location"] = location
        elif kind == "Encounter":
            if location is None:
                response["status"] = "422 Unprocessable Entity"
                response["outcome"] = operation_outcome("no order could be taken in; no journey was created")
            else:
                response["status"] = "201 Created" if receipt.created else "200 OK"
                response["location"] = location
        entries.append({"response": response})
    kind = "batch-response" if document.get("type") == "batch" else "transaction-response"
    return {"resourceType": "Bundle", "type": kind, "entry": entries}
