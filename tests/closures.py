"""A closure written by another process: what every process must honour on its next route."""

from __future__ import annotations

import sqlalchemy as sa


def close_skybridge_from_another_process(database_uri: str) -> None:
    """Close the demo's 2F skybridge through an engine of its own, as a second process would:
    a closure row and a bumped closures version, nothing in this process told."""
    other_process = sa.create_engine(database_uri)
    with other_process.begin() as conn:
        site_id = conn.scalar(sa.text("SELECT id FROM site WHERE code = 'demo'"))
        conn.execute(
            sa.text(
                "INSERT INTO closure (site_id, target_kind, target_id, reason, closed_at) "
                "VALUES (:s, 'edge', 'SKYBRIDGE-2F', 'flooding', CURRENT_TIMESTAMP)"
            ),
            {"s": site_id},
        )
        conn.execute(
            sa.text("UPDATE site_map SET closures_version = closures_version + 1 WHERE site_id = :s"),
            {"s": site_id},
        )
    other_process.dispose()
