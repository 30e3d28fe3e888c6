"""The API keeps its word: whole numbers are JSON integers, oversized uploads are refused before
they fill the memory, and the OpenAPI document shows what the endpoints really take."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.conftest import check_in_body


@pytest.mark.parametrize("priority", [1.5, "1"])
def test_a_priority_that_is_not_a_json_integer_is_refused(client, reception, priority):
    response = client.post(
        "/api/v1/journeys", json={**check_in_body("ECG"), "priority": priority}, headers=reception
    )
    assert response.status_code == 422
    assert "priority" in response.json["errors"]["json"]


def test_a_desk_number_sent_as_text_is_refused(client, nurse):
    response = client.post("/api/v1/queues/rooms/A1-01/call-next", json={"desk": "1"}, headers=nurse)
    assert response.status_code == 422
    assert "desk" in response.json["errors"]["json"]


def test_a_chunked_json_body_over_the_limit_gets_413(app, client, admin):
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    try:
        body = b'{"levels": [' + b'"x",' * 600_000 + b'"x"]}'  # 2.4 MB, no Content-Length
        response = client.put(
            "/api/v1/sites/demo/map",
            input_stream=io.BytesIO(body),
            headers={**admin, "Transfer-Encoding": "chunked", "Content-Type": "application/json"},
            environ_overrides={"wsgi.input_terminated": True},  # as gunicorn marks a chunked body
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413, response.json
    assert response.json["code"] == 413


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    archive.seek(0)
    return archive


def test_a_zip_that_inflates_past_the_cap_is_refused_unread(client, admin, monkeypatch):
    import pathfinding.imdf_archive

    monkeypatch.setattr(pathfinding.imdf_archive, "MAX_INFLATED_BYTES", 1024 * 1024)
    bomb = _zip({"unit.geojson": b'{"type": "FeatureCollection", "features": []' + b" " * 3_000_000 + b"}"})
    response = client.post(
        "/api/v1/sites/demo/map/imdf", headers=admin, data={"archive": (bomb, "campus.zip")}
    )
    assert response.status_code == 422
    assert "too_large" in response.json["errors"]["json"]


@pytest.mark.parametrize("features", [5, [1, 2, 3]])
def test_imdf_features_that_are_not_features_are_refused_naming_the_file(client, admin, features):
    archive = _zip(
        {
            f"{stem}.geojson": json.dumps({"features": features}).encode()
            for stem in ("level", "unit", "opening")
        }
    )
    response = client.post(
        "/api/v1/sites/demo/map/imdf", headers=admin, data={"archive": (archive, "campus.zip")}
    )
    assert response.status_code == 422, response.json
    assert "unreadable" in response.json["errors"]["json"]


def test_the_openapi_document_shows_the_document_bodies_and_the_if_match_format(client):
    spec = client.get("/api/openapi.json").json
    for path in ("/api/v1/catalog", "/api/v1/hospital"):
        body = spec["paths"][path]["put"]["requestBody"]
        assert body["required"] is True
        schema = body["content"]["application/json"]["schema"]
        name = schema["$ref"].rsplit("/", 1)[-1]
        assert spec["components"]["schemas"][name]["properties"]
    hospital = spec["components"]["schemas"]["HospitalDocument"]
    assert set(hospital["required"]) == {"site", "buildings", "rooms"}
    operations = [op for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)]
    if_match = [p for op in operations for p in op.get("parameters", []) if p.get("name") == "If-Match"]
    assert if_match and all(p["schema"].get("pattern") for p in if_match)


def test_room_arrival_without_a_token_is_401(client):
    response = client.post("/api/v1/queues/rooms/A1-01/arrivals", json={})
    assert response.status_code == 401
    assert response.json["code"] == 401
