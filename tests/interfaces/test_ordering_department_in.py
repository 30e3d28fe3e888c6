"""Orders from the hospital's system carry their ordering department, as reception's do: the
return visit goes back to that department's clinic (FHIR requester or the Encounter's
serviceProvider, HL7 ORC-17)."""

from __future__ import annotations

import pytest

from tests.interfaces.conftest import bundle, for_our_patient, official, order
from tests.interfaces.test_hl7_mllp import errors, journey_of, msa, send

CHARGES = "urn:hospital:charge"


def organization(code: str) -> dict:
    """A logical reference to a department by its code, as HIS FHIR facades send it."""
    return {"type": "Organization", "identifier": {"system": "urn:hospital:department", "value": code}}


@pytest.fixture
def return_visits_mapped(client):
    """The site's table also maps the hospital's charge code for a return visit."""
    admin = client.post("/api/v1/auth/login", json={"username": "admin", "password": "demo"}).json
    headers = {"Authorization": f"Bearer {admin['access_token']}"}
    rows = client.get("/api/v1/sites/demo/code-mappings", headers=headers).json
    rows.append({"system": CHARGES, "code": "FU-1", "exam_code": "FOLLOWUP"})
    assert client.put("/api/v1/sites/demo/code-mappings", json=rows, headers=headers).status_code == 200


def visit_step(client, reception, location: str) -> dict:
    journey = client.get(f"/{location}", headers=reception).json
    return next(t for t in journey["tasks"] if t["key"] == "exam:FOLLOWUP")


def test_the_requesting_department_sends_the_return_visit_to_its_clinic(
    client, reception, post_bundle, return_visits_mapped
):
    ft4 = for_our_patient(official("servicerequest-example-ft4.json"))  # requester: a practitioner
    visit = order("FU-1", "ORD-2", system=CHARGES, requester=organization("endocrinology"))
    answer = post_bundle(bundle(ft4, visit))
    assert [e["response"]["status"] for e in answer["entry"][2:]] == ["201 Created", "201 Created"]
    step = visit_step(client, reception, answer["entry"][1]["response"]["location"])
    assert step["department"] == "endocrinology" and step["room"]["code"] == "A3-04"


def test_the_encounters_service_provider_names_the_department_and_an_unknown_one_is_refused(
    client, reception, post_bundle, return_visits_mapped
):
    document = bundle(order("11524-6", "ORD-1"), order("FU-1", "ORD-2", system=CHARGES))
    document["entry"][1]["resource"]["serviceProvider"] = organization("cardiology")
    answer = post_bundle(document)
    step = visit_step(client, reception, answer["entry"][1]["response"]["location"])
    assert step["department"] == "cardiology" and step["room"]["code"] == "A3-03"

    typo = order("2345-7", "ORD-3", requester=organization("cardiolgy"))
    refused = post_bundle(bundle(typo))["entry"][2]["response"]
    assert refused["status"] == "422 Unprocessable Entity"
    issue = refused["outcome"]["issue"][0]
    assert issue["expression"] == ["ServiceRequest.requester"] and "cardiolgy" in issue["diagnostics"]


def _orm(control: str, *orders: tuple[str, str, str]) -> str:
    """ORC-17 (entering organization) is the ordering department: `code^name`."""
    segments = [
        f"MSH|^~\\&|HIS|HOSP|CAREPATH|DEMO|20261125083000||ORM^O01|{control}|P|2.5|||AL|NE||UNICODE UTF-8",
        "PID|1||MRN-7001^^^HOSP^MR||李^伟||19700101|M",
        "PV1|1|O|||||||||||||||||V20261125-0101",
    ]
    for i, (number, code, department) in enumerate(orders, start=1):
        orc = ["NW", f"{number}^HIS", "", "GRP-1^HIS", *[""] * 12, department]
        segments += ["ORC|" + "|".join(orc), f"OBR|{i}|{number}^HIS||{code}"]
    return "\r".join(segments)


def test_orc_17_names_the_ordering_department_and_an_unknown_one_is_an_error(
    listener, session, return_visits_mapped
):
    [reply] = send(
        listener.port,
        _orm(
            "MSG-1",
            ("ORD-1", "11524-6^EKG study^LN", "cardiology^心内科"),
            ("ORD-2", f"FU-1^Return visit^{CHARGES}", "endocrinology^内分泌科"),
            ("ORD-3", "2345-7^Glucose^LN", "cardiolgy^心内科"),
        ),
    )
    assert msa(reply) == ("AE", "MSG-1")
    [(location, code, text)] = errors(reply)
    assert location == "ORC^3^17" and code == "103" and "cardiolgy" in text
    journey = journey_of(session)
    assert {o.exam_code: o.department for o in journey.orders} == {
        "ECG": "cardiology",
        "FOLLOWUP": "endocrinology",
    }
    visit = next(t for t in journey.tasks if t.key == "exam:FOLLOWUP")
    assert visit.department == "endocrinology" and visit.planned_room.code == "A3-04"
