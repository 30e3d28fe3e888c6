"""The hospital's codes -> catalog exam codes: an exact table per site, nothing guessed.

HL7 v2 names coding systems by short names (`LN`), FHIR by URI (`http://loinc.org`); both are
stored under the URI so one table serves both.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from navigation.integration.orders import Coding

LOINC = "http://loinc.org"
SYSTEM_ALIASES = {
    "LN": LOINC,
    "LOINC": LOINC,
    "SCT": "http://snomed.info/sct",
    "SNOMED": "http://snomed.info/sct",
}
CSV_COLUMNS = ("system", "code", "exam_code")


def canonical_system(system: str) -> str:
    system = system.strip()
    return SYSTEM_ALIASES.get(system.upper(), system)


@dataclass(frozen=True)
class MappingRow:
    system: str
    code: str
    exam_code: str
    display: str = ""


class CodeMap:
    """A site's table, read once per message."""

    def __init__(self, rows: Iterable[MappingRow]):
        self._exam: Mapping[tuple[str, str], str] = {
            (canonical_system(r.system), r.code): r.exam_code for r in rows
        }

    def exam_for(self, codings: Iterable[Coding]) -> str | None:
        """The catalog exam of the first coding the table knows, or None."""
        for coding in codings:
            exam = self._exam.get((canonical_system(coding.system), coding.code.strip()))
            if exam is not None:
                return exam
        return None


class MappingFileError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("the code mapping file is invalid")
        self.errors = errors


def read_csv(text: str) -> list[MappingRow]:
    """`system,code,exam_code[,display]` with a header row; every bad line is reported at once."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise MappingFileError({"header": [f"missing column(s): {', '.join(missing)}"]})
    rows, errors = [], {}
    for line, record in enumerate(reader, start=2):
        values = {k: (record.get(k) or "").strip() for k in (*CSV_COLUMNS, "display")}
        empty = [k for k in CSV_COLUMNS if not values[k]]
        if empty:
            errors[f"line {line}"] = [f"empty {', '.join(empty)}"]
            continue
        rows.append(
            MappingRow(
                canonical_system(values["system"]), values["code"], values["exam_code"], values["display"]
            )
        )
    if errors:
        raise MappingFileError(errors)
    return rows
