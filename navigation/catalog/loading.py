"""Validate a catalog document and turn it into a `Catalog`.

Structure is checked with marshmallow; the rules between exam types (unknown references,
precedence cycles, contradictory same-day bans) are checked here, because a catalog that
loads but cannot be followed would only fail later, in front of a patient.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import networkx as nx
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from navigation.catalog.model import AfterRule, Catalog, ExamType, Requirement, ServiceStep

REQUIRED_SERVICES = ("payment", "meal", "water", "blood_draw", "report")
_code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{0,31}$"))
_names = {
    "name_en": fields.String(required=True, validate=validate.Length(min=1, max=200)),
    "name_zh": fields.String(required=True, validate=validate.Length(min=1, max=200)),
}


class CatalogError(ValueError):
    """The catalog is refused; `errors` maps a JSON path to its problems."""

    def __init__(self, errors: dict[str, Any]):
        super().__init__("The exam catalog is invalid")
        self.errors = errors


class _AfterSchema(Schema):
    code = fields.String(load_default=None)
    category = fields.String(load_default=None)
    gap_min = fields.Integer(load_default=0, validate=validate.Range(min=0, max=24 * 60))
    reason_en = fields.String(load_default="")
    source = fields.String(load_default=None)

    @validates_schema
    def _one_target(self, data: dict, **_: Any) -> None:
        if (data["code"] is None) == (data["category"] is None):
            raise ValidationError("give exactly one of 'code' or 'category'")


class _RequirementSchema(Schema):
    code = _code
    result_wait_min = fields.Integer(load_default=0, validate=validate.Range(min=0, max=24 * 60))
    unless_on_file_days = fields.Integer(load_default=None, validate=validate.Range(min=1))
    source = fields.String(load_default=None)


class _PrepSchema(Schema):
    fasting_hours = fields.Float(load_default=0, validate=validate.Range(min=0, max=24))
    full_bladder = fields.Boolean(load_default=False)
    no_food_after_min = fields.Integer(load_default=0, validate=validate.Range(min=0, max=600))


class _ExamSchema(Schema):
    code = _code
    name_en = _names["name_en"]
    name_zh = _names["name_zh"]
    kind = fields.String(load_default="exam", validate=validate.OneOf(["exam", "pickup", "return_visit"]))
    category = fields.String(required=True)
    duration_min = fields.Integer(required=True, validate=validate.Range(min=1, max=600))
    room_types = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    room_durations = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(validate=validate.Range(min=1, max=600)),
        load_default=dict,
    )
    payment_required = fields.Boolean(load_default=True)
    report_after_min = fields.Integer(load_default=None, validate=validate.Range(min=0, max=7 * 24 * 60))
    specimen = fields.String(load_default=None)
    prep = fields.Nested(_PrepSchema, load_default=dict)
    after = fields.List(fields.Nested(_AfterSchema), load_default=list)
    requires = fields.List(fields.Nested(_RequirementSchema), load_default=list)
    last = fields.Boolean(load_default=False)
    not_same_day_as = fields.List(fields.String(), load_default=list)
    sources = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


class _ServiceSchema(Schema):
    name_en = _names["name_en"]
    name_zh = _names["name_zh"]
    duration_min = fields.Integer(required=True, validate=validate.Range(min=1, max=600))
    room_types = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    self_service = fields.Boolean(load_default=False)
    source = fields.String(load_default=None)


class CatalogDocumentSchema(Schema):
    format = fields.String(required=True, validate=validate.Equal("carepath-catalog/1"))
    version = fields.String(required=True, validate=validate.Length(min=1, max=64))
    sources = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    services = fields.Dict(keys=fields.String(), values=fields.Nested(_ServiceSchema), required=True)
    exam_types = fields.List(fields.Nested(_ExamSchema), required=True, validate=validate.Length(min=1))


def parse_catalog(document: Any) -> Catalog:
    """Validate `document` (already-parsed JSON) and return the catalog, or raise CatalogError."""
    try:
        data = CatalogDocumentSchema().load(document)
    except ValidationError as exc:
        raise CatalogError(flatten_errors(exc.messages)) from exc
    errors: dict[str, list[str]] = {}
    missing = [s for s in REQUIRED_SERVICES if s not in data["services"]]
    if missing:
        errors["services"] = [f"missing service steps: {', '.join(missing)}"]
    catalog = _build(data)
    _check_references(catalog, data, errors)
    if not errors:
        _check_cycles(catalog, errors)
    if errors:
        raise CatalogError(errors)
    return catalog


def load_demo_catalog() -> Catalog:
    return parse_catalog(demo_catalog_document())


def demo_catalog_document() -> dict:
    text = resources.files("navigation.catalog").joinpath("demo_catalog.json").read_text("utf-8")
    return json.loads(text)


def _build(data: dict) -> Catalog:
    exams = {}
    for e in data["exam_types"]:
        prep = e["prep"]
        exams[e["code"]] = ExamType(
            code=e["code"],
            name_en=e["name_en"],
            name_zh=e["name_zh"],
            kind=e["kind"],
            category=e["category"],
            duration_min=e["duration_min"],
            room_types=tuple(e["room_types"]),
            room_durations=tuple(sorted(e["room_durations"].items())),
            payment_required=e["payment_required"],
            report_after_min=e["report_after_min"],
            specimen=e["specimen"],
            fasting_hours=prep.get("fasting_hours", 0.0),
            full_bladder=prep.get("full_bladder", False),
            no_food_after_min=prep.get("no_food_after_min", 0),
            after=tuple(AfterRule(**a) for a in e["after"]),
            requires=tuple(Requirement(**r) for r in e["requires"]),
            last=e["last"],
            not_same_day_as=tuple(e["not_same_day_as"]),
            sources=tuple(e["sources"]),
        )
    services = {
        kind: ServiceStep(
            kind=kind,
            name_en=s["name_en"],
            name_zh=s["name_zh"],
            duration_min=s["duration_min"],
            room_types=tuple(s["room_types"]),
            self_service=s["self_service"],
        )
        for kind, s in data["services"].items()
    }
    return Catalog(data["version"], exams, services, data["sources"])


def _check_references(catalog: Catalog, data: dict, errors: dict[str, list[str]]) -> None:
    codes = catalog.exam_types
    categories = {e.category for e in codes.values()}
    seen: set[str] = set()
    for i, raw in enumerate(data["exam_types"]):
        path = f"exam_types.{i}"
        exam = codes[raw["code"]]
        if raw["code"] in seen:
            errors.setdefault(f"{path}.code", []).append(f"duplicate exam code {raw['code']}")
        seen.add(raw["code"])
        for kind in raw["room_durations"]:
            if kind not in exam.room_types:
                errors.setdefault(f"{path}.room_durations.{kind}", []).append(
                    f"{kind} is not one of this exam's room_types"
                )
        for j, rule in enumerate(exam.after):
            if rule.code == exam.code:
                errors.setdefault(f"{path}.after.{j}.code", []).append("an exam cannot come after itself")
            elif rule.code is not None and rule.code not in codes:
                errors.setdefault(f"{path}.after.{j}.code", []).append(f"unknown exam code {rule.code}")
            if rule.category is not None and rule.category not in categories:
                errors.setdefault(f"{path}.after.{j}.category", []).append(
                    f"no exam type has category {rule.category}"
                )
        for j, req in enumerate(exam.requires):
            if req.code not in codes:
                errors.setdefault(f"{path}.requires.{j}.code", []).append(f"unknown exam code {req.code}")
        for j, other in enumerate(exam.not_same_day_as):
            if other not in codes:
                errors.setdefault(f"{path}.not_same_day_as.{j}", []).append(f"unknown exam code {other}")
        for j, source in enumerate(exam.sources):
            if catalog.sources and source not in catalog.sources:
                errors.setdefault(f"{path}.sources.{j}", []).append(
                    f"source {source} is not listed in 'sources'"
                )


def _check_cycles(catalog: Catalog, errors: dict[str, list[str]]) -> None:
    """Precedence between exam types must be a DAG, or no patient could ever follow it."""
    graph = nx.DiGraph()
    exams = list(catalog.exam_types.values())
    for exam in exams:
        graph.add_node(exam.code)
        for rule in exam.after:
            for other in exams:
                if other.code != exam.code and rule.matches(other):
                    graph.add_edge(other.code, exam.code)
        for req in exam.requires:
            graph.add_edge(req.code, exam.code)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    path = " -> ".join([a for a, _ in cycle] + [cycle[0][0]])
    errors.setdefault("exam_types", []).append(f"precedence rules form a cycle: {path}")


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, Any]:
    """marshmallow nests errors by index; flatten to dotted JSON paths for a readable 4xx."""
    if not isinstance(messages, dict):
        return {prefix or "_schema": messages}
    flat: dict[str, Any] = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten_errors(value, path))
        else:
            flat[path] = value
    return flat
