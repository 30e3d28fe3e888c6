"""The exam catalog is data the admin loads; a bad catalog is refused whole with the paths at fault."""

from __future__ import annotations

import copy

import pytest

from navigation.catalog import CatalogError, parse_catalog
from navigation.catalog.loading import demo_catalog_document


def test_demo_catalog_covers_real_outpatient_exams_with_sources():
    document = demo_catalog_document()
    catalog = parse_catalog(document)
    assert len(catalog.exam_types) >= 20
    required = {
        "GLU",
        "LIPID",
        "US-ABD",
        "US-PELVIS",
        "XR-CHEST",
        "ECG",
        "ECHO",
        "CT-HEAD",
        "CT-ABD-C",
        "MRI-BRAIN",
        "NM-THY",
        "BA-UGI",
        "GASTRO",
        "COLONO",
        "PHARM",
        "FOLLOWUP",
    }
    assert required <= set(catalog.exam_types)
    for exam in catalog.exam_types.values():
        assert exam.sources and all(s in catalog.sources for s in exam.sources)
    assert catalog.exam("LIPID").fasting_hours == 12 and catalog.exam("GLU").fasting_hours == 8


def with_change(change) -> dict:
    document = copy.deepcopy(demo_catalog_document())
    change(document)
    return document


def exam(document: dict, code: str) -> dict:
    return next(e for e in document["exam_types"] if e["code"] == code)


def test_precedence_cycle_is_refused_with_the_cycle_named():
    def cycle(doc):
        exam(doc, "NM-THY").setdefault("after", []).append({"code": "CT-ABD-C"})

    with pytest.raises(CatalogError) as error:
        parse_catalog(with_change(cycle))
    message = error.value.errors["exam_types"][0]
    assert "cycle" in message and "NM-THY" in message and "CT-ABD-C" in message


def test_an_exam_listed_after_itself_is_refused_naming_the_rule():
    def itself(doc):
        exam(doc, "ECG").setdefault("after", []).append({"code": "ECG"})

    with pytest.raises(CatalogError) as error:
        parse_catalog(with_change(itself))
    assert [m for p, m in error.value.errors.items() if p.endswith(".after.0.code")] == [
        ["an exam cannot come after itself"]
    ]


def test_unknown_references_and_bad_fields_are_named_by_path():
    def broken(doc):
        exam(doc, "BA-UGI")["after"].append({"code": "NOPE"})
        exam(doc, "ECG")["duration_min"] = 0
        del exam(doc, "ECHO")["name_zh"]

    with pytest.raises(CatalogError) as error:
        parse_catalog(with_change(broken))
    paths = set(error.value.errors)
    assert any(p.endswith(".duration_min") for p in paths)
    assert any(p.endswith(".name_zh") for p in paths)


def test_regional_admin_loads_a_new_catalog_version_and_bad_one_changes_nothing(client, regional_admin):
    document = with_change(lambda d: d.update(version="2026.12"))
    exam(document, "ECG")["name_en"] = "Resting ECG"
    loaded = client.put("/api/v1/catalog", json=document, headers=regional_admin)
    assert loaded.status_code == 200 and loaded.json["version"] == "2026.12"
    names = {e["code"]: e["name_en"] for e in client.get("/api/v1/catalog/exams").json}
    assert names["ECG"] == "Resting ECG"

    bad = with_change(lambda d: d.update(version="2027.01"))
    exam(bad, "NM-THY")["after"] = [{"code": "CT-ABD-C"}]
    refused = client.put("/api/v1/catalog", json=bad, headers=regional_admin)
    assert refused.status_code == 422 and "exam_types" in refused.json["errors"]["json"]
    assert client.get("/api/v1/catalog").json["version"] == "2026.12"


def test_only_regional_admins_load_the_catalog_every_site_shares(client, reception, admin):
    for headers in (reception, admin):
        response = client.put("/api/v1/catalog", json=demo_catalog_document(), headers=headers)
        assert response.status_code == 403


def test_catalog_listing_has_codes_and_both_languages(client):
    exams = client.get("/api/v1/catalog/exams").json
    assert {"code", "name_en", "name_zh"} <= set(exams[0])
    assert any(e["code"] == "GASTRO" and e["name_zh"] == "胃镜检查" for e in exams)


def test_a_duration_for_a_room_type_the_exam_does_not_use_is_refused_by_path():
    def broken(doc):
        exam(doc, "CT-HEAD")["room_durations"] = {"mri": 40}

    with pytest.raises(CatalogError) as error:
        parse_catalog(with_change(broken))
    index = [e["code"] for e in demo_catalog_document()["exam_types"]].index("CT-HEAD")
    assert list(error.value.errors) == [f"exam_types.{index}.room_durations.mri"]
