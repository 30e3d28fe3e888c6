"""CarePath's FHIR CapabilityStatement: what `GET /fhir/r4/metadata` tells an integration engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from navigation.integration.fhir_journey import valid

TASK_SEARCH = {
    "group-identifier": ("token", "The journey: its id, or urn:carepath:journey|<id>"),
    "status": ("token", "Task status (requested, ready, in-progress, on-hold, completed, cancelled, failed)"),
    "code": ("token", "A catalog exam code (urn:carepath:exam|<code>)"),
    "_count": ("number", "At most this many tasks (default 100, at most 500)"),
}


def capability_statement(base_url: str, released: datetime) -> dict[str, Any]:
    return valid(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": released.isoformat(),
            "kind": "instance",
            "software": {"name": "CarePath"},
            "implementation": {"description": "CarePath patient navigation", "url": f"{base_url}/fhir/r4"},
            "fhirVersion": "4.0.1",
            "format": ["application/fhir+json", "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": "Orders in as a transaction Bundle; journeys out as Task, Location, Appointment.",
                    "security": {
                        "description": "Bearer token from POST /api/v1/auth/login (staff or interface account)"
                    },
                    "interaction": [{"code": "transaction"}],
                    "resource": [
                        {
                            "type": "Task",
                            "interaction": [{"code": "search-type"}],
                            "searchParam": [
                                {"name": name, "type": kind, "documentation": doc}
                                for name, (kind, doc) in TASK_SEARCH.items()
                            ],
                        },
                        {"type": "ServiceRequest", "documentation": "Taken in through transactions"},
                        {"type": "Location"},
                        {"type": "Appointment"},
                    ],
                }
            ],
        }
    )
