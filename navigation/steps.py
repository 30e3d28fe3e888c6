"""Orders become steps: the medical task list before anyone is scheduled.

`expand_orders` applies the catalog's rules to one patient's orders: it merges shared steps
(one payment, one blood draw for every blood test), adds the steps rules imply (a kidney
test before contrast CT, water before a full-bladder scan, a meal once fasting exams are
done, report collection), links them with dependencies carrying minimum gaps, and returns
them in an order that already obeys every rule. The OR-Tools sequencer refines the times
and rooms later; it reads the same `StepPlan`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import networkx as nx

from navigation.catalog import Catalog, ExamType
from navigation.errors import DomainError

# Suggested default order of fasting work (research notes, section 4): fasting blood,
# fasting ultrasound, thyroid nuclear scan, endoscopy, contrast imaging, barium.
CATEGORY_RANK = {
    "lab": 0,
    "ultrasound": 1,
    "nuclear": 2,
    "endoscopy": 3,
    "xray": 4,
    "cardiology": 4,
    "respiratory": 4,
    "ct": 5,
    "ct_contrast": 6,
    "mri": 6,
    "barium": 7,
}
WATER_MAX_WAIT_MIN = 90  # a full bladder does not last: scan within this after drinking


@dataclass(frozen=True)
class Step:
    key: str
    kind: str  # payment | water | blood_draw | exam | meal | report | return_visit | pickup
    exam_codes: tuple[str, ...]
    name_en: str
    name_zh: str
    room_types: tuple[str, ...]
    duration_min: int
    room_durations: tuple[tuple[str, int], ...] = ()  # room type -> minutes, where rooms differ
    fasting_hours: float = 0.0
    full_bladder: bool = False
    self_service: bool = False
    category: str = ""
    department: str | None = None  # a return visit: the ordering department's clinic


@dataclass(frozen=True)
class Dependency:
    """`after` starts at least `min_gap_min` (at most `max_gap_min`) after `before` ends.

    A hard dependency is a prerequisite: `after` cannot happen at all without `before` (pay
    first, drink first, a result needed). A soft one only orders the two when both happen
    today: the meal still happens if a fasting test cannot, reports are still collected if
    one exam cannot be done.
    """

    before: str
    after: str
    min_gap_min: int
    reason: str
    max_gap_min: int | None = None
    hard: bool = False


@dataclass
class StepPlan:
    steps: list[Step]
    dependencies: list[Dependency]
    added: dict[str, str] = field(default_factory=dict)  # exam code -> why CarePath added it

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)


def expand_orders(
    catalog: Catalog,
    order_codes: Sequence[str],
    on_file: Mapping[str, datetime] | None = None,
    now: datetime | None = None,
) -> StepPlan:
    """Expand a patient's orders into ordered steps. `on_file` maps exam code -> last result time."""
    exams = _ordered_exams(catalog, order_codes)
    added = _add_required_exams(catalog, exams, on_file or {}, now)
    _refuse_same_day_conflicts(exams, order_codes)
    builder = _Builder(catalog)
    for exam in exams.values():
        builder.add_exam(exam)
    builder.add_service_steps(exams.values())
    builder.link_rules(exams.values())
    steps = builder.ordered()
    return StepPlan(steps, builder.dependencies, added)


def _ordered_exams(catalog: Catalog, codes: Sequence[str]) -> dict[str, ExamType]:
    if not codes:
        raise DomainError("at least one order is needed", field="orders")
    exams: dict[str, ExamType] = {}
    for i, code in enumerate(codes):
        if code not in catalog.exam_types:
            raise DomainError(f"unknown exam code {code!r}", field=f"orders.{i}.code")
        exams[code] = catalog.exam(code)
    return exams


def _recent(on_file: Mapping[str, datetime], code: str, days: int | None, now: datetime | None) -> bool:
    if days is None or code not in on_file or now is None:
        return False
    return now - on_file[code] <= timedelta(days=days)


def _add_required_exams(
    catalog: Catalog,
    exams: dict[str, ExamType],
    on_file: Mapping[str, datetime],
    now: datetime | None,
) -> dict[str, str]:
    added: dict[str, str] = {}
    for exam in list(exams.values()):
        for req in exam.requires:
            if req.code in exams or _recent(on_file, req.code, req.unless_on_file_days, now):
                continue
            exams[req.code] = catalog.exam(req.code)
            added[req.code] = f"needed before {exam.code}"
    return added


def _refuse_same_day_conflicts(exams: dict[str, ExamType], codes: Sequence[str]) -> None:
    for exam in exams.values():
        for other in exam.not_same_day_as:
            if other in exams:
                raise DomainError(
                    f"{exam.code} and {other} cannot be done on the same day; book one for another day",
                    field=f"orders.{list(codes).index(exam.code)}.code",
                )


class _Builder:
    """Accumulates steps and dependencies; one place decides step keys so links cannot drift."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.steps: dict[str, Step] = {}
        self.step_of_exam: dict[str, str] = {}
        self.dependencies: list[Dependency] = []
        self._rank: dict[str, tuple] = {}

    def add_exam(self, exam: ExamType) -> None:
        if exam.specimen:
            self._merge_into_draw(exam)
            return
        key = f"exam:{exam.code}"
        kind = "exam" if exam.kind == "exam" else exam.kind
        self.steps[key] = Step(
            key=key,
            kind=kind,
            exam_codes=(exam.code,),
            name_en=exam.name_en,
            name_zh=exam.name_zh,
            room_types=exam.room_types,
            duration_min=exam.duration_min,
            room_durations=exam.room_durations,
            fasting_hours=exam.fasting_hours,
            full_bladder=exam.full_bladder,
            category=exam.category,
        )
        self.step_of_exam[exam.code] = key

    def _merge_into_draw(self, exam: ExamType) -> None:
        key = f"draw:{exam.specimen}"
        service = self.catalog.services["blood_draw"]
        current = self.steps.get(key)
        codes = (*current.exam_codes, exam.code) if current else (exam.code,)
        names = [self.catalog.exam(c) for c in codes]
        self.steps[key] = Step(
            key=key,
            kind="blood_draw",
            exam_codes=codes,
            name_en=f"{service.name_en}: {', '.join(e.name_en for e in names)}",
            name_zh=f"{service.name_zh}：{'、'.join(e.name_zh for e in names)}",
            room_types=service.room_types,
            duration_min=service.duration_min,
            fasting_hours=max(e.fasting_hours for e in names),
            category="lab",
        )
        self.step_of_exam[exam.code] = key

    def _service(self, kind: str) -> str:
        s = self.catalog.services[kind]
        self.steps[kind] = Step(
            key=kind,
            kind=kind,
            exam_codes=(),
            name_en=s.name_en,
            name_zh=s.name_zh,
            room_types=s.room_types,
            duration_min=s.duration_min,
            self_service=s.self_service,
        )
        return kind

    def link(
        self, before: str, after: str, gap: int, reason: str, max_gap: int | None = None, hard: bool = False
    ) -> None:
        if before != after:
            self.dependencies.append(Dependency(before, after, gap, reason, max_gap, hard))

    def add_service_steps(self, exams: Iterable[ExamType]) -> None:
        exams = list(exams)
        if any(e.payment_required for e in exams):
            self._service("payment")
        if any(e.full_bladder for e in exams):
            self._service("water")
        if any(s.fasting_hours > 0 for s in self.steps.values()):
            self._service("meal")
        if any(e.report_after_min is not None and e.kind == "exam" for e in exams):
            self._service("report")

    def link_rules(self, exams: Iterable[ExamType]) -> None:
        exams = list(exams)
        clinical = [k for k, s in self.steps.items() if s.kind in ("exam", "blood_draw")]
        for exam in exams:
            key = self.step_of_exam[exam.code]
            if exam.payment_required and "payment" in self.steps:
                self.link("payment", key, 0, "pay before the service", hard=True)
            for rule in exam.after:
                for other in exams:
                    if other.code != exam.code and rule.matches(other):
                        self.link(self.step_of_exam[other.code], key, rule.gap_min, rule.reason_en)
            for req in exam.requires:
                if req.code in self.step_of_exam:
                    reason = f"{req.code} result needed first"
                    self.link(self.step_of_exam[req.code], key, req.result_wait_min, reason, hard=True)
            if exam.last:
                for step_key in clinical:
                    self.link(step_key, key, 0, f"{exam.code} is done last")
            if exam.full_bladder:
                self.link(
                    "water", key, 0, "drink water first for a full bladder", WATER_MAX_WAIT_MIN, hard=True
                )
            if "report" in self.steps and exam.kind == "exam" and exam.report_after_min is not None:
                self.link(key, "report", exam.report_after_min, "report turnaround")
        for exam in exams:
            key = self.step_of_exam[exam.code]
            if "meal" in self.steps and self.steps[key].fasting_hours > 0:
                reason = "fasting exams before eating"
                if exam.no_food_after_min:
                    reason = f"nothing to eat for {exam.no_food_after_min} min after {exam.code}"
                self.link(key, "meal", exam.no_food_after_min, reason)
            if exam.kind == "return_visit":
                for step_key in clinical + (["report"] if "report" in self.steps else []):
                    self.link(step_key, key, 0, "the doctor reviews the results")
            if exam.kind == "pickup":
                for step_key in self.step_of_exam.values():
                    if self.steps[step_key].kind == "return_visit":
                        self.link(step_key, key, 0, "the doctor may change the prescription")
        self._dedupe()

    def _dedupe(self) -> None:
        """One dependency per pair: the longest gap, hard if any of them is."""
        strongest: dict[tuple[str, str], Dependency] = {}
        for dep in self.dependencies:
            pair = (dep.before, dep.after)
            kept = strongest.get(pair)
            if kept is None or dep.min_gap_min > kept.min_gap_min:
                strongest[pair] = dep if kept is None else replace(dep, hard=dep.hard or kept.hard)
            elif dep.hard and not kept.hard:
                strongest[pair] = replace(kept, hard=True)
        self.dependencies = list(strongest.values())

    def _priority(self, step: Step) -> tuple:
        phase = {"payment": 0, "meal": 2, "report": 5, "return_visit": 6, "pickup": 7}.get(step.kind)
        if phase is not None:
            return (phase, 0, step.key)
        if step.kind == "water":
            # just before the first full-bladder scan so the bladder is full on time
            firsts = [self._priority(s) for s in self.steps.values() if s.full_bladder]
            first = min(firsts)
            return (first[0], first[1] - 0.5, step.key)
        last = any(self.catalog.exam(c).last for c in step.exam_codes)
        phase = 4 if last else (1 if step.fasting_hours > 0 else 3)
        return (phase, CATEGORY_RANK.get(step.category, 4), step.key)

    def ordered(self) -> list[Step]:
        graph = nx.DiGraph()
        graph.add_nodes_from(self.steps)
        graph.add_edges_from((d.before, d.after) for d in self.dependencies)
        try:
            order = list(
                nx.lexicographical_topological_sort(graph, key=lambda k: self._priority(self.steps[k]))
            )
        except nx.NetworkXUnfeasible as exc:
            cycle = " -> ".join(a for a, _ in nx.find_cycle(graph))
            raise DomainError(f"these orders cannot be combined: {cycle}", field="orders") from exc
        return [self.steps[k] for k in order]
