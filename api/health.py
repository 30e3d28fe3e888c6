"""Probes for the load balancer and the orchestrator.

`/healthz` is liveness: the process answers and can run one query (restart it if not).
`/readyz` is readiness: the database answers, Redis answers when configured, and the schema is
at the migration head this code expects; a process that is not ready should get no traffic.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify

from api.extensions import db
from notifications import connect_redis

blp = Blueprint("health", __name__)
logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@blp.get("/healthz")
def healthz():
    db.session.execute(db.text("SELECT 1"))
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    database, migration = _database_and_migration()
    redis = _redis()
    ready = database == "ok" and migration["current"] == migration["head"] and redis != "unavailable"
    body = {"status": "ready" if ready else "not_ready", "database": database, "redis": redis}
    body["migration"] = migration
    return jsonify(body), 200 if ready else 503


@functools.cache
def migration_head() -> str | None:
    """The newest migration this code ships (the files never change while it runs)."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _database_and_migration() -> tuple[str, dict[str, str | None]]:
    migration: dict[str, str | None] = {"current": None, "head": migration_head()}
    try:
        with db.engine.connect() as connection:
            migration["current"] = MigrationContext.configure(connection).get_current_revision()
    except Exception:
        logger.warning("readiness: the database does not answer", exc_info=True)
        return "unavailable", migration
    return "ok", migration


def _redis() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not_configured"
    client = connect_redis(url)
    try:
        client.ping()
    except Exception:
        logger.warning("readiness: Redis does not answer", exc_info=True)
        return "unavailable"
    finally:
        client.close()
    return "ok"
