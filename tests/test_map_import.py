"""`carepath map import`: what import accepts loads again and routes; the rest is refused with reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.cli import main
from tests.conftest import SHARED_DATA
from tests.pathfinding.test_imdf import tiny_archive, write

CAMPUS = SHARED_DATA / "imdf-polymap-campus"
DEMO_MAP = Path(__file__).resolve().parents[1] / "navigation" / "demo" / "map.json"
MAIN_ROOM = "65cfa8fa-2f16-4371-852b-61b1d5d4ef02"  # main academic building, floor 2
BUILDING_3_ROOM = "d65cb00c-600e-45c0-bde7-511aac5c9529"  # Classroom 404a, academic building 3

needs_campus = pytest.mark.skipif(not CAMPUS.is_dir(), reason="shared IMDF data absent")


@pytest.fixture(autouse=True)
def _forget_routers():
    """Each test restores the database, so a new site may get the id of one a router was
    cached for in an earlier test; start every test with no cached router."""
    from navigation import routing

    routing._routers.clear()
    yield
    routing._routers.clear()


def import_map(app, *args: str):
    return app.test_cli_runner().invoke(main, ["map", "import", *args])


@needs_campus
def test_imported_campus_loads_again_and_routes(app, client):
    result = import_map(app, str(CAMPUS), "--site", "campus")
    assert result.exit_code == 0, result.output
    response = client.get(f"/api/v1/sites/campus/route?from={MAIN_ROOM}&to={BUILDING_3_ROOM}")
    assert response.status_code == 200, response.json
    assert response.json["legs"][-1]["building"] == "29902a1f-8ef6-492e-a69f-a26e36cccd69"


def test_a_converted_map_that_would_not_load_again_is_refused_with_its_reasons(app, client, tmp_path):
    """IMDF allows any feature id; the stored format refuses ids with spaces. Import must refuse
    such an archive and say which id, not store a map that breaks the site's routes."""
    archive = tiny_archive()
    for feature in archive["unit"]["features"]:
        if feature["id"] == "room-1":
            feature["id"] = "room 1"
    result = import_map(app, str(write(tmp_path / "spaced", archive)), "--site", "spaced")
    assert result.exit_code != 0
    assert "room 1" in result.output
    response = client.get("/api/v1/sites/spaced/route?from=room-2&to=door-1")
    assert response.status_code == 404  # nothing stored, not even the new site


def _demo_map() -> dict:
    return json.loads(DEMO_MAP.read_text("utf-8"))


def test_every_error_is_listed_grouped_with_ids_and_a_count(app, tmp_path):
    """80 ids with a space: 80 errors, each naming its node, not one per error code."""
    document = _demo_map()
    spaced = [n["id"] for n in document["nodes"][:80]]
    for node in document["nodes"][:80]:
        node["id"] = node["id"].replace("-", " ")
    path = tmp_path / "spaced.json"
    path.write_text(json.dumps(document), "utf-8")
    result = import_map(app, str(path), "--site", "demo")
    assert result.exit_code != 0
    assert "schema (80)" in result.output
    assert all(node_id.replace("-", " ") in result.output for node_id in spaced)
    assert "80 error(s)" in result.output


def test_a_missing_floor_is_named_as_the_cause(app, tmp_path):
    document = _demo_map()
    building = next(b for b in document["buildings"] if b["code"] == "A")
    building["floors"] = [f for f in building["floors"] if f["name"] != "3F"]
    path = tmp_path / "no-3f.json"
    path.write_text(json.dumps(document), "utf-8")
    result = import_map(app, str(path), "--site", "demo")
    assert result.exit_code != 0
    assert "node A3-E1 is on unknown floor A/3F" in result.output  # the cause
    assert "elevator A-E1" in result.output  # and what it breaks


def test_http_upload_lists_every_error_grouped(client, admin):
    document = _demo_map()
    for node in document["nodes"][:30]:
        node["id"] = node["id"] + " x"
    document["edges"][0]["to"] = "GHOST"
    response = client.put("/api/v1/sites/demo/map", json=document, headers=admin)
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert len(errors["schema"]) == 30
    assert all(" x" in line for line in errors["schema"])
    assert "30 error(s)" in response.json["message"]


def test_an_upper_case_json_file_is_read_as_a_carepath_map(app, client, tmp_path):
    path = tmp_path / "HOSPITAL.JSON"
    path.write_text(DEMO_MAP.read_text("utf-8"), "utf-8")
    result = import_map(app, str(path), "--site", "upper")
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/sites/upper/route?from=A2-01&to=B2-03").status_code == 200


def test_check_says_what_would_change_and_stores_nothing(app, client, nurse, session, tmp_path):
    from navigation.models import Site, SiteMapRecord

    closed = client.post(
        "/api/v1/sites/demo/closures", json={"target": "SKYBRIDGE-2F", "reason": "works"}, headers=nurse
    )
    assert closed.status_code == 201
    document = _demo_map()
    document["edges"] = [
        e for e in document["edges"] if e["id"] != "SKYBRIDGE-2F" and "B2-05" not in (e["from"], e["to"])
    ]
    document["nodes"] = [n for n in document["nodes"] if n["id"] != "B2-05"]
    document["nodes"].append({"id": "A1-99", "kind": "room", "building": "A", "floor": "1F", "x": 1, "y": 20})
    document["edges"].append({"id": "A1-99~A1-C0", "kind": "door", "from": "A1-99", "to": "A1-C0"})
    path = tmp_path / "next.json"
    path.write_text(json.dumps(document), "utf-8")
    site = session.scalar(sa.select(Site).where(Site.code == "demo"))
    version = session.get(SiteMapRecord, site.id).version

    result = import_map(app, str(path), "--site", "demo", "--check")
    assert result.exit_code == 0, result.output
    assert "rooms added (1): A1-99" in result.output
    assert "rooms removed (1): B2-05" in result.output
    assert "connectors removed (1): SKYBRIDGE-2F" in result.output
    assert "closures that would point at nothing (1): SKYBRIDGE-2F" in result.output
    assert "hospital rooms with no door on this map (1): B2-05" in result.output
    assert "nothing was stored" in result.output
    session.expire_all()
    assert session.get(SiteMapRecord, site.id).version == version
    assert client.get("/api/v1/sites/demo/route?from=A1-01&to=B2-05").status_code == 200


def test_check_of_a_broken_map_lists_every_error_and_stores_nothing(app, client, tmp_path):
    document = _demo_map()
    document["edges"][0]["to"] = "GHOST"
    document["nodes"][1]["x"] = "east"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), "utf-8")
    result = import_map(app, str(path), "--site", "newsite", "--check")
    assert result.exit_code != 0
    assert "error schema (1)" in result.output and "/nodes/1/x" in result.output
    assert client.get("/api/v1/sites/newsite/route?from=A1-01&to=B2-05").status_code == 404
