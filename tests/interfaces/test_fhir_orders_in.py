"""Orders arrive from the hospital's system as a FHIR R4 transaction and become the journey."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle

from tests.interfaces.conftest import bundle, for_our_patient, official, order


def journey_at(client, headers, location: str) -> dict:
    response = client.get(f"/{location}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def exams(journey: dict) -> dict[str, list[str]]:
    return {t["key"]: t["exam_codes"] for t in journey["tasks"] if t["status"] != "cancelled"}


def test_loinc_orders_create_the_journey_and_answer_a_transaction_response(client, reception, post_bundle):
    ft4 = for_our_patient(official("servicerequest-example-ft4.json"))  # LOINC 3024-7, a reflex order
    answer = post_bundle(
        bundle(
            order(
                "2345-7",
                "ORD-1",
                priority="urgent",
                patientInstruction="午夜后禁食 · Nothing to eat after midnight",
            ),
            order("2093-3", "ORD-2"),
            ft4,
            order("2160-0", "ORD-3"),
        )
    )
    Bundle.model_validate(answer)  # a valid FHIR Bundle
    assert answer["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses == ["200 OK", "201 Created", "201 Created", "201 Created", "201 Created", "201 Created"]
    location = answer["entry"][1]["response"]["location"]
    assert location.startswith("api/v1/journeys/")
    assert {e["response"].get("location") for e in answer["entry"][2:]} == {location}

    journey = journey_at(client, reception, location)
    assert journey["visit_number"] == "V20261125-0001"
    assert journey["patient"]["name"] == "李伟" and journey["patient"]["mrn"] == "MRN-7001"
    assert sorted(exams(journey)["draw:blood"]) == ["GLU", "LIPID", "RENAL", "TFT"]  # one blood draw
    assert journey["tasks"][0]["key"] == "payment"

    # read back as FHIR: the urgent order made an urgent journey; the doctor's instruction is on the step
    exported = client.get(f"/{location}/fhir", headers=reception).json
    tasks = {
        e["resource"]["id"]: e["resource"]
        for e in exported["entry"]
        if e["resource"]["resourceType"] == "Task"
    }
    assert tasks[f"journey-{journey['id']}"]["priority"] == "urgent"
    draw = next(t for t in journey["tasks"] if t["key"] == "draw:blood")
    step = tasks[f"task-{draw['id']}"]
    assert step["note"] == [{"text": "午夜后禁食 · Nothing to eat after midnight"}]
    assert {
        "type": "ServiceRequest",
        "identifier": {"system": "urn:hospital:order", "value": "ORD-1"},
    } in step["basedOn"]


def test_an_unknown_code_is_refused_alone_and_the_rest_imported(client, reception, post_bundle):
    lipid = for_our_patient(official("servicerequest-example-lipid.json"))  # coded in acme's own system
    answer = post_bundle(bundle(lipid, order("2345-7", "ORD-1")))
    refused, taken = answer["entry"][2]["response"], answer["entry"][3]["response"]
    assert refused["status"] == "422 Unprocessable Entity" and "location" not in refused
    issue = refused["outcome"]["issue"][0]
    assert issue["expression"] == ["ServiceRequest.code"]
    assert "http://acme.org/tests|LIPID" in issue["diagnostics"]
    assert taken["status"] == "201 Created"
    assert exams(journey_at(client, reception, taken["location"]))["draw:blood"] == ["GLU"]

    # the admin maps acme's code; the hospital resends and the lipid panel joins the same draw
    admin_rows = client.get("/api/v1/sites/demo/code-mappings", headers=reception).json
    rows = [*admin_rows, {"system": "http://acme.org/tests", "code": "LIPID", "exam_code": "LIPID"}]
    admin = client.post("/api/v1/auth/login", json={"username": "admin", "password": "demo"}).json
    put = client.put(
        "/api/v1/sites/demo/code-mappings",
        json=rows,
        headers={"Authorization": f"Bearer {admin['access_token']}"},
    )
    assert put.status_code == 200, put.json
    again = post_bundle(bundle(lipid, order("2345-7", "ORD-1")))
    assert [e["response"]["status"] for e in again["entry"][1:]] == ["200 OK", "201 Created", "200 OK"]
    assert sorted(exams(journey_at(client, reception, taken["location"]))["draw:blood"]) == ["GLU", "LIPID"]


def test_orders_that_are_not_active_orders_for_today_are_refused_with_the_reason(post_bundle):
    done = for_our_patient(official("servicerequest-example-colonoscopy.json"))  # status completed
    proposal = order("2345-7", "ORD-9", intent="proposal")
    tomorrow = order("11524-6", "ORD-8", occurrenceDateTime="2026-11-26T09:00:00+08:00")
    answer = post_bundle(bundle(done, proposal, order("2093-3", "ORD-1"), tomorrow))
    outcomes = [e["response"].get("outcome") for e in answer["entry"][2:]]
    assert outcomes[0]["issue"][0]["expression"] == ["ServiceRequest.status"]
    assert "completed" in outcomes[0]["issue"][0]["diagnostics"]
    assert outcomes[1]["issue"][0]["expression"] == ["ServiceRequest.intent"]
    assert outcomes[2] is None
    assert outcomes[3]["issue"][0]["expression"] == ["ServiceRequest.occurrence"]
    assert "is for 2026-11-26, not today" in outcomes[3]["issue"][0]["diagnostics"]


def test_the_same_bundle_twice_creates_nothing_twice(client, reception, post_bundle, session):
    from navigation.models import Journey, Task

    document = bundle(order("2345-7", "ORD-1"), order("24627-2", "ORD-2"), bundle_id="MSG-0001")
    first = post_bundle(document)
    tasks = session.query(Task).count()
    assert post_bundle(document) == first
    # the same orders in a new message: recognised by their order numbers
    resent = post_bundle(bundle(order("2345-7", "ORD-1"), order("24627-2", "ORD-2")))
    assert [e["response"]["status"] for e in resent["entry"][1:]] == ["200 OK"] * 3
    session.expire_all()
    assert session.query(Journey).count() == 1 and session.query(Task).count() == tasks


def test_a_later_bundle_adds_an_order_and_a_revoked_one_is_taken_off(client, reception, post_bundle):
    created = post_bundle(bundle(order("2345-7", "ORD-1"), order("36643-5", "ORD-2")))
    location = created["entry"][1]["response"]["location"]
    assert set(exams(journey_at(client, reception, location))) >= {"draw:blood", "exam:XR-CHEST"}

    added = post_bundle(bundle(order("11524-6", "ORD-3")))  # an ECG ordered later
    assert added["entry"][1]["response"] == {"status": "200 OK", "location": location}
    assert "exam:ECG" in exams(journey_at(client, reception, location))

    revoked = post_bundle(bundle(order("36643-5", "ORD-2", status="revoked")))
    assert revoked["entry"][2]["response"]["status"] == "200 OK"
    journey = journey_at(client, reception, location)
    xray = next(t for t in journey["tasks"] if t["key"] == "exam:XR-CHEST")
    assert xray["status"] == "cancelled" and xray["status_reason"] == "the order was cancelled"
    assert "exam:ECG" in exams(journey) and "draw:blood" in exams(journey)

    reordered = post_bundle(bundle(order("36643-5", "ORD-2")))  # the doctor orders the X-ray again
    assert reordered["entry"][2]["response"]["status"] == "201 Created"
    assert "exam:XR-CHEST-2" in exams(journey_at(client, reception, location))


def test_a_bundle_without_a_visit_number_is_refused_whole(post_bundle, client, reception):
    from tests.interfaces.conftest import encounter

    document = bundle(order("2345-7", "ORD-1"))
    document["entry"][1]["resource"] = {**official("encounter-example.json"), "id": "e1"}  # has no identifier
    outcome = post_bundle(document, expect=400)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[1].resource.identifier"]
    document["entry"][1]["resource"] = encounter()
    assert post_bundle(document)["entry"][1]["response"]["status"] == "201 Created"


def test_only_reception_admin_or_an_interface_account_may_post_orders(client, nurse):
    document = bundle(order("2345-7", "ORD-1"))
    assert client.post("/fhir/r4", json=document).status_code == 401
    assert client.post("/fhir/r4", json=document, headers=nurse).status_code == 403


def test_a_lab_order_after_the_blood_draw_gets_a_second_draw(client, reception, post_bundle, session, clock):
    from navigation.models import Task, TaskStatus
    from navigation.task_states import transition

    created = post_bundle(bundle(order("2345-7", "ORD-1"), order("36643-5", "ORD-2")))
    location = created["entry"][1]["response"]["location"]
    for key in ("payment", "draw:blood"):
        task = session.query(Task).filter_by(key=key).one()
        if task.status == TaskStatus.REQUESTED:
            transition(task, TaskStatus.READY, actor="test", now=clock.now)
        transition(task, TaskStatus.COMPLETED, actor="test", now=clock.now)
    session.commit()
    clock.advance(minutes=20)

    post_bundle(bundle(order("2160-0", "ORD-4")))  # a kidney test ordered after the draw
    journey = journey_at(client, reception, location)
    by_key = {t["key"]: t for t in journey["tasks"]}
    assert by_key["draw:blood"]["status"] == "completed" and by_key["draw:blood"]["exam_codes"] == ["GLU"]
    assert by_key["draw:blood-2"]["exam_codes"] == ["RENAL"] and by_key["draw:blood-2"]["status"] == "ready"
    assert "payment-2" not in by_key  # what was paid is not asked again

    # a cancellation of a step already done is refused with the reason
    late = post_bundle(bundle(order("2345-7", "ORD-1", status="revoked")))
    assert "has started" in late["entry"][2]["response"]["outcome"]["issue"][0]["diagnostics"]
