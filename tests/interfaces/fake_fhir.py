"""A small FHIR server on 127.0.0.1 for pull-mode tests: searches over the official examples."""

from __future__ import annotations

import threading

from flask import Flask, abort, jsonify, request
from werkzeug.serving import make_server


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
