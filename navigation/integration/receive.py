"""Apply an `OrderMessage` to a site: create the visit's journey or update it, order by order.

An order whose code the site's table does not know, whose ordering department has no clinic
here, or that the hospital's rules refuse (no room performs it, it cannot share the day with
another), is reported and the rest taken in. A return visit goes to the ordering department. An
order already received (same placer number, or the same exam with no number) changes nothing,
so a message sent twice creates nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation import audit
from navigation.catalog.variants import site_catalog
from navigation.checkin import PatientDetails, check_in, refuse_orders_without_room, usable_rooms
from navigation.errors import DomainError
from navigation.integration.code_store import site_code_map
from navigation.integration.orders import IncomingOrder, OrderMessage, PatientFacts
from navigation.models import (
    Journey,
    JourneyOrder,
    Mobility,
    OrderStatus,
    Patient,
    Site,
    StaffUser,
    TaskStatus,
)
from navigation.order_changes import changeable, revise_orders
from navigation.steps import expand_orders

CREATED, UNCHANGED, CANCELLED, REFUSED = "created", "unchanged", "cancelled", "refused"


@dataclass(frozen=True)
class OrderOutcome:
    where: int
    status: str  # created | unchanged | cancelled | refused
    exam_code: str | None = None
    field: str | None = None
    message: str | None = None


@dataclass
class Receipt:
    journey: Journey | None
    created: bool = False
    outcomes: list[OrderOutcome] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(o.status in (CREATED, CANCELLED) for o in self.outcomes)


def receive_orders(
    session: Session, site: Site, message: OrderMessage, actor: StaffUser, now: datetime
) -> Receipt:
    """In the caller's transaction; nothing is committed."""
    outcomes = [OrderOutcome(r.where, REFUSED, field=r.field, message=r.message) for r in message.refused]
    mapped: list[tuple[IncomingOrder, str]] = []
    codes = site_code_map(session, site)
    departments = {r.department for r in usable_rooms(session, site.id) if r.department}
    today = now.astimezone(ZoneInfo(site.timezone)).date()
    for order in message.orders:
        exam = codes.exam_for(order.codings)
        day = order.occurrence.astimezone(ZoneInfo(site.timezone)).date() if order.occurrence else today
        if day != today and not order.cancelled:
            text = f"the order is for {day.isoformat()}, not today: it joins the journey of that day's visit"
            outcomes.append(OrderOutcome(order.where, REFUSED, exam, "occurrence", text))
        elif exam is None:
            known = ", ".join(str(c) for c in order.codings)
            text = f"no code mapping at site {site.code} for {known}; an admin adds it to the table"
            outcomes.append(OrderOutcome(order.where, REFUSED, field="code", message=text))
        elif order.department not in (None, *departments) and not order.cancelled:
            text = f"no department {order.department!r} among the rooms of site {site.code}"
            outcomes.append(OrderOutcome(order.where, REFUSED, exam, "department", text))
        else:
            mapped.append((order, exam))
    journey = session.scalar(
        sa.select(Journey).where(Journey.site_id == site.id, Journey.visit_number == message.visit_number)
    )
    if journey is not None and journey.patient.mrn != message.patient.mrn:
        raise DomainError(f"visit {message.visit_number} belongs to another patient", field="visit_number")
    if journey is None:
        receipt = _new_journey(session, site, message, mapped, actor, now)
    else:
        receipt = _update_journey(session, journey, mapped, actor, now)
    receipt.outcomes = sorted(outcomes + receipt.outcomes, key=lambda o: o.where)
    if receipt.journey is not None and receipt.changed:
        audit.record(
            session,
            actor,
            "journey.orders_received",
            "journey",
            receipt.journey.id,
            site_id=site.id,
            now=now,
            message_id=message.message_id,
            outcomes={o.exam_code or str(o.where): o.status for o in receipt.outcomes},
        )
    return receipt


def _new_journey(
    session: Session,
    site: Site,
    message: OrderMessage,
    mapped: list[tuple[IncomingOrder, str]],
    actor: StaffUser,
    now: datetime,
) -> Receipt:
    outcomes = [
        OrderOutcome(
            o.where, REFUSED, exam, "status", f"no journey for visit {message.visit_number} to cancel from"
        )
        for o, exam in mapped
        if o.cancelled
    ]
    wanted, repeats = _first_of_each([(o, exam) for o, exam in mapped if not o.cancelled])
    wanted, refusals = _feasible(session, site, [], wanted)
    outcomes += repeats + refusals
    if not wanted:
        return Receipt(None, outcomes=outcomes)
    patient = message.patient
    journey = check_in(
        session,
        site_code=site.code,
        visit_number=message.visit_number,
        patient=PatientDetails(
            mrn=patient.mrn, name=patient.name, language=patient.language, mobility=Mobility.WALKING
        ),
        order_codes=[exam for _, exam in wanted],
        actor=actor,
        now=now,
        priority=max(o.priority for o, _ in wanted),
        departments={exam: o.department for o, exam in wanted if o.department},
    )
    rows = {row.exam_code: row for row in journey.orders}
    for order, exam in wanted:
        _describe(rows[exam], order)
        outcomes.append(OrderOutcome(order.where, CREATED, exam))
    return Receipt(journey, created=True, outcomes=outcomes)


def _update_journey(
    session: Session,
    journey: Journey,
    mapped: list[tuple[IncomingOrder, str]],
    actor: StaffUser,
    now: datetime,
) -> Receipt:
    outcomes: list[OrderOutcome] = []
    additions: list[tuple[IncomingOrder, str]] = []
    for order, exam in mapped:
        row = _existing(journey, order, exam)
        if order.cancelled:
            outcomes.append(_cancel(journey, row, order, exam))
        elif row is not None and row.status == OrderStatus.ACTIVE:
            outcomes.append(OrderOutcome(order.where, UNCHANGED, exam))
        else:
            additions.append((order, exam))
    current = [o.exam_code for o in journey.orders if o.status == OrderStatus.ACTIVE]
    additions, repeats = _first_of_each(additions)
    additions, refusals = _feasible(session, journey.site, current, additions)
    outcomes += repeats + refusals
    for order, exam in additions:
        row = _existing(journey, order, exam) if order.placer else None  # a cancelled order ordered again
        if row is None:
            row = JourneyOrder(site_id=journey.site_id, exam_code=exam, received_at=now)
            journey.orders.append(row)
        row.exam_code, row.status, row.received_at = exam, OrderStatus.ACTIVE, now
        _describe(row, order)
        journey.priority = max(journey.priority, order.priority)
        outcomes.append(OrderOutcome(order.where, CREATED, exam))
    receipt = Receipt(journey, outcomes=outcomes)
    if receipt.changed:
        session.flush()
        revise_orders(session, journey, f"staff:{actor.id}", now)
    return receipt


def _existing(journey: Journey, order: IncomingOrder, exam: str) -> JourneyOrder | None:
    if order.placer is not None:
        return next((o for o in journey.orders if o.placer == order.placer), None)
    active = [o for o in journey.orders if o.exam_code == exam]
    return next((o for o in active if o.status == OrderStatus.ACTIVE), active[-1] if active else None)


def _cancel(journey: Journey, row: JourneyOrder | None, order: IncomingOrder, exam: str) -> OrderOutcome:
    if row is None:
        return OrderOutcome(order.where, REFUSED, exam, "identifier", "no such order on this visit to cancel")
    if row.status == OrderStatus.CANCELLED:
        return OrderOutcome(order.where, UNCHANGED, exam)
    started = [
        t
        for t in journey.tasks
        if exam in t.exam_codes and t.status != TaskStatus.CANCELLED and not changeable(t)
    ]
    if started:
        return OrderOutcome(
            order.where,
            REFUSED,
            exam,
            "status",
            f"step '{started[0].name_en}' has started; it cannot be cancelled",
        )
    row.status = OrderStatus.CANCELLED
    return OrderOutcome(order.where, CANCELLED, exam)


def _describe(row: JourneyOrder, order: IncomingOrder) -> None:
    row.placer = order.placer
    row.source_code = str(order.codings[0])[:300]
    row.requisition = order.group
    row.instruction = order.instruction[:1000] if order.instruction else None
    row.occurrence = order.occurrence
    row.department = order.department


def _first_of_each(
    orders: list[tuple[IncomingOrder, str]],
) -> tuple[list[tuple[IncomingOrder, str]], list[OrderOutcome]]:
    """An exam (or placer number) repeated within one message counts once; the repeats change nothing."""
    seen: set[str] = set()
    firsts, repeats = [], []
    for order, exam in orders:
        keys = {f"exam:{exam}", *([order.placer] if order.placer else [])}
        if keys & seen:
            repeats.append(OrderOutcome(order.where, UNCHANGED, exam))
        else:
            firsts.append((order, exam))
        seen |= keys
    return firsts, repeats


def _feasible(
    session: Session, site: Site, current: list[str], additions: list[tuple[IncomingOrder, str]]
) -> tuple[list[tuple[IncomingOrder, str]], list[OrderOutcome]]:
    """Drop, one at a time, the new orders the catalog's rules or the site's rooms refuse."""
    catalog = site_catalog(session, site)
    rooms = usable_rooms(session, site.id)
    refused: list[OrderOutcome] = []
    additions = list(additions)
    while additions:
        codes = list(dict.fromkeys([*current, *(exam for _, exam in additions)]))
        try:
            refuse_orders_without_room(expand_orders(catalog, codes), rooms, codes)
            break
        except DomainError as exc:
            culprit = _culprit(exc, codes, additions)
            if culprit is None:
                raise
            additions.remove(culprit)
            refused.append(OrderOutcome(culprit[0].where, REFUSED, culprit[1], "code", exc.message))
    return additions, refused


def _culprit(
    exc: DomainError, codes: list[str], additions: list[tuple[IncomingOrder, str]]
) -> tuple[IncomingOrder, str] | None:
    """The new order an error names (`orders.N.code`), or the last new one if it names an order
    already on the visit (the newcomer is what does not fit)."""
    parts = (exc.field or "").split(".")
    if len(parts) != 3 or parts[0] != "orders" or not parts[1].isdigit():
        return None
    code = codes[int(parts[1])]
    return next((a for a in additions if a[1] == code), additions[-1])


def register_patient(session: Session, site: Site, facts: PatientFacts) -> Patient:
    """A registration (HL7 ADT^A04): the patient's name and language on file before orders come."""
    patient = session.scalar(sa.select(Patient).where(Patient.site_id == site.id, Patient.mrn == facts.mrn))
    if patient is None:
        patient = Patient(site_id=site.id, mrn=facts.mrn, mobility=Mobility.WALKING)
        session.add(patient)
    patient.name, patient.language = facts.name, facts.language
    session.flush()
    return patient
