"""A FHIR R4 Bundle of orders (Patient, Encounter, ServiceRequests) -> an `OrderMessage`.

`fhir.resources` checks the structure; it accepts any value in a code field, so status, intent
and codes are checked here. The ordering department is the identifier of an Organization
reference: the ServiceRequest's `requester`, else the Encounter's `serviceProvider`. A bad ServiceRequest is refused alone (its entry says why); without
a usable Patient or Encounter there is no journey, and the whole bundle is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from navigation.integration.orders import PRIORITY, Coding, IncomingOrder, OrderMessage, PatientFacts, Refusal
from navigation.models import Language

BUNDLE_TYPES = {"transaction", "batch", "collection"}
ORDER_INTENTS = {"order", "original-order", "reflex-order", "filler-order", "instance-order"}
CANCELLED_STATUSES = {"revoked", "entered-in-error"}
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"


class BundleRefused(ValueError):
    """The bundle as a whole cannot be taken in; `where` is a FHIRPath to the fault."""

    def __init__(self, message: str, where: str = "Bundle"):
        super().__init__(message)
        self.message = message
        self.where = where


def read_bundle(document: Any) -> OrderMessage:
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise BundleRefused("send a Bundle resource (resourceType 'Bundle')", "Bundle.resourceType")
    if document.get("type") not in BUNDLE_TYPES:
        raise BundleRefused(
            f"Bundle.type must be one of {', '.join(sorted(BUNDLE_TYPES))}, not {document.get('type')!r}",
            "Bundle.type",
        )
    entries = document.get("entry")
    if not isinstance(entries, list) or not entries:
        raise BundleRefused("the bundle has no entries", "Bundle.entry")
    by_type: dict[str, list[tuple[int, dict, Any]]] = {}
    refused: list[Refusal] = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind not in ("Patient", "Encounter", "ServiceRequest"):
            refused.append(Refusal(i, "resourceType", f"{kind or 'this entry'} is not taken in here"))
            continue
        try:
            model = get_fhir_model_class(kind).model_validate(resource)
        except ValidationError as exc:
            problem = _first_error(exc)
            if kind != "ServiceRequest":
                raise BundleRefused(
                    f"{kind}: {problem[1]}", f"Bundle.entry[{i}].resource.{problem[0]}"
                ) from exc
            refused.append(Refusal(i, problem[0], problem[1]))
            continue
        by_type.setdefault(kind, []).append((i, entry, model))
    patient_at, patient_entry, patient = _one(by_type, "Patient")
    encounter_at, _, encounter = _one(by_type, "Encounter")
    patient_refs = _references(patient_entry, "Patient", patient.id)
    visit_department = _department(encounter.serviceProvider)
    orders = []
    for i, _, request in by_type.get("ServiceRequest", []):
        order = _order(i, request, patient_refs, visit_department)
        if isinstance(order, Refusal):
            refused.append(order)
        else:
            orders.append(order)
    return OrderMessage(
        visit_number=_visit_number(encounter, encounter_at),
        patient=_patient(patient, patient_at),
        orders=orders,
        message_id=_identifier(document.get("identifier")),
        refused=refused,
    )


def _first_error(exc: ValidationError) -> tuple[str, str]:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "resource"
    return where, error["msg"]


def _one(by_type: dict, kind: str) -> tuple[int, dict, Any]:
    found = by_type.get(kind, [])
    if len(found) != 1:
        raise BundleRefused(f"the bundle needs exactly one {kind} (it has {len(found)})", "Bundle.entry")
    return found[0]


def _references(entry: dict, kind: str, resource_id: str | None) -> set[str]:
    refs = {entry["fullUrl"]} if entry.get("fullUrl") else set()
    if resource_id:
        refs.add(f"{kind}/{resource_id}")
    return refs


def _identifier(identifier: Any) -> str | None:
    """`system|value` of a FHIR Identifier (model or JSON), None without a value."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        value, system = identifier.get("value"), identifier.get("system")
    else:
        value, system = identifier.value, identifier.system
    return f"{system or ''}|{value}" if value else None


def _typed(identifiers: list | None, code: str) -> Any:
    for identifier in identifiers or []:
        codings = identifier.type.coding if identifier.type and identifier.type.coding else []
        if any(c.code == code for c in codings):
            return identifier
    return None


def _patient(patient: Any, at: int) -> PatientFacts:
    identifiers = patient.identifier or []
    mrn = _typed(identifiers, "MR") or (identifiers[0] if len(identifiers) == 1 else None)
    if mrn is None or not mrn.value:
        raise BundleRefused(
            "Patient.identifier: give the MRN as the identifier of type MR (or as the only identifier)",
            f"Bundle.entry[{at}].resource.identifier",
        )
    name = _name(patient.name or [])
    if not name:
        raise BundleRefused("Patient.name is needed to call the patient", f"Bundle.entry[{at}].resource.name")
    return PatientFacts(mrn=mrn.value, name=name[:200], language=_language(patient.communication or []))


def _name(names: list) -> str:
    for name in sorted(names, key=lambda n: n.use != "official"):
        if name.text:
            return name.text.strip()
        given = [g for g in name.given or [] if g]
        family = name.family or ""
        if any("\u4e00" <= ch <= "\u9fff" for ch in family):  # Chinese names: family name first, no space
            return family + "".join(given)
        joined = " ".join([*given, family]).strip()
        if joined:
            return joined
    return ""


def _language(communication: list) -> Language:
    preferred = sorted(communication, key=lambda c: not c.preferred)
    for item in preferred:
        codes = [c.code for c in (item.language.coding or []) if c.code] + [item.language.text or ""]
        for code in codes:
            if code.lower().startswith("en"):
                return Language.EN
            if code.lower().startswith("zh"):
                return Language.ZH
    return Language.ZH


def _visit_number(encounter: Any, at: int) -> str:
    identifier = _typed(encounter.identifier, "VN") or next(iter(encounter.identifier or []), None)
    if identifier is None or not identifier.value:
        raise BundleRefused(
            "Encounter.identifier: the visit number is needed", f"Bundle.entry[{at}].resource.identifier"
        )
    return str(identifier.value)[:64]


def _order(
    at: int, request: Any, patient_refs: set[str], visit_department: str | None
) -> IncomingOrder | Refusal:
    subject = request.subject.reference if request.subject else None
    if subject and subject not in patient_refs:
        return Refusal(at, "subject", f"the order is for {subject}, not for the bundle's patient")
    if request.intent not in ORDER_INTENTS:
        return Refusal(at, "intent", f"intent {request.intent!r} is not an order to carry out")
    cancelled = request.status in CANCELLED_STATUSES
    if request.status != "active" and not cancelled:
        return Refusal(
            at, "status", f"status {request.status!r}: only active orders (or revoked ones) are taken in"
        )
    codings = tuple(
        Coding(c.system, c.code, c.display or "")
        for c in (request.code.coding if request.code and request.code.coding else [])
        if c.system and c.code
    )
    if not codings:
        return Refusal(at, "code", "the order has no coded exam (code.coding with system and code)")
    if request.priority is not None and request.priority not in PRIORITY:
        return Refusal(at, "priority", f"priority {request.priority!r} is not a FHIR request priority")
    placer = _typed(request.identifier, "PLAC") or next(iter(request.identifier or []), None)
    return IncomingOrder(
        where=at,
        codings=codings,
        placer=_identifier(placer),
        cancelled=cancelled,
        priority=PRIORITY.get(request.priority or "routine", 0),
        group=_identifier(request.requisition),
        occurrence=_occurrence(request),
        instruction=(request.patientInstruction or None),
        department=_department(request.requester) or visit_department,
    )


def _department(reference: Any) -> str | None:
    """The department an Organization reference names by its identifier (the requester, else
    the Encounter's serviceProvider); a practitioner names none."""
    if reference is None or reference.identifier is None or not reference.identifier.value:
        return None
    kind = reference.type or (reference.reference or "").partition("/")[0]
    return str(reference.identifier.value) if kind == "Organization" else None


def _occurrence(request: Any) -> datetime | None:
    """When the order is for; a date without a time or offset says too little to plan on."""
    period = request.occurrencePeriod
    when = request.occurrenceDateTime or (period.start if period is not None else None)
    return when if isinstance(when, datetime) and when.tzinfo is not None else None
