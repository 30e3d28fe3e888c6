"""Wayfinding through the API: routes, closures every process honours, maps loaded by IT."""

from __future__ import annotations

import gc
import io
import zipfile

import pytest

from tests.closures import close_skybridge_from_another_process
from tests.conftest import SHARED_DATA


def route(client, src: str, dst: str, profile: str = "walking"):
    return client.get(f"/api/v1/sites/demo/route?from={src}&to={dst}&profile={profile}")


def test_route_between_buildings_has_steps_in_both_languages(client):
    response = route(client, "A2-01", "B2-03")
    assert response.status_code == 200
    body = response.json
    assert "SKYBRIDGE-2F" in str(body["nodes"]) or "A2-SKY" in body["nodes"]
    assert body["seconds"] > 0 and body["distance_m"] > 0
    assert body["steps"][-1]["text_en"].startswith("Arrive at Ultrasound room 3")
    assert "超声室3" in body["steps"][-1]["text_zh"]
    assert {leg["building"] for leg in body["legs"]} == {"A", "B"}


def test_wheelchair_routes_never_use_stairs_and_take_longer_when_slow(client):
    walking = route(client, "A1-01", "A5-02").json
    wheelchair = route(client, "A1-01", "A5-02", "wheelchair").json
    slow = route(client, "A1-01", "A5-02", "slow").json
    assert all(step["kind"] not in ("stairs", "escalator") for step in wheelchair["steps"])
    assert any(step["kind"] == "elevator" for step in wheelchair["steps"])
    assert slow["seconds"] > walking["seconds"]


def test_unknown_room_names_the_field(client):
    response = route(client, "A1-01", "Z9-99")
    assert response.status_code == 404 and "to" in response.json["errors"]["json"]
    bad_profile = route(client, "A1-01", "A2-01", "running")
    assert bad_profile.status_code == 422 and "profile" in bad_profile.json["errors"]["query"]


def test_closing_the_skybridge_reroutes_at_once_and_reopening_restores(client, nurse, session):
    before = route(client, "A2-01", "B2-03").json
    closed = client.post(
        "/api/v1/sites/demo/closures", json={"target": "SKYBRIDGE-2F", "reason": "cleaning"}, headers=nurse
    )
    assert closed.status_code == 201
    detour = route(client, "A2-01", "B2-03").json
    assert "A2-SKY" not in detour["nodes"] or "B2-SKY" not in detour["nodes"]
    assert detour["seconds"] > before["seconds"]
    reopened = client.delete(f"/api/v1/sites/demo/closures/{closed.json['id']}", headers=nurse)
    assert reopened.status_code == 200
    assert route(client, "A2-01", "B2-03").json["seconds"] == before["seconds"]
    from navigation.models import AuditRecord

    actions = [a.action for a in session.query(AuditRecord).order_by(AuditRecord.id)]
    assert actions[-2:] == ["route.close", "route.reopen"]


def test_a_closure_written_by_another_process_is_honoured_by_the_next_route(client, app):
    """No message bus: each process compares the closures version stored with the site's map."""
    from api.extensions import db

    before = route(client, "A2-01", "B2-03").json
    close_skybridge_from_another_process(app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    after = route(client, "A2-01", "B2-03").json
    assert after["seconds"] > before["seconds"]


def test_wheelchair_route_says_why_when_the_only_elevator_closes(client, nurse):
    client.post("/api/v1/sites/demo/closures", json={"target": "B-E", "reason": "maintenance"}, headers=nurse)
    response = route(client, "A1-01", "B3-05", "wheelchair")
    assert response.status_code == 422
    assert "closed" in response.json["message"] and "Elevator B" in response.json["message"]
    assert route(client, "A1-01", "B3-05", "walking").status_code == 200


def test_closures_need_staff_and_a_real_target(client, nurse, reception):
    body = {"target": "SKYBRIDGE-2F", "reason": "x"}
    assert client.post("/api/v1/sites/demo/closures", json=body, headers=reception).status_code == 403
    unknown = client.post(
        "/api/v1/sites/demo/closures", json={"target": "NOPE", "reason": "x"}, headers=nurse
    )
    assert unknown.status_code == 422 and "target" in unknown.json["errors"]["json"]


def test_patients_next_step_comes_with_a_route_in_their_profile(client, check_in):
    journey = check_in("ECG", mobility="wheelchair")
    guide = journey["next_route"]
    assert guide["available"] and guide["origin"] == "ENTRANCE-A" and guide["destination"] == "A1-02"
    assert guide["profile"] == "wheelchair"


def test_route_drawing_is_an_svg_per_floor(client):
    response = client.get("/api/v1/sites/demo/route.svg?from=A1-01&to=B3-05&lang=zh")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.data.lstrip().startswith(b"<svg") and int(response.headers["X-Floor-Count"]) >= 2


def test_a_broken_map_is_refused_with_feature_ids_and_the_old_map_stays(client, admin):
    broken = {
        "format": "carepath-map",
        "version": 1,
        "site": {"code": "demo", "name_en": "x", "name_zh": "x"},
        "buildings": [
            {"code": "A", "name_en": "A", "name_zh": "A", "floors": [{"name": "1F", "ordinal": 1}]}
        ],
        "nodes": [{"id": "R1", "kind": "room", "building": "A", "floor": "1F", "x": 0, "y": 0}],
        "edges": [{"id": "E1", "kind": "corridor", "from": "R1", "to": "GHOST", "length_m": 3}],
    }
    response = client.put("/api/v1/sites/demo/map", json=broken, headers=admin)
    assert response.status_code == 422
    assert "GHOST" in str(response.json["errors"]) or "E1" in str(response.json["errors"])
    assert route(client, "A2-01", "B2-03").status_code == 200


@pytest.mark.skipif(not (SHARED_DATA / "imdf-polymap-campus").exists(), reason="shared IMDF data absent")
# werkzeug's test client spools a large request body to a temporary file it never closes;
# collect it inside this test so the warning is not blamed on a later one
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_admin_imports_a_real_imdf_campus_with_warnings(client, admin):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for path in (SHARED_DATA / "imdf-polymap-campus").glob("*.geojson"):
            zf.write(path, path.name)
    archive.seek(0)
    response = client.post(
        "/api/v1/sites/demo/map/imdf", headers=admin, data={"archive": (archive, "campus.zip")}
    )
    assert response.status_code == 200, response.json
    codes = {w["code"] for w in response.json["warnings"]}
    assert {"unit_without_openings", "buildings_joined_outdoors", "no_relationships"} <= codes
    # what was accepted loads again: the site routes on it
    campus_route = route(
        client, "65cfa8fa-2f16-4371-852b-61b1d5d4ef02", "d65cb00c-600e-45c0-bde7-511aac5c9529"
    )
    assert campus_route.status_code == 200, campus_route.json
    del response
    gc.collect()
