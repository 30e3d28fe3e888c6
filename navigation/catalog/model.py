"""Plain, immutable view of a loaded catalog; the rest of the domain reads only this."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AfterRule:
    """This exam must come after any exam matching `code` or `category`, by at least `gap_min`."""

    code: str | None
    category: str | None
    gap_min: int
    reason_en: str
    source: str | None

    def matches(self, exam: ExamType) -> bool:
        return exam.code == self.code or exam.category == self.category


@dataclass(frozen=True)
class Requirement:
    """Another exam this one needs first (and the wait for its result), unless a recent one is on file."""

    code: str
    result_wait_min: int
    unless_on_file_days: int | None
    source: str | None


@dataclass(frozen=True)
class ExamType:
    code: str
    name_en: str
    name_zh: str
    kind: str  # exam | pickup | return_visit
    category: str
    duration_min: int
    room_types: tuple[str, ...]
    room_durations: tuple[tuple[str, int], ...]  # room type -> minutes, where rooms differ
    payment_required: bool
    report_after_min: int | None
    specimen: str | None
    fasting_hours: float
    full_bladder: bool
    no_food_after_min: int
    after: tuple[AfterRule, ...]
    requires: tuple[Requirement, ...]
    last: bool
    not_same_day_as: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ServiceStep:
    """A step CarePath adds around exams (payment, meal, water, blood draw, report collection)."""

    kind: str
    name_en: str
    name_zh: str
    duration_min: int
    room_types: tuple[str, ...]
    self_service: bool


@dataclass(frozen=True)
class Catalog:
    version: str
    exam_types: dict[str, ExamType]
    services: dict[str, ServiceStep]
    sources: dict[str, str] = field(default_factory=dict)

    def exam(self, code: str) -> ExamType:
        return self.exam_types[code]

    def room_types(self) -> set[str]:
        types = {t for e in self.exam_types.values() for t in e.room_types}
        return types | {t for s in self.services.values() for t in s.room_types}
