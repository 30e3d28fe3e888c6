"""A small FHIR server on 127.0.0.1 for pull-mode tests: searches over the official examples."""

from __future__ import annotations

import copy
import threading

from flask import Flask, abort, jsonify, request
from werkzeug.serving import make_server

from tests.conftest import T0
from tests.interfaces.conftest import official


def searchset(resources: list[dict]) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }


class FakeFhirServer:
    """Serves Encounter?identifier=, Patient/<id> and ServiceRequest?encounter=&status= from a
    list of resources; with a token, anything else is 401. `requests` records what was asked."""

    def __init__(self, resources: list[dict], token: str | None = None):
        self.resources, self.token, self.requests = resources, token, []
        app = Flask("fake-fhir")

        @app.before_request
        def authorise():
            self.requests.append(request.full_path)
            if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
                abort(401)

        @app.get("/Encounter")
        def encounters():
            wanted = request.args.get("identifier", "")
            found = [
                r
                for r in self._of("Encounter")
                if any(i.get("value") == wanted.rpartition("|")[2] for i in r.get("identifier", []))
            ]
            return jsonify(searchset(found))

        @app.get("/Patient/<ident>")
        def patient(ident: str):
            found = [r for r in self._of("Patient") if r["id"] == ident]
            return jsonify(found[0]) if found else abort(404)

        @app.get("/ServiceRequest")
        def service_requests():
            encounter, status = request.args.get("encounter"), request.args.get("status")
            found = [
                r
                for r in self._of("ServiceRequest")
                if (r.get("encounter") or {}).get("reference") == encounter
                and (not status or r["status"] == status)
            ]
            return jsonify(searchset(found))

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _of(self, kind: str) -> list[dict]:
        return [r for r in self.resources if r["resourceType"] == kind]

    def __enter__(self) -> FakeFhirServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.thread.join()
        self.server.server_close()

    def __exit__(self, *exc: object) -> None:
        self.stop()


VISIT = "V20261125-0042"
TOKEN = "his-secret-token"


def the_hospitals_records() -> list[dict]:
    """The official examples as one hospital holds them: the encounter with its visit number,
    its patient, and the orders placed in it (re-pointed from the examples' other patients)."""
    encounter = copy.deepcopy(official("encounter-example.json"))
    encounter["identifier"] = [{"system": "urn:his:visit", "value": VISIT}]
    patient = {
        "resourceType": "Patient",
        "id": "example",
        "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "MRN-4242"}],
        "name": [{"family": "Chalmers", "given": ["Peter", "James"], "use": "official"}],
        "communication": [{"language": {"coding": [{"code": "en"}]}, "preferred": True}],
    }
    orders = []
    for name in ("lipid", "ft4", "di", "colonoscopy"):
        request = copy.deepcopy(official(f"servicerequest-example-{name}.json"))
        request["subject"], request["encounter"] = (
            {"reference": "Patient/example"},
            {"reference": "Encounter/example"},
        )
        if "occurrenceDateTime" in request:
            request["occurrenceDateTime"] = T0.isoformat()  # the examples were ordered years ago
        orders.append(request)
    return [encounter, patient, *orders]


def configure(client, admin, url: str, credential_env: str = "TEST_HIS_TOKEN") -> None:
    body = {"base_url": url, "auth": "bearer", "credential_env": credential_env, "timeout_seconds": 5}
    response = client.put("/api/v1/sites/demo/fhir-server", json=body, headers=admin)
    assert response.status_code == 200, response.json
