"""`carepath map import`: what import accepts loads again and routes; the rest is refused with reasons."""

from __future__ import annotations

import pytest

from api.cli import main
from tests.conftest import SHARED_DATA
from tests.pathfinding.test_imdf import tiny_archive, write

CAMPUS = SHARED_DATA / "imdf-polymap-campus"
MAIN_ROOM = "65cfa8fa-2f16-4371-852b-61b1d5d4ef02"  # main academic building, floor 2
BUILDING_3_ROOM = "d65cb00c-600e-45c0-bde7-511aac5c9529"  # Classroom 404a, academic building 3

needs_campus = pytest.mark.skipif(not CAMPUS.is_dir(), reason="shared IMDF data absent")


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
