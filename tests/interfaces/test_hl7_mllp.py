"""HL7 v2 over real MLLP on 127.0.0.1: order messages create or update journeys and are ACKed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.parser import parse_message

from navigation.integration.mllp import END, START, frames

REPO = Path(__file__).resolve().parents[2]


def send(port: int, *messages: str | bytes) -> list:
    """Each message framed on one connection; the ACKs parsed by hl7apy."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        incoming = frames(lambda: conn.recv(65536))
        for message in messages:
            raw = message if isinstance(message, bytes) else message.encode("utf-8")
            conn.sendall(START + raw + END)
            text = next(incoming).decode("utf-8")
            replies.append(parse_message(text, find_groups=False, validation_level=VALIDATION_LEVEL.TOLERANT))
    return replies


def orm(
    control: str,
    *orders: tuple[str, str, str],
    visit: str = "V20261125-0101",
    name: str = "李^伟",
    facility: str = "DEMO",
    trigger: str = "ORM^O01",
    version: str = "2.5",
) -> str:
    """A message written by hand, segment by segment, as an integration engine sends it."""
    segments = [
        f"MSH|^~\\&|HIS|HOSP|CAREPATH|{facility}|20261125083000||{trigger}|{control}|P|{version}|||AL|NE||UNICODE UTF-8",
        f"PID|1||INS-1^^^INS^SS~MRN-7001^^^HOSP^MR||{name}||19700101|M",
        f"PV1|1|O|||||||||||||||||{visit}",
    ]
    for i, (control_code, number, code) in enumerate(orders, start=1):
        segments += [f"ORC|{control_code}|{number}^HIS||GRP-1^HIS", f"OBR|{i}|{number}^HIS||{code}"]
    return "\r".join(segments)


def msa(reply) -> tuple[str, str]:
    return reply.msa.msa_1.to_er7(), reply.msa.msa_2.to_er7()


def errors(reply) -> list[tuple[str, str, str]]:
    return [
        (e.err_2.to_er7(), e.err_3.to_er7().split("^")[0], e.err_8.to_er7())
        for e in reply.children
        if e.name == "ERR"
    ]


def journey_of(session, visit: str = "V20261125-0101"):
    from navigation.models import Journey

    session.expire_all()
    return session.query(Journey).filter_by(visit_number=visit).one_or_none()


def live(journey) -> dict[str, list[str]]:
    return {t.key: list(t.exam_codes) for t in journey.tasks if t.status.value != "cancelled"}


def test_an_order_message_creates_the_journey_and_is_acked(listener, session):
    [reply] = send(
        listener.port,
        orm("MSG-1", ("NW", "ORD-1", "2345-7^Glucose^LN"), ("NW", "ORD-2", "2093-3^Cholesterol^LN")),
    )
    assert msa(reply) == ("AA", "MSG-1")
    assert reply.msh.msh_9.to_er7() == "ACK" and reply.msh.msh_5.to_er7() == "HIS"
    journey = journey_of(session)
    assert (
        journey.patient.name == "李伟" and journey.patient.mrn == "MRN-7001"
    )  # UTF-8 Chinese, the MR repetition
    assert sorted(live(journey)["draw:blood"]) == ["GLU", "LIPID"]
    assert {o.placer for o in journey.orders} == {"HIS|ORD-1", "HIS|ORD-2"}


def test_a_library_built_omg_adds_an_order_to_the_visit_on_the_same_connection(listener, session):
    built = Message("OMG_O19", version="2.5", validation_level=VALIDATION_LEVEL.TOLERANT)
    built.msh.msh_3, built.msh.msh_6, built.msh.msh_10 = "HIS", "demo", "LIB-1"
    built.msh.msh_9, built.msh.msh_18 = "OMG^O19^OMG_O19", "UNICODE UTF-8"
    built.add_segment("PID").pid_3 = "MRN-7001^^^HOSP^MR"
    built.pid.pid_5 = "李^伟"
    built.add_segment("PV1").pv1_19 = "V20261125-0101"
    orc = built.add_segment("ORC")
    orc.orc_1, orc.orc_2 = "NW", "ORD-3^HIS"
    built.add_segment("OBR").obr_4 = "11524-6^EKG study^LN"
    first, second = send(listener.port, orm("MSG-1", ("NW", "ORD-1", "2345-7^Glucose^LN")), built.to_er7())
    assert msa(first) == ("AA", "MSG-1") and msa(second) == ("AA", "LIB-1")
    assert set(live(journey_of(session))) >= {"draw:blood", "exam:ECG"}


def test_the_same_message_twice_is_acked_again_and_changes_nothing(listener, session):
    from navigation.models import Task

    message = orm("MSG-1", ("NW", "ORD-1", "2345-7^Glucose^LN"))
    [first] = send(listener.port, message)
    count = session.query(Task).count()
    [again] = send(listener.port, message)
    assert msa(first) == msa(again) == ("AA", "MSG-1")
    session.expire_all()
    assert session.query(Task).count() == count


def test_a_cancellation_takes_the_step_off_and_replans(listener, session):
    send(
        listener.port,
        orm("MSG-1", ("NW", "ORD-1", "2345-7^Glucose^LN"), ("NW", "ORD-2", "36643-5^XR Chest^LN")),
    )
    assert "exam:XR-CHEST" in live(journey_of(session))
    [reply] = send(listener.port, orm("MSG-2", ("CA", "ORD-2", "36643-5^XR Chest^LN")))
    assert msa(reply) == ("AA", "MSG-2")
    journey = journey_of(session)
    xray = next(t for t in journey.tasks if t.key == "exam:XR-CHEST")
    assert xray.status.value == "cancelled" and xray.status_reason == "the order was cancelled"
    assert "draw:blood" in live(journey)


def test_a_missing_visit_number_is_a_nak_with_the_reason_and_writes_nothing(listener, session):
    [reply] = send(listener.port, orm("MSG-7", ("NW", "ORD-1", "2345-7^Glucose^LN"), visit=""))
    assert msa(reply) == ("AE", "MSG-7")
    assert errors(reply) == [("PV1^1^19", "101", "PV1-19 (the visit number) is missing")]
    assert reply.msa.msa_3.to_er7() == "PV1-19 (the visit number) is missing"
    from navigation.models import Journey

    assert session.query(Journey).count() == 0


def test_an_unknown_code_is_reported_and_the_rest_taken_in(listener, session):
    [reply] = send(
        listener.port,
        orm("MSG-3", ("NW", "ORD-1", "2345-7^Glucose^LN"), ("NW", "ORD-2", "99999-9^Mystery^LN")),
    )
    assert msa(reply)[0] == "AE"
    [(where, code, text)] = errors(reply)
    assert (where, code) == ("OBR^2^4", "103") and "99999-9" in text
    assert live(journey_of(session))["draw:blood"] == ["GLU"]


def test_registration_then_orders_with_escapes(listener, session):
    from navigation.models import Patient

    adt = orm("ADT-1", name="Smith\\T\\Jones^Mary", trigger="ADT^A04")
    adt = "\r".join(s for s in adt.split("\r") if s[:3] in ("MSH", "PID", "PV1"))
    [registered] = send(listener.port, adt)
    assert msa(registered) == ("AA", "ADT-1")
    assert session.query(Patient).filter_by(mrn="MRN-7001").one().name == "Mary Smith&Jones"


def test_messages_that_cannot_be_acted_on_are_rejected(listener):
    unsupported, garbage, elsewhere = send(
        listener.port,
        orm("MSG-8", ("NW", "ORD-1", "2345-7^Glucose^LN"), trigger="ORU^R01"),
        b"hello, not HL7",
        orm("MSG-9", ("NW", "ORD-1", "2345-7^Glucose^LN"), facility="ELSEWHERE"),
    )
    assert msa(unsupported) == ("AR", "MSG-8") and errors(unsupported)[0][1] == "200"
    assert msa(garbage)[0] == "AR"
    assert msa(elsewhere) == ("AR", "MSG-9") and errors(elsewhere)[0][0] == "MSH^1^6"


def test_an_hl7_2_3_sender_gets_err_1(listener):
    [reply] = send(listener.port, orm("OLD-1", ("NW", "ORD-1", "2345-7^Glucose^LN"), visit="", version="2.3"))
    assert msa(reply) == ("AE", "OLD-1")
    err = next(s for s in reply.children if s.name == "ERR")
    assert err.err_1.to_er7().startswith("PV1^1^19^101&Required field missing")


def test_carepath_hl7_listen_runs_as_its_own_process(database_url, app):
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from api.cli import main; main()",
            "hl7",
            "listen",
            "--port",
            "0",
            "--site",
            "demo",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
    )
    try:
        line = process.stdout.readline()
        assert "Listening for HL7 v2 over MLLP on 127.0.0.1:" in line, line
        port = int(line.rsplit(":", 1)[1].split()[0])
        adt = "\r".join(
            s
            for s in orm("ADT-9", trigger="ADT^A04", facility="").split("\r")
            if s[:3] != "ORC" and s[:3] != "OBR"
        )
        [reply] = send(port, adt)
        assert msa(reply) == ("AA", "ADT-9")
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
