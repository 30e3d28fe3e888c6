"""Background jobs that need the app (database, broker): run by the background improver
(`api.background`: in the serving process without Redis, in `carepath worker` with it), or
from the CLI. Each opens its own app context
when called without one, so a worker process needs no request."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context

from api.extensions import db
from navigation import idempotency, planning, progress, routing
from navigation.booking import messages, service
from navigation.models import Journey, JourneyStatus, Site, utcnow
from navigation.planning import Improvement
from navigation.results import release_due_results
from notifications import Event

logger = logging.getLogger(__name__)


def improve_day(site_code: str, seconds: float) -> Improvement:
    """Improve today's plan at a site. Every patient's open page refreshes; those whose next
    room changed or whose steps moved by more than a quarter of an hour also get a push."""
    if not has_app_context():
        from api import create_app

        with create_app().app_context():
            return improve_day(site_code, seconds)
    now = current_app.config.get("CLOCK", utcnow)()
    site = routing.site_by_code(db.session, site_code)
    improvement = planning.improve_site(db.session, site, now, seconds)
    for journey_id in sorted({task.journey_id for task in improvement.changed}):
        journey = db.session.get_one(Journey, journey_id)
        if journey_id in improvement.moved:
            progress.notify(db.session, journey, Event.PLAN_CHANGED, now)
        progress.replanned(db.session, journey, now)
        progress.journey_changed(db.session, journey, now)
    db.session.commit()
    return improvement


def improve_due_sites(every: timedelta, seconds: float) -> dict[str, str]:
    """One round of the background improvement: each site with patients on today's plan whose
    turn has come (at most once per `every`, across every process) is improved for `seconds`."""
    now = current_app.config.get("CLOCK", utcnow)()
    busy = db.session.scalars(
        sa.select(Site.code)
        .join(Journey, Journey.site_id == Site.id)
        .where(Journey.status == JourneyStatus.ACTIVE, Journey.created_at >= now - timedelta(days=1))
        .distinct()
    ).all()
    outcome: dict[str, str] = {}
    for code in sorted(busy):
        site = routing.site_by_code(db.session, code)
        claimed = planning.claim_improvement(db.session, site, now, every)
        db.session.commit()  # the claim is visible to every other process at once
        if not claimed:
            continue
        try:
            improvement = improve_day(code, seconds)
        except Exception:  # one site's failure must not stop the others' improvement
            db.session.rollback()
            logger.exception("background improvement of site %s failed", code)
            outcome[code] = "failed"
            continue
        result = improvement.result
        outcome[code] = f"cost {result.cost_before} -> {result.cost_after}, {len(improvement.moved)} told"
    return outcome


def release_missed_bookings() -> dict[str, int]:
    """Every site's overdue bookings end (no-show, or unpaid hold expired) and each patient is
    told once, with the link to choose a new window. Safe in any number of processes at once
    (service.release: a conditional update). Returns how many ended, per site with any."""
    from api.booking import links, rules

    now = current_app.config.get("CLOCK", utcnow)()
    released: dict[str, int] = {}
    for site in db.session.scalars(sa.select(Site).order_by(Site.code)).all():
        try:
            ended = service.release_missed(db.session, site, now, rules())
            for booking in ended:
                messages.released(db.session, booking, links(booking), now)
            db.session.commit()
        except Exception:  # one site's failure must not stop the others'
            db.session.rollback()
            logger.exception("releasing missed bookings at site %s failed", site.code)
            continue
        if ended:
            released[site.code] = len(ended)
    return released


def release_demo_results() -> int:
    """The demo hospital's lab: each finished exam's results are ready once its turnaround has
    passed (a real site marks them ready through the API). Returns how many became ready."""
    now = current_app.config.get("CLOCK", utcnow)()
    ready = sum(release_due_results(db.session, site, now) for site in db.session.scalars(sa.select(Site)))
    db.session.commit()
    return ready


def forget_expired_keys() -> int:
    """Delete the check-in idempotency keys past their lifetime (each background round, in
    whichever processes run one). Returns how many."""
    forgotten = idempotency.forget_expired(db.session, current_app.config.get("CLOCK", utcnow)())
    db.session.commit()
    return forgotten
