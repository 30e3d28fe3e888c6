"""What the hospital's systems tell CarePath: code mappings, the orders behind each journey, and
the messages already handled (so a resent message changes nothing)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from navigation.models.base import Base, str_enum, utcnow


class CodeMapping(Base):
    """One hospital code (LOINC, a local charge code...) and the catalog exam it means, per site."""

    __tablename__ = "code_mapping"
    __table_args__ = (sa.UniqueConstraint("site_id", "system", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    system: Mapped[str] = mapped_column(sa.String(200))
    code: Mapped[str] = mapped_column(sa.String(64))
    exam_code: Mapped[str] = mapped_column(sa.String(32))
    display: Mapped[str] = mapped_column(sa.String(200), default="")


class OrderStatus(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class JourneyOrder(Base):
    """A doctor's order a journey carries out. `placer` is the hospital's order number
    (a FHIR identifier or HL7 ORC-2): the same order sent again is recognised by it."""

    __tablename__ = "journey_order"
    __table_args__ = (sa.UniqueConstraint("site_id", "placer"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journey.id", ondelete="CASCADE"), index=True)
    exam_code: Mapped[str] = mapped_column(sa.String(32))
    placer: Mapped[str | None] = mapped_column(sa.String(300))
    source_code: Mapped[str | None] = mapped_column(sa.String(300))  # system|code as the hospital sent it
    requisition: Mapped[str | None] = mapped_column(sa.String(300))  # the doctor's order group
    instruction: Mapped[str | None] = mapped_column(sa.String(1000))  # patientInstruction
    department: Mapped[str | None] = mapped_column(sa.String(32))  # the ordering department
    occurrence: Mapped[datetime | None]
    status: Mapped[OrderStatus] = mapped_column(
        str_enum(OrderStatus, "order_status"), default=OrderStatus.ACTIVE
    )
    reported_status: Mapped[str | None] = mapped_column(
        sa.String(2)
    )  # what the hospital last ACKed (HL7 0038)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundMessage(Base):
    """A message or bundle already handled, keyed by its sender's id (HL7 MSH-10, Bundle.identifier),
    with the answer given: a resend gets the same answer and changes nothing."""

    __tablename__ = "inbound_message"
    __table_args__ = (sa.UniqueConstraint("site_id", "protocol", "message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    protocol: Mapped[str] = mapped_column(sa.String(8))  # fhir | hl7
    message_id: Mapped[str] = mapped_column(sa.String(200))
    journey_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journey.id", ondelete="SET NULL"))
    answer: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class FhirServer(Base):
    """Where a site's orders can be fetched at check-in (pull mode). The credential itself stays
    out of the database: `credential_env` names the environment variable that holds it."""

    __tablename__ = "fhir_server"
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    base_url: Mapped[str] = mapped_column(sa.String(500))
    auth: Mapped[str] = mapped_column(sa.String(16), default="none")  # none | bearer | basic
    credential_env: Mapped[str | None] = mapped_column(sa.String(100))
    timeout_seconds: Mapped[float] = mapped_column(default=10.0)
