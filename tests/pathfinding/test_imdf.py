"""IMDF import: the real campus archive, and broken archives refused with feature ids."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from pathfinding import EdgeKind, MapError, NodeKind, Router
from pathfinding.imdf import check_imdf, load_imdf
from pathfinding.svg import floor_svg

MAIN_BUILDING = "5f4874a1-38e7-43ad-b8b0-23e375d9208e"  # no elevators
BUILDING_3 = "29902a1f-8ef6-492e-a69f-a26e36cccd69"  # one elevator car, 5 floors
UNIT_WITHOUT_OPENINGS = "98a21c1d-c7c7-4a42-a878-e69bd88b52f6"


@pytest.fixture(scope="module")
def campus(campus_dir: Path) -> Any:
    return load_imdf(campus_dir)


def test_campus_imports_with_warnings_not_errors(campus: Any) -> None:
    site, report = campus
    assert report.errors == []
    assert set(site.buildings) == {MAIN_BUILDING, BUILDING_3}
    assert [f.ordinal for f in site.buildings[MAIN_BUILDING].floors] == [0, 1, 2]
    assert [f.ordinal for f in site.buildings[BUILDING_3].floors] == [1, 2, 3, 4, 5]
    assert report.find("unit_without_openings")[0].ids == (UNIT_WITHOUT_OPENINGS,)
    assert UNIT_WITHOUT_OPENINGS in report.find("unreachable_rooms")[0].ids
    assert report.find("unusual_opening_category")  # every opening is 'automobile'
    assert report.find("no_relationships")
    joined = report.find("buildings_joined_outdoors")[0]
    assert set(joined.ids) == {MAIN_BUILDING, BUILDING_3}
    no_step_free = {i.ids[0] for i in report.find("no_step_free_access")}
    assert MAIN_BUILDING in no_step_free


def test_campus_elevator_inferred_from_stacked_units(campus: Any) -> None:
    site, _ = campus
    assert len(site.elevators) == 1
    car = site.elevators[0]
    assert [site.nodes[s].ordinal for s in car.stops] == [1, 2, 3, 4, 5]
    assert {site.nodes[s].building for s in car.stops} == {BUILDING_3}
    assert any(e.kind is EdgeKind.STAIRS for e in site.edges)


def test_campus_routes_between_buildings_go_outdoors(campus: Any) -> None:
    site, _ = campus
    router = Router(site, index_profiles=("walking",))
    rooms = {b: [n for n in site.rooms() if site.nodes[n].building == b] for b in site.buildings}
    a = next(r for r in rooms[MAIN_BUILDING] if site.nodes[r].ordinal == 1)
    b = next(r for r in rooms[BUILDING_3] if site.nodes[r].ordinal == 4)
    route = router.route(a, b, "walking")
    assert "outdoor" in [s.kind for s in route.steps]
    assert route.legs[0].building == MAIN_BUILDING and route.legs[-1].building == BUILDING_3
    with pytest.raises(Exception) as err:
        router.route(a, b, "wheelchair")  # the main building has no elevator
    assert getattr(err.value, "code", None) == "no_step_free_access"
    svg = floor_svg(site, BUILDING_3, route.legs[-1].floor, route)
    assert "<polygon" in svg and 'class="route"' in svg


def test_campus_zip_imports_like_the_folder(campus_dir: Path, tmp_path: Path, campus: Any) -> None:
    archive = tmp_path / "campus.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in campus_dir.glob("*.geojson"):
            z.write(f, f"IMDF/{f.name}")
    site, report = load_imdf(archive)
    assert len(site.nodes) == len(campus[0].nodes)
    assert report.codes() == campus[1].codes()


# -- a tiny hand-made archive ------------------------------------------------------------


def _square(x: float, y: float, size: float = 1e-4) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def _fc(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _feature(fid: str, geometry: Any, **props: Any) -> dict[str, Any]:
    return {"id": fid, "type": "Feature", "geometry": geometry, "properties": props}


def tiny_archive() -> dict[str, dict[str, Any]]:
    """Two rooms joined by a corridor on one level, doors on their shared walls."""
    x, y, s = 30.0, 60.0, 1e-4
    return {
        "venue": _fc([_feature("venue-1", _square(x, y, 4 * s), name={"en": "Clinic"})]),
        "building": _fc([_feature("bldg-1", None, name={"en": "Clinic", "zh": "诊所"})]),
        "level": _fc(
            [
                _feature(
                    "lvl-1",
                    _square(x, y, 3 * s),
                    ordinal=0,
                    building_ids=["bldg-1"],
                    name={"en": "Ground"},
                    short_name={"en": "G"},
                ),
            ]
        ),
        "unit": _fc(
            [
                _feature(
                    "room-1",
                    _square(x, y, s),
                    category="room",
                    level_id="lvl-1",
                    name={"en": "Room 1", "zh": "一号室"},
                ),
                _feature("hall-1", _square(x + s, y, s), category="walkway", level_id="lvl-1"),
                _feature("room-2", _square(x + 2 * s, y, s), category="room", level_id="lvl-1"),
            ]
        ),
        "opening": _fc(
            [
                _feature(
                    "door-1",
                    {"type": "LineString", "coordinates": [[x + s, y + 0.3 * s], [x + s, y + 0.6 * s]]},
                    category="pedestrian",
                    level_id="lvl-1",
                ),
                _feature(
                    "door-2",
                    {
                        "type": "LineString",
                        "coordinates": [[x + 2 * s, y + 0.3 * s], [x + 2 * s, y + 0.6 * s]],
                    },
                    category="pedestrian",
                    level_id="lvl-1",
                ),
            ]
        ),
    }


def write(folder: Path, files: dict[str, dict[str, Any]]) -> Path:
    folder.mkdir(exist_ok=True)
    for stem, data in files.items():
        (folder / f"{stem}.geojson").write_text(json.dumps(data), "utf-8")
    return folder


def test_tiny_archive_routes(tmp_path: Path) -> None:
    site, report = load_imdf(write(tmp_path / "ok", tiny_archive()))
    assert report.errors == []
    assert site.nodes["room-1"].kind is NodeKind.ROOM and site.nodes["room-1"].name_zh == "一号室"
    route = Router(site).route("room-1", "room-2")
    assert route.nodes == ["room-1", "door-1", "door-2", "room-2"]
    assert 8 < route.distance_m < 15  # rooms ~5.6 m wide at this latitude


def test_broken_archive_refused_with_feature_ids(tmp_path: Path) -> None:
    files = tiny_archive()
    files["level"]["features"].append(_feature("lvl-no-ordinal", _square(30, 60), building_ids=["bldg-1"]))
    files["unit"]["features"].append(
        _feature("unit-nowhere", _square(30, 60), category="room", level_id="lvl-missing")
    )
    files["unit"]["features"].append(
        _feature(
            "unit-broken", {"type": "Polygon", "coordinates": [[[30, 60]]]}, category="room", level_id="lvl-1"
        )
    )
    files["opening"]["features"].append(
        _feature("door-pointless", {"type": "Point", "coordinates": [30, 60]}, level_id="lvl-1")
    )
    with pytest.raises(MapError) as err:
        load_imdf(write(tmp_path / "broken", files))
    by_code = {i.code: set() for i in err.value.errors}
    for issue in err.value.errors:
        by_code[issue.code] |= set(issue.ids)
    assert "lvl-no-ordinal" in by_code["level_without_ordinal"]
    assert "unit-nowhere" in by_code["dangling_reference"]
    assert {"unit-broken", "door-pointless"} <= by_code["malformed_geometry"]


def test_archive_with_nothing_walkable_refused(tmp_path: Path) -> None:
    files = tiny_archive()
    files["opening"]["features"] = []
    _, report = check_imdf(write(tmp_path / "closed", files))
    assert "nothing_walkable" in report.codes()
    del files["unit"]
    _, report = check_imdf(write(tmp_path / "empty", files))
    assert "nothing_walkable" in report.codes()


def _door(fid: str, a: tuple[float, float], b: tuple[float, float], level: str) -> dict[str, Any]:
    geometry = {"type": "LineString", "coordinates": [list(a), list(b)]}
    return _feature(fid, geometry, category="pedestrian", level_id=level)


def two_floor_archive() -> dict[str, dict[str, Any]]:
    """The tiny clinic plus an upper floor reached by an elevator whose shafts do not
    line up on the drawings (so only a relationship can tell they are one car)."""
    x, y, s = 30.0, 60.0, 1e-4
    files = tiny_archive()
    files["level"]["features"].append(
        _feature("lvl-2", _square(x, y, 3 * s), ordinal=1, building_ids=["bldg-1"], short_name={"en": "1"})
    )
    files["unit"]["features"] += [
        _feature("lift-0", _square(x + s, y + s, s), category="elevator", level_id="lvl-1"),
        _feature("hall-2", _square(x + s, y, s), category="walkway", level_id="lvl-2"),
        _feature("lift-1", _square(x + 2 * s, y, s), category="elevator", level_id="lvl-2"),
        _feature("room-3", _square(x, y, s), category="room", level_id="lvl-2"),
    ]
    files["opening"]["features"] += [
        _door("door-lift-0", (x + 1.3 * s, y + s), (x + 1.6 * s, y + s), "lvl-1"),
        _door("door-lift-1", (x + 2 * s, y + 0.3 * s), (x + 2 * s, y + 0.6 * s), "lvl-2"),
        _door("door-3", (x + s, y + 0.3 * s), (x + s, y + 0.6 * s), "lvl-2"),
    ]
    return files


def test_relationship_file_names_the_elevator_car(tmp_path: Path) -> None:
    files = two_floor_archive()
    _, report = check_imdf(write(tmp_path / "guess", files))
    assert report.find("elevator_one_floor") and "room-3" in report.find("unreachable_rooms")[0].ids
    files["relationship"] = _fc(
        [
            _feature(
                "rel-lift",
                None,
                category="elevator",
                direction="undirected",
                origin={"id": "lift-0", "feature_type": "unit"},
                destination={"id": "lift-1", "feature_type": "unit"},
            ),
        ]
    )
    site, report = load_imdf(write(tmp_path / "told", files))
    assert [car.stops for car in site.elevators] == [("lift-0", "lift-1")]
    assert not report.find("elevator_one_floor") and not report.find("unreachable_rooms")
    route = Router(site).route("room-1", "room-3", "wheelchair")
    assert "elevator" in [s.kind for s in route.steps]
    files["relationship"]["features"][0]["properties"]["destination"]["id"] = "lift-9"
    with pytest.raises(MapError) as err:
        load_imdf(write(tmp_path / "wrong", files))
    assert {"rel-lift", "lift-9"} <= set(err.value.errors[0].ids)


def test_campus_units_keep_their_category(campus: Any) -> None:
    """IMDF restrooms become restrooms (closed to through traffic), the coffee shops cafés."""
    site, _ = campus
    restrooms = [n for n in site.nodes.values() if n.category == "restroom"]
    assert len(restrooms) == 20 and all(n.closed_to_through_traffic for n in restrooms)
    assert sum(n.category == "cafe" for n in site.nodes.values()) == 2
