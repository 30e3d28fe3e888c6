"""Order status goes back to the hospital over HL7, and nothing is lost while its receiver is down."""

from __future__ import annotations

import socket
import socketserver
import threading

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from api.cli import main
from navigation.integration.mllp import END, START, exchange, frames
from tests.interfaces.conftest import bundle, order


class Receiver(socketserver.ThreadingTCPServer):
    """The hospital's MLLP receiver: answers AA and keeps what it got."""

    daemon_threads = True

    def __init__(self):
        self.received: list = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                for raw in frames(lambda: self.request.recv(65536)):
                    message = parse_message(
                        raw.decode("utf-8"), find_groups=False, validation_level=VALIDATION_LEVEL.TOLERANT
                    )
                    outer.received.append(message)
                    control = message.msh.msh_10.to_er7()
                    ack = f"MSH|^~\\&|HIS|HOSP|CAREPATH|DEMO|20261125083000||ACK|A{control}|P|2.5\rMSA|AA|{control}"
                    self.request.sendall(START + ack.encode() + END)

        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def statuses(messages) -> dict[str, str]:
    orc = [next(s for s in m.children if s.name == "ORC") for m in messages]
    return {o.orc_2.to_er7().split("^")[0]: o.orc_5.to_er7() for o in orc}


def test_status_reports_wait_for_the_receiver_and_follow_the_steps(post_bundle, session, clock, receiver):
    from navigation.integration.hl7_status import report_round
    from navigation.models import JourneyOrder, Site, Task, TaskStatus
    from navigation.task_states import transition

    post_bundle(bundle(order("2345-7", "ORD-1"), order("36643-5", "ORD-2")))
    site = session.query(Site).filter_by(code="demo").one()
    down = closed_port()

    first = report_round(session, site, lambda text: exchange("127.0.0.1", down, text, 5), clock.now)
    assert (first.sent, first.failed) == (0, 2)
    assert {o.reported_status for o in session.query(JourneyOrder)} == {None}  # nothing lost: still to send

    send = lambda text: exchange("127.0.0.1", receiver.port, text, 5)  # noqa: E731
    second = report_round(session, site, send, clock.now)
    assert (second.sent, second.failed) == (2, 0)
    assert statuses(receiver.received) == {"ORD-1": "SC", "ORD-2": "SC"}
    sent = receiver.received[0]
    assert sent.msh.msh_9.to_er7() == "OMG^O19^OMG_O19" and sent.pv1.pv1_19.to_er7() == "V20261125-0001"
    assert next(s for s in sent.children if s.name == "OBR").obr_4.to_er7() == "2345-7^^LN"
    assert report_round(session, site, send, clock.now).sent == 0  # nothing new

    draw = session.query(Task).filter_by(key="draw:blood").one()
    for status in (TaskStatus.READY, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED):
        if draw.status != status:
            transition(draw, status, actor="test", now=clock.advance(minutes=5))
    receiver.received.clear()
    assert report_round(session, site, send, clock.now).sent == 1
    assert statuses(receiver.received) == {"ORD-1": "CM"}


def test_carepath_hl7_report_runs_a_round(app, post_bundle, receiver):
    post_bundle(bundle(order("2345-7", "ORD-1")))
    result = app.test_cli_runner().invoke(
        main, ["hl7", "report", "--site", "demo", "--to", f"127.0.0.1:{receiver.port}", "--once"]
    )
    assert result.exit_code == 0, result.output
    assert "1 order status(es) acknowledged, 0 to send again" in result.output
    assert statuses(receiver.received) == {"ORD-1": "SC"}
