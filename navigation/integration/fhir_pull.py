"""Pull mode: at check-in, ask the hospital's FHIR server for the visit's active orders.

Three FHIR searches (httpx, one short timeout, no retries: a receptionist is waiting):
the Encounter by its identifier (the visit number), its subject Patient, and the Encounter's
active ServiceRequests. They are put together as a collection Bundle, so the orders go through
the very same checks as a pushed bundle. Any failure is a `ServerUnavailable` with a sentence
for reception: the patient can still be checked in by hand.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

import httpx

FHIR_JSON = "application/fhir+json"


class ServerUnavailable(Exception):
    """The hospital's FHIR server did not give the visit's orders; `message` says why, for people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ServerSettings:
    base_url: str
    auth: str = "none"  # none | bearer | basic
    credential: str | None = None  # the token, or user:password
    timeout_seconds: float = 10.0

    def headers(self) -> dict[str, str]:
        headers = {"Accept": FHIR_JSON}
        if self.auth == "bearer" and self.credential:
            headers["Authorization"] = f"Bearer {self.credential}"
        elif self.auth == "basic" and self.credential:
            headers["Authorization"] = f"Basic {base64.b64encode(self.credential.encode()).decode()}"
        return headers


def settings_from(row: Any) -> ServerSettings:
    """A stored `FhirServer` row, its credential read from the environment variable it names."""
    credential = os.environ.get(row.credential_env) if row.credential_env else None
    return ServerSettings(row.base_url.rstrip("/"), row.auth, credential, row.timeout_seconds)


def visit_orders(
    settings: ServerSettings, visit_number: str, transport: httpx.BaseTransport | None = None
) -> dict:
    """The visit as a collection Bundle: its Patient, its Encounter and its active ServiceRequests."""
    with httpx.Client(
        base_url=settings.base_url,
        headers=settings.headers(),
        timeout=settings.timeout_seconds,
        transport=transport,
    ) as client:
        encounters = _resources(_get(client, "Encounter", {"identifier": visit_number}), "Encounter")
        if len(encounters) != 1:
            found = "no" if not encounters else f"{len(encounters)}"
            raise ServerUnavailable(
                f"the hospital's FHIR server has {found} encounter for visit {visit_number}"
            )
        encounter = encounters[0]
        subject = (encounter.get("subject") or {}).get("reference", "")
        if not subject.startswith("Patient/"):
            raise ServerUnavailable(f"the encounter of visit {visit_number} names no patient")
        patient = _get(client, subject, {})
        requests = _resources(
            _get(client, "ServiceRequest", {"encounter": f"Encounter/{encounter['id']}", "status": "active"}),
            "ServiceRequest",
        )
    resources = [patient, encounter, *requests]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{settings.base_url}/{r['resourceType']}/{r.get('id')}", "resource": r}
            for r in resources
        ],
    }


def _get(client: httpx.Client, path: str, params: dict[str, str]) -> dict:
    where = f"{client.base_url}"
    try:
        response = client.get(path, params=params)
    except httpx.TimeoutException as exc:
        raise ServerUnavailable(f"the hospital's FHIR server at {where} did not answer in time") from exc
    except httpx.HTTPError as exc:
        raise ServerUnavailable(f"the hospital's FHIR server at {where} cannot be reached") from exc
    if response.status_code in (401, 403):
        raise ServerUnavailable(f"the hospital's FHIR server at {where} refused CarePath's credentials")
    if response.status_code != 200:
        raise ServerUnavailable(f"the hospital's FHIR server at {where} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise ServerUnavailable(f"the hospital's FHIR server at {where} sent no JSON") from exc
    if not isinstance(body, dict):
        raise ServerUnavailable(f"the hospital's FHIR server at {where} sent no FHIR resource")
    return body


def _resources(searchset: dict, kind: str) -> list[dict]:
    return [
        e["resource"]
        for e in searchset.get("entry") or []
        if isinstance(e, dict)
        and isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") == kind
    ]
