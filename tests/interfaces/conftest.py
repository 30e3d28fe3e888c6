"""Bundles and messages the way a hospital's integration engine sends them."""

from __future__ import annotations

import copy
import json
import uuid

import pytest

from tests.conftest import SHARED_DATA, T0

FHIR_JSON = "application/fhir+json"
EXAMPLES = SHARED_DATA / "fhir-r4-examples"
LOINC = "http://loinc.org"


def official(name: str) -> dict:
    """An official FHIR R4 example resource; the test is skipped where the shared data is absent."""
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return json.loads(path.read_text("utf-8"))


def patient(mrn: str = "MRN-7001", family: str = "李", given: str = "伟", language: str = "zh-CN") -> dict:
    return {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [
            {"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "INS-99"},
            {
                "type": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]
                },
                "system": "urn:hospital:mrn",
                "value": mrn,
            },
        ],
        "name": [{"use": "official", "family": family, "given": [given]}],
        "communication": [{"language": {"coding": [{"code": language}]}, "preferred": True}],
    }


def encounter(visit: str = "V20261125-0001") -> dict:
    return {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "arrived",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "identifier": [{"system": "urn:hospital:visit", "value": visit}],
        "subject": {"reference": "Patient/p1"},
    }


def order(code: str, placer: str, system: str = LOINC, **fields) -> dict:
    return {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": "urn:hospital:order", "value": placer}],
        "status": "active",
        "intent": "original-order",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": "Encounter/e1"},
        **fields,
    }


def for_our_patient(example: dict) -> dict:
    """An official ServiceRequest example, re-pointed at the bundle's patient and encounter, for
    today (the examples were ordered in 2013-2015)."""
    request = copy.deepcopy(example)
    request["subject"] = {"reference": "Patient/p1"}
    request["encounter"] = {"reference": "Encounter/e1"}
    if "occurrenceDateTime" in request:
        request["occurrenceDateTime"] = T0.isoformat()
    return request


def bundle(
    *orders: dict, visit: str = "V20261125-0001", bundle_id: str | None = None, **patient_fields
) -> dict:
    resources = [patient(**patient_fields), encounter(visit), *orders]
    document = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": r,
                "request": {"method": "POST", "url": r["resourceType"]},
            }
            for r in resources
        ],
    }
    if bundle_id:
        document["identifier"] = {"system": "urn:hospital:messages", "value": bundle_id}
    return document


@pytest.fixture
def post_bundle(client, reception):
    def _post(document: dict, headers: dict | None = None, expect: int = 200) -> dict:
        response = client.post(
            "/fhir/r4",
            data=json.dumps(document),
            headers={**reception, **(headers or {}), "Content-Type": FHIR_JSON},
        )
        assert response.status_code == expect, response.get_data(as_text=True)
        assert response.mimetype == FHIR_JSON
        return json.loads(response.get_data(as_text=True))

    return _post


@pytest.fixture
def listener(app):
    """The MLLP listener on a free port of 127.0.0.1, in this process."""
    from api.hl7_listener import Hl7Listener

    server = Hl7Listener(app, "127.0.0.1", 0)
    server.start()
    yield server
    server.stop()
