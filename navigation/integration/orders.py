"""Orders as every interface delivers them: the visit, the patient and the doctor's orders in the
hospital's codes, plus what in the message was refused and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from navigation.models import Language

# FHIR ServiceRequest.priority and HL7 priority codes -> CarePath's journey priority (0-3)
PRIORITY = {"routine": 0, "urgent": 1, "asap": 2, "stat": 3, "R": 0, "A": 2, "S": 3}


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str = ""

    def __str__(self) -> str:
        return f"{self.system}|{self.code}"


@dataclass(frozen=True)
class IncomingOrder:
    """One order. `where` points into the message (a bundle entry, an ORC segment) for answers."""

    where: int
    codings: tuple[Coding, ...]
    placer: str | None = None
    cancelled: bool = False
    priority: int = 0
    group: str | None = None
    occurrence: datetime | None = None
    instruction: str | None = None
    department: str | None = None  # the ordering department, as the site's rooms name it


@dataclass(frozen=True)
class PatientFacts:
    mrn: str
    name: str
    language: Language = Language.ZH


@dataclass(frozen=True)
class Refusal:
    """A part of the message not taken in: where it is, which field, and why, for the sender."""

    where: int
    field: str
    message: str


@dataclass
class OrderMessage:
    visit_number: str
    patient: PatientFacts
    orders: list[IncomingOrder]
    message_id: str | None = None
    site_hint: str | None = None  # the sending facility, when the message names one
    refused: list[Refusal] = field(default_factory=list)
