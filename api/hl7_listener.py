"""The MLLP listener: HL7 v2 order and registration messages in, ACKs out.

hl7apy's own `MLLPServer` answers one message and closes the connection, and closes it without
an answer when a handler fails; integration engines keep one connection open for many messages
and must always get an ACK or NAK. So the framing is ours (a threaded TCP server, one thread per
connection, any number of messages per connection); parsing and the ACK are hl7apy's. Each
message is handled in its own transaction inside the Flask app, as the system account `hl7`.
"""

from __future__ import annotations

import logging
import socketserver
import threading
import uuid

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from api.context import commit, now
from api.extensions import db
from navigation.errors import DomainError
from navigation.integration.hl7_orders import Hl7Error, Hl7Message, Hl7Refused, ack, read_message
from navigation.integration.mllp import END, START, frames
from navigation.integration.receive import REFUSED, receive_orders, register_patient
from navigation.integration.replays import earlier_answer, remember_answer
from navigation.models import Site
from navigation.staff import system_account

IDLE_SECONDS = 300
log = logging.getLogger(__name__)


def handle_message(app: Flask, raw: bytes, site_code: str | None) -> str:
    """One message in, its ACK out: AA taken in, AE taken in with errors (or missing fields),
    AR not acted on (unreadable, unsupported, unknown site, or CarePath failed: send again)."""
    with app.app_context():
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _reject(Hl7Refused(Hl7Error("MSH^1^18", "application", "the message is not UTF-8")))
        try:
            message = read_message(text)
        except Hl7Refused as refused:
            return _reject(refused)
        site = _site(site_code or message.facility)
        if site is None:
            error = Hl7Error(
                "MSH^1^6", "value", f"no site {message.facility!r}: MSH-6 names the receiving site"
            )
            return _reply(message, "AR", [error])
        for attempt in (1, 2):
            try:
                return _take_in(message, site)
            except IntegrityError:
                db.session.rollback()  # the same message at once on another connection: its rows are there now
                if attempt == 2:
                    return _reply(message, "AR", [Hl7Error("MSH^1^10", "application", "send again")])
            except Exception:
                db.session.rollback()
                log.exception("HL7 message %s could not be handled", message.control_id)  # no patient data
                return _reply(
                    message, "AR", [Hl7Error("MSH^1", "application", "CarePath failed; send again")]
                )
        raise AssertionError("unreachable")


def _take_in(message: Hl7Message, site: Site) -> str:
    earlier = earlier_answer(db.session, site, "hl7", message.control_id)
    if earlier is not None:
        return _reply(message, earlier["code"], [Hl7Error(*e) for e in earlier["errors"]])
    errors = list(message.errors)
    journey = None
    if message.orders is not None:
        try:
            if message.trigger == "ADT^A04":
                register_patient(db.session, site, message.orders.patient)
            else:
                actor = system_account(db.session, "hl7")
                receipt = receive_orders(db.session, site, message.orders, actor, now())
                journey = receipt.journey
                errors += [
                    Hl7Error(_location(o.where, o.field), "value", o.message or "")
                    for o in receipt.outcomes
                    if o.status == REFUSED
                ]
        except DomainError as exc:
            db.session.rollback()
            errors.append(
                Hl7Error("PV1^1^19" if exc.field == "visit_number" else "MSH^1", "application", exc.message)
            )
    code = "AE" if errors else "AA"
    answer = {"code": code, "errors": [[e.location, e.kind, e.text] for e in errors]}
    remember_answer(db.session, site, "hl7", message.control_id, journey, answer, now())
    commit()
    return _reply(message, code, errors)


ORC_FIELDS = {"status": 1, "department": 17}  # a refused order's other faults are its OBR-4 code


def _location(order: int, field: str | None) -> str:
    return f"ORC^{order}^{ORC_FIELDS[field]}" if field in ORC_FIELDS else f"OBR^{order}^4"


def _site(code: str | None) -> Site | None:
    if not code:
        return None
    return db.session.scalar(sa.select(Site).where(sa.func.lower(Site.code) == code.strip().lower()))


def _reply(message: Hl7Message, code: str, errors: list[Hl7Error]) -> str:
    return ack(
        message.control_id, message.version, code, errors, message.sender, message.facility, now(), _ack_id()
    )


def _reject(refused: Hl7Refused) -> str:
    return ack(refused.control_id, refused.version, "AR", [refused.error], ("", ""), "", now(), _ack_id())


def _ack_id() -> str:
    return uuid.uuid4().hex[:20]


class _Connection(socketserver.BaseRequestHandler):
    server: Hl7Listener

    def handle(self) -> None:
        self.request.settimeout(IDLE_SECONDS)
        try:
            for raw in frames(lambda: self.request.recv(65536)):
                reply = handle_message(self.server.app, raw, self.server.site_code)
                self.request.sendall(START + reply.encode("utf-8") + END)
        except (TimeoutError, ConnectionError, ValueError):
            pass  # the sender went away or sent no MLLP: nothing to answer


class Hl7Listener(socketserver.ThreadingTCPServer):
    """`carepath hl7 listen`: bound to 127.0.0.1 unless told otherwise."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 2575, site_code: str | None = None):
        super().__init__((host, port), _Connection)
        self.app, self.site_code = app, site_code
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> None:
        """Serve in a background thread (tests, or a process that does more)."""
        self.thread = threading.Thread(target=self.serve_forever, name="hl7-listener", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self.thread is not None:
            self.thread.join()
