"""Background jobs that need the app (database, broker): run by `carepath worker` on RQ, or
from the CLI. Each opens its own app context, so a worker process needs no request."""

from __future__ import annotations

from flask import current_app, has_app_context

from api.extensions import db
from navigation import planning, progress, routing
from navigation.models import Journey, utcnow
from navigation.sequencing import ImproveResult
from notifications import Event


def improve_day(site_code: str, seconds: float) -> ImproveResult:
    """Improve today's plan at a site; patients whose next room or time moved are told."""
    if not has_app_context():
        from api import create_app

        with create_app().app_context():
            return improve_day(site_code, seconds)
    now = current_app.config.get("CLOCK", utcnow)()
    site = routing.site_by_code(db.session, site_code)
    result, changed = planning.improve_site(db.session, site, now, seconds)
    for journey_id in sorted({task.journey_id for task in changed}):
        journey = db.session.get_one(Journey, journey_id)
        progress.notify(db.session, journey, Event.PLAN_CHANGED, now)
        progress.journey_changed(db.session, journey, now)
    db.session.commit()
    return result
