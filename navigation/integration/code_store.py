"""A site's code mapping table in the database: read it, replace it (admin API and CSV import)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation.catalog.store import active_catalog
from navigation.errors import DomainError
from navigation.integration.codes import CodeMap, MappingRow
from navigation.models import CodeMapping, Site


def site_rows(session: Session, site: Site) -> list[CodeMapping]:
    return list(
        session.scalars(
            sa.select(CodeMapping)
            .where(CodeMapping.site_id == site.id)
            .order_by(CodeMapping.system, CodeMapping.code)
        )
    )


def site_code_map(session: Session, site: Site) -> CodeMap:
    return CodeMap(MappingRow(r.system, r.code, r.exam_code) for r in site_rows(session, site))


def replace_mappings(session: Session, site: Site, rows: Sequence[MappingRow]) -> int:
    """The site's whole table becomes `rows`; refused whole if a row names no catalog exam or a
    hospital code twice."""
    exams = active_catalog(session).exam_types
    errors: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows):
        if row.exam_code not in exams:
            errors[f"{i}.exam_code"] = [f"unknown exam code {row.exam_code!r}"]
        if (row.system, row.code) in seen:
            errors[f"{i}.code"] = [f"{row.system}|{row.code} is mapped twice"]
        seen.add((row.system, row.code))
    if errors:
        raise DomainError("the code mapping is invalid; nothing was changed", errors=errors)
    session.execute(sa.delete(CodeMapping).where(CodeMapping.site_id == site.id))
    session.add_all(
        CodeMapping(
            site_id=site.id, system=r.system, code=r.code, exam_code=r.exam_code, display=r.display[:200]
        )
        for r in rows
    )
    session.flush()
    return len(rows)
