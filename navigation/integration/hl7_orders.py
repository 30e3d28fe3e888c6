"""HL7 v2 order and registration messages -> `OrderMessage`, and the ACK that answers them.

`hl7apy` parses the ER7 text (any version it knows, 2.1 to 2.8.2) and builds the ACK; the
fields CarePath needs are read here: MSH-10 the control id, MSH-6 the receiving facility (the
site), PID-3 the MRN (the repetition of type MR, else the first), PID-5 the name, PV1-19 the
visit number, ORC-1 the order control (NW new, CA/OC/DC cancel), ORC-2 the order number, ORC-4
the order group, OBR-4 the order code (`2345-7^Glucose^LN`), ORC-7.6/OBR-27.6 the priority,
ORC-17.1 the ordering department (the entering organization, as HIS order messages fill it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.exceptions import HL7apyException
from hl7apy.parser import parse_message

from navigation.integration.codes import canonical_system
from navigation.integration.orders import PRIORITY, Coding, IncomingOrder, OrderMessage, PatientFacts
from navigation.models import Language

ORDER_MESSAGES = {"ORM^O01", "OMG^O19"}
REGISTRATION = {"ADT^A04"}
NEW, CANCEL = {"NW", "XO", "SC"}, {"CA", "OC", "DC"}
ESCAPES = {"F": "|", "S": "^", "T": "&", "R": "~", "E": "\\"}
ERROR_CODES = {
    "required": "101^Required field missing^HL70357",
    "value": "103^Table value not found^HL70357",
    "type": "200^Unsupported message type^HL70357",
    "version": "203^Unsupported version id^HL70357",
    "key": "204^Unknown key identifier^HL70357",
    "application": "207^Application internal error^HL70357",
}


@dataclass(frozen=True)
class Hl7Error:
    """One ERR segment: where (segment^occurrence^field), which HL7 error, and words for people."""

    location: str
    kind: str
    text: str


@dataclass
class Hl7Message:
    control_id: str
    trigger: str  # MSH-9.1^MSH-9.2, e.g. ORM^O01
    version: str
    sender: tuple[str, str]  # MSH-3, MSH-4: where the ACK goes
    facility: str  # MSH-6: the receiving facility, matched against site codes
    orders: OrderMessage | None = None
    errors: list[Hl7Error] = field(default_factory=list)  # refusing the whole message


class Hl7Refused(ValueError):
    """Not a message CarePath can act on at all: answered AR."""

    def __init__(self, error: Hl7Error, control_id: str = "", version: str = "2.5"):
        super().__init__(error.text)
        self.error, self.control_id, self.version = error, control_id, version


def unescape(text: str) -> str:
    return re.sub(r"\\([FSTRE])\\", lambda m: ESCAPES[m.group(1)], text)


def safe_text(text: str) -> str:
    """Our own words in an ERR segment, with HL7's delimiters taken out."""
    return re.sub(r"[|^~&\\]", " ", text)[:200]


def _components(segment, position: int) -> list[str]:
    """The field's first repetition, split into unescaped components (empty list if absent)."""
    children = [c for c in segment.children if int(c.name.rsplit("_", 1)[1]) == position]
    if not children:
        return []
    return [unescape(part) for part in children[0].to_er7().split("^")]


def _repetitions(segment, position: int) -> list[list[str]]:
    return [
        [unescape(part) for part in c.to_er7().split("^")]
        for c in segment.children
        if int(c.name.rsplit("_", 1)[1]) == position
    ]


def _at(parts: list[str], n: int) -> str:
    return parts[n - 1].strip() if len(parts) >= n else ""


def read_message(text: str) -> Hl7Message:
    """Parse; raise Hl7Refused when it cannot be acted on; collect missing fields as errors."""
    try:
        message = parse_message(
            text.strip("\r\n"), find_groups=False, validation_level=VALIDATION_LEVEL.TOLERANT
        )
    except HL7apyException as exc:
        error = "version" if type(exc).__name__ == "UnsupportedVersion" else "application"
        raise Hl7Refused(Hl7Error("MSH^1", error, f"not an HL7 v2 message CarePath can read: {exc}")) from exc
    msh = message.msh
    control_id = _at(_components(msh, 10), 1)
    kind = _components(msh, 9)
    parsed = Hl7Message(
        control_id=control_id,
        trigger=f"{_at(kind, 1)}^{_at(kind, 2)}",
        version=message.version,
        sender=(_at(_components(msh, 3), 1), _at(_components(msh, 4), 1)),
        facility=_at(_components(msh, 6), 1),
    )
    if not control_id:
        raise Hl7Refused(
            Hl7Error("MSH^1^10", "required", "MSH-10 (message control id) is empty"), "", message.version
        )
    if parsed.trigger not in ORDER_MESSAGES | REGISTRATION:
        raise Hl7Refused(
            Hl7Error("MSH^1^9", "type", f"{parsed.trigger} is not taken; send ORM^O01, OMG^O19 or ADT^A04"),
            control_id,
            message.version,
        )
    segments = list(message.children)
    pid = next((s for s in segments if s.name == "PID"), None)
    pv1 = next((s for s in segments if s.name == "PV1"), None)
    mrn = _mrn(pid) if pid is not None else ""
    name = _name(pid) if pid is not None else ""
    visit = _at(_components(pv1, 19), 1) if pv1 is not None else ""
    for missing, location, what in (
        (not mrn, "PID^1^3", "PID-3 (the patient's MRN)"),
        (not name, "PID^1^5", "PID-5 (the patient's name)"),
        (not visit, "PV1^1^19", "PV1-19 (the visit number)"),
    ):
        if missing:
            parsed.errors.append(Hl7Error(location, "required", f"{what} is missing"))
    orders = _orders(segments, parsed) if parsed.trigger in ORDER_MESSAGES else []
    if not parsed.errors:
        parsed.orders = OrderMessage(
            visit_number=visit[:64],
            patient=PatientFacts(mrn=mrn[:64], name=name[:200], language=_language(pid)),
            orders=orders,
            message_id=control_id,
            site_hint=parsed.facility or None,
        )
    return parsed


def _mrn(pid) -> str:
    identifiers = _repetitions(pid, 3)
    chosen = next((i for i in identifiers if _at(i, 5) == "MR"), identifiers[0] if identifiers else [])
    return _at(chosen, 1)


def _name(pid) -> str:
    parts = _components(pid, 5)
    family, given = _at(parts, 1), _at(parts, 2)
    if any("\u4e00" <= ch <= "\u9fff" for ch in family):  # Chinese: family name first, no space
        return family + given
    return " ".join(p for p in (given, family) if p)


def _language(pid) -> Language:
    code = _at(_components(pid, 15), 1).lower() if pid is not None else ""
    return Language.EN if code.startswith("en") else Language.ZH


def _orders(segments: list, parsed: Hl7Message) -> list[IncomingOrder]:
    """ORC starts an order, the OBR after it says what; each order is checked on its own."""
    orders: list[IncomingOrder] = []
    orc = None
    obr_count = 0
    for segment in segments:
        if segment.name == "ORC":
            orc = segment
            continue
        if segment.name != "OBR":
            continue
        obr_count += 1
        order = _order(orc, segment, obr_count, parsed)
        if order is not None:
            orders.append(order)
        orc = None
    if obr_count == 0:
        parsed.errors.append(Hl7Error("OBR^1^4", "required", "the message has no order (ORC + OBR)"))
    return orders


def _order(orc, obr, n: int, parsed: Hl7Message) -> IncomingOrder | None:
    if orc is None:
        parsed.errors.append(Hl7Error(f"OBR^{n}", "required", f"OBR #{n} has no ORC before it"))
        return None
    control = _at(_components(orc, 1), 1)
    code = _components(obr, 4)
    if control not in NEW | CANCEL:
        parsed.errors.append(
            Hl7Error(f"ORC^{n}^1", "value", f"ORC-1 order control {control!r} is not NW or CA")
        )
        return None
    if not _at(code, 1) or not _at(code, 3):
        parsed.errors.append(
            Hl7Error(f"OBR^{n}^4", "required", f"OBR-4 of order #{n} needs code^text^system")
        )
        return None
    placer = _components(orc, 2) or _components(obr, 2)
    group = _components(orc, 4)
    priority = _at(_components(orc, 7), 6) or _at(_components(obr, 27), 6)
    return IncomingOrder(
        where=n,
        codings=(Coding(canonical_system(_at(code, 3)), _at(code, 1), _at(code, 2)),),
        placer=f"{_at(placer, 2)}|{_at(placer, 1)}" if _at(placer, 1) else None,
        cancelled=control in CANCEL,
        priority=PRIORITY.get(priority, 0),
        group=f"{_at(group, 2)}|{_at(group, 1)}" if _at(group, 1) else None,
        department=_at(_components(orc, 17), 1) or None,
    )


def ack(
    control_id: str,
    version: str,
    code: str,
    errors: list[Hl7Error],
    sender: tuple[str, str],
    facility: str,
    now: datetime,
    ack_id: str,
) -> str:
    """The ACK (MSA-1 AA, AE or AR) with one ERR segment per problem, in UTF-8-ready ER7."""
    reply = Message("ACK", version=version if version >= "2.3" else "2.5")
    reply.msh.msh_3 = "CAREPATH"
    if facility:
        reply.msh.msh_4 = safe_text(facility)
    if sender[0]:
        reply.msh.msh_5 = safe_text(sender[0])
    if sender[1]:
        reply.msh.msh_6 = safe_text(sender[1])
    reply.msh.msh_7 = now.strftime("%Y%m%d%H%M%S")
    reply.msh.msh_9 = "ACK"
    reply.msh.msh_10 = ack_id
    reply.msh.msh_11 = "P"
    reply.msh.msh_18 = "UNICODE UTF-8"
    reply.msa.msa_1 = code
    reply.msa.msa_2 = safe_text(control_id)
    if errors:
        reply.msa.msa_3 = safe_text(errors[0].text)  # the reason, in every version
    for error in errors:
        segment = reply.add_segment("ERR")
        if reply.version >= "2.5":
            segment.err_2 = error.location
            segment.err_3 = ERROR_CODES[error.kind]
            segment.err_4 = "E"
            segment.err_8 = safe_text(error.text)
        else:  # ERR-1: segment^sequence^field^code&text&table
            location = (error.location.split("^") + ["", "", ""])[:3]
            segment.err_1 = "^".join([*location, ERROR_CODES[error.kind].replace("^", "&")])
    return reply.to_er7()
