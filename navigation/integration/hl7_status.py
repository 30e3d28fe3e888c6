"""Order status back to the hospital's system over HL7 v2 (`carepath hl7 report`).

Each hospital order CarePath carries (one with an order number) has a status derived from its
steps: SC scheduled, IP in process, CM completed, CA cancelled (HL7 table 0038). What the
hospital has acknowledged is kept on the order (`reported_status`); a round sends an OMG^O19
with ORC-1 `SC` (status changed) for every order whose status moved on since, and marks it only
when the receiver answers AA. So nothing is lost while the receiver is down: the next round
sends what is still unacknowledged. The control id is the order and the status
(`CP<order>-<status>`), so a receiver sees a resend as the same message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.parser import parse_message
from sqlalchemy.orm import Session, selectinload

from navigation.integration.codes import LOINC
from navigation.models import Journey, JourneyOrder, OrderStatus, Site, Task, TaskStatus

FINAL = ("CM", "CA")
SYSTEM_NAMES = {LOINC: "LN"}
log = logging.getLogger(__name__)


def order_status(order: JourneyOrder, tasks: list[Task]) -> str:
    """HL7 table 0038 from the order's steps."""
    steps = [t for t in tasks if order.exam_code in t.exam_codes and t.status != TaskStatus.CANCELLED]
    if order.status == OrderStatus.CANCELLED or not steps:
        return "CA"
    if all(t.status == TaskStatus.COMPLETED for t in steps):
        return "CM"
    if any(t.status in (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD, TaskStatus.COMPLETED) for t in steps):
        return "IP"
    return "SC"


def status_message(site: Site, journey: Journey, order: JourneyOrder, status: str, now: datetime) -> str:
    message = Message("OMG_O19", version="2.5", validation_level=VALIDATION_LEVEL.TOLERANT)
    message.msh.msh_3, message.msh.msh_4 = "CAREPATH", site.code.upper()
    message.msh.msh_7 = now.strftime("%Y%m%d%H%M%S")
    message.msh.msh_9 = "OMG^O19^OMG_O19"
    message.msh.msh_10 = f"CP{order.id}-{status}"
    message.msh.msh_11, message.msh.msh_18 = "P", "UNICODE UTF-8"
    message.add_segment("PID").pid_3 = f"{_text(journey.patient.mrn)}^^^^MR"
    message.add_segment("PV1").pv1_19 = _text(journey.visit_number)
    orc = message.add_segment("ORC")
    namespace, _, number = (order.placer or "").partition("|")
    orc.orc_1, orc.orc_2, orc.orc_5 = "SC", f"{_text(number)}^{_text(namespace)}", status
    system, _, code = (order.source_code or "").partition("|")
    message.add_segment("OBR").obr_4 = f"{_text(code)}^^{_text(SYSTEM_NAMES.get(system, system))}"
    return str(message.to_er7())


def _text(value: str) -> str:
    return "".join(ch for ch in value if ch not in "|^~&\\")


@dataclass
class Round:
    sent: int = 0
    failed: int = 0


def report_round(session: Session, site: Site, send: Callable[[str], str], now: datetime) -> Round:
    """One round: send every order status not yet acknowledged, in the caller's transaction."""
    unfinished = sa.or_(JourneyOrder.reported_status.is_(None), JourneyOrder.reported_status.not_in(FINAL))
    orders = session.scalars(
        sa.select(JourneyOrder)
        .where(JourneyOrder.site_id == site.id, JourneyOrder.placer.is_not(None), unfinished)
        .order_by(JourneyOrder.id)
    ).all()
    journeys = {
        j.id: j
        for j in session.scalars(
            sa.select(Journey)
            .where(Journey.id.in_({o.journey_id for o in orders}))
            .options(selectinload(Journey.tasks), selectinload(Journey.patient))
        )
    }
    result = Round()
    for order in orders:
        journey = journeys[order.journey_id]
        status = order_status(order, journey.tasks)
        if status == order.reported_status:
            continue
        try:
            answer = parse_message(
                send(status_message(site, journey, order, status, now)).strip("\r\n"),
                find_groups=False,
                validation_level=VALIDATION_LEVEL.TOLERANT,
            )
            accepted = answer.msa.msa_1.to_er7() == "AA"
        except Exception as exc:  # the receiver is down or answered nonsense: the next round retries
            log.warning("order status for order %s not delivered: %s", order.id, type(exc).__name__)
            accepted = False
        if accepted:
            order.reported_status = status
            result.sent += 1
        else:
            result.failed += 1
    return result
