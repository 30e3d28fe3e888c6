"""Hostile or careless input gets a 4xx in the one error shape naming the field, never a 500,
and nothing is written."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_jwt_extended import create_access_token

from navigation.models import Journey, Site
from tests.conftest import check_in_body


def post_raw(client, url: str, text: str, headers: dict, method: str = "post"):
    return getattr(client, method)(
        url, data=text.encode("utf-8", "surrogatepass"), headers=headers, content_type="application/json"
    )


def journeys(session) -> int:
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(Journey))


@pytest.mark.parametrize(
    ("url", "method"),
    [
        ("/api/v1/journeys", "post"),
        ("/api/v1/hospital", "put"),
        ("/api/v1/sites/demo/map", "put"),
        ("/api/v1/auth/login", "post"),
    ],
)
def test_json_nested_a_thousand_deep_is_refused_on_every_json_endpoint(client, admin, url, method):
    deep = '{"a": ' * 1000 + "1" + "}" * 1000
    response = post_raw(client, url, deep, admin, method)
    assert response.status_code == 422, response.json
    assert "nested too deeply" in json.dumps(response.json["errors"]["json"])


def test_a_lone_surrogate_or_nul_byte_in_a_name_is_refused_naming_the_field(client, reception, session):
    before = journeys(session)
    body = json.dumps(check_in_body("ECG"), ensure_ascii=True)
    surrogate = post_raw(client, "/api/v1/journeys", body.replace("Li Wei", "Li \\ud800Wei"), reception)
    assert surrogate.status_code == 422
    assert surrogate.json["errors"]["json"] == {
        "patient.name": ["contains an unpaired surrogate (not valid text)"]
    }
    for field, value in (("patient.mrn", "MRN\\u0000"), ("visit_number", "V\\u00000001")):
        key = field.rsplit(".", 1)[-1]
        original = {"mrn": "MRN001", "visit_number": "V0001"}[key]
        nul = post_raw(client, "/api/v1/journeys", body.replace(f'"{original}"', f'"{value}"'), reception)
        assert nul.status_code == 422, nul.json
        assert nul.json["errors"]["json"] == {field: ["contains a NUL character"]}
    query = client.get("/api/v1/sites/demo/route", query_string={"from": "A1-01\x00", "to": "B3-05"})
    assert query.status_code == 422 and "from" in query.json["errors"]["query"]
    assert journeys(session) == before


@pytest.mark.parametrize("year", ["0001-01-01T00:30:00+08:00", "9999-12-31T23:00:00-08:00"])
def test_a_last_meal_near_year_1_or_9999_is_refused(check_in, year):
    refused = check_in("GLU", last_meal_at=year, expect=422)
    assert "patient" in refused["errors"]["json"]
    assert "last_meal_at" in refused["errors"]["json"]["patient"]


def test_a_result_on_file_dated_in_the_future_is_refused_not_used_to_drop_a_test(client, reception, clock):
    body = check_in_body("CT-ABD-C")
    tomorrow = (clock.now + timedelta(days=1)).isoformat()
    refused = client.post(
        "/api/v1/journeys", json={**body, "on_file": [{"code": "RENAL", "at": tomorrow}]}, headers=reception
    )
    assert refused.status_code == 422
    assert refused.json["errors"]["json"] == {"on_file": ["the RENAL result on file is dated in the future"]}
    yesterday = (clock.now - timedelta(days=1)).isoformat()
    spared = client.post(
        "/api/v1/journeys", json={**body, "on_file": [{"code": "RENAL", "at": yesterday}]}, headers=reception
    )
    assert spared.status_code == 201, spared.json
    assert not any("RENAL" in t["exam_codes"] for t in spared.json["tasks"])


def test_an_unknown_time_zone_in_the_hospital_document_is_refused(client, admin, session):
    from navigation.demo import hospital_document

    document = hospital_document()
    document["site"]["timezone"] = "Mars/Olympus"
    response = client.put("/api/v1/hospital", json=document, headers=admin)
    assert response.status_code == 422
    assert "site.timezone" in response.json["errors"]["json"]
    session.expire_all()
    assert session.scalar(sa.select(Site.timezone).where(Site.code == "demo")) == "Asia/Shanghai"


def test_a_json_array_as_the_map_body_is_refused(client, admin):
    response = client.put("/api/v1/sites/demo/map", json=[1, 2, 3], headers=admin)
    assert response.status_code == 422, response.json
    assert response.json["errors"]["json"]


def test_a_token_whose_subject_is_not_a_staff_id_is_401(app, client):
    for subject in ("admin", "1.5", "99999999999999999999"):
        with app.test_request_context():
            token = create_access_token(identity=subject, additional_claims={"role": "admin"})
        response = client.get("/api/v1/sites/demo/closures", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (subject, response.json)
        assert response.json["code"] == 401
