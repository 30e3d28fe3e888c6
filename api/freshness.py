"""The patient's reads, shaped for a phone that asks "what next?" every few seconds.

- ETags: a journey or a place in line is stamped in one small query (`navigation.read_stamps`);
  a phone sending the ETag it holds (If-None-Match) of an unchanged one gets 304 and the task
  list is never loaded. The stamp covers everything the answer shows, so a nurse's call shows
  on the patient's next read.
- An answer once built is kept ten minutes under its ETag: a phone that lost its ETag (a reload,
  a second phone of the family) reading an unchanged journey gets the same bytes, not a
  rebuild. The ETag changes with the journey, so a kept answer is as fresh as a 304. Staff and
  the patient have ETags of their own (staff's words are in staff's answer only).
- Patient JSON is `Cache-Control: no-store`: no shared cache or browser keeps it; the page
  keeps the last answer and its ETag itself.
- The site's map versions are read once per request, and the route to the next step comes
  from the cache every process shares (Redis when REDIS_URL is set, else in this process).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import redis
from flask import Flask, Response, current_app, g, request
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.access import audience, bearer_token
from api.extensions import db, limiter
from navigation import read_stamps, routing
from navigation.recent import Recent
from navigation.route_cache import RouteCache

NO_STORE = {"Cache-Control": "no-store"}
# The phones' polls: no rate limit applies to them (many phones share a hospital's address).
POLLS = frozenset({"patient.JourneyView", "nurse.JourneyQueue"})
READ_ONLY = "carepath.read_only"  # in the session's info while a poll runs without a transaction


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    client = (  # a cache fails fast: no retries, the route is computed instead
        redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
        if url
        else None
    )
    # One Redis may serve several hospitals' databases: their routes never mix.
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    namespace = f"carepath:route:{hashlib.sha256(database.encode()).hexdigest()[:12]}"
    app.extensions["carepath.routes"] = RouteCache(client, namespace)
    app.extensions["carepath.answers"] = Recent[bytes](size=4096, ttl_seconds=600)
    app.extensions["carepath.code_stamp"] = _code_stamp()
    app.before_request(_forget_versions)
    app.before_request(_polls_read_without_a_transaction)
    app.teardown_request(_poll_over)
    app.after_request(_patient_answers_are_not_stored)
    if unknown := POLLS - set(app.view_functions):
        raise RuntimeError(f"freshness.POLLS names no view: {sorted(unknown)}")


@limiter.request_filter
def _polled() -> bool:
    """Flask-Limiter looks for the limits of every request, even one that has none: for a
    phone's poll that was some 5 % of its CPU. A poll skips the search."""
    return request.endpoint in POLLS


def _forget_versions() -> None:
    g.pop("map_versions", None)  # `g` may outlive a request (an app context held by tests)


def _polls_read_without_a_transaction() -> None:
    """A patient's poll only reads, so it runs without a transaction: no BEGIN and no ROLLBACK
    (two of its round trips), and psycopg keeps the statements it prepared. A ROLLBACK makes
    psycopg forget them all, so every poll had PostgreSQL parse and plan its queries again: two
    thirds of the database's CPU at the morning peak. Under READ COMMITTED each statement reads
    its own snapshot anyway, so a poll sees what it saw inside a transaction. A write during a
    poll (it would commit at once) is refused (`_polls_write_nothing`)."""
    token = bearer_token()
    if request.endpoint in POLLS and token and token.startswith("pt_") and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        db.session.info[READ_ONLY] = True


def _poll_over(_error: BaseException | None) -> None:
    db.session.info.pop(READ_ONLY, None)
    read_stamps.forget(db.session)


@event.listens_for(Session, "before_flush")
def _polls_write_nothing(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY):
        raise RuntimeError("a patient's poll tried to write: polls run without a transaction")


def _patient_answers_are_not_stored(response: Response) -> Response:
    token = bearer_token()
    if token and token.startswith("pt_"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _code_stamp() -> str:
    """This release's code: after an upgrade that changes what a view says, old ETags lapse."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted([*root.glob("api/**/*.py"), *root.glob("navigation/**/*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def forget(app: Flask) -> None:
    """Drop the routes and answers this process keeps (a database restored to an earlier
    state repeats versions already seen: tests; in production versions only grow)."""
    app.extensions["carepath.routes"].clear()
    app.extensions["carepath.answers"].clear()


def route_cache() -> RouteCache:
    return current_app.extensions["carepath.routes"]


def map_versions(site_id: int) -> routing.MapVersions | None:
    """The site's map and closures versions, read once per request (the route and the ETag
    then agree on which closures they saw)."""
    known: dict[int, routing.MapVersions | None] = g.setdefault("map_versions", {})
    if site_id not in known:
        known[site_id] = routing.map_versions(db.session, site_id)
    return known[site_id]


def journey_etag(journey_id: int, now: datetime) -> str:
    stamp = read_stamps.journey_stamp(db.session, journey_id, now)
    g.setdefault("map_versions", {})[stamp.site_id] = stamp.map_versions
    return _etag("journey", journey_id, stamp.values)


def queue_etag(journey_id: int, now: datetime) -> str:
    return _etag("queue", journey_id, read_stamps.queue_stamp(db.session, journey_id, now))


def _etag(kind: str, journey_id: int, stamp: tuple[Any, ...]) -> str:
    """Staff and the patient read different answers (staff's words are for staff): each has
    its own ETag, so neither is ever answered from the other's kept answer."""
    code = current_app.extensions["carepath.code_stamp"]
    key = (kind, journey_id, audience(), code, stamp)
    return hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest()


def fresh_answer(etag: str, build: Callable[[], Any]) -> Response:
    """304 if the caller holds `etag`; else the JSON answer for it, built by `build` unless an
    answer with the same ETag was built in the last ten minutes."""
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304, headers=NO_STORE)
        response.set_etag(etag)
        return response
    answers: Recent[bytes] = current_app.extensions["carepath.answers"]
    key = (etag, request.host_url)  # the access link in a journey names the host asked
    body = answers.get(key)
    if body is None:
        body = (current_app.json.dumps(build()) + "\n").encode()
        answers.put(key, body)
    return current_app.response_class(
        body, mimetype="application/json", headers={"ETag": f'"{etag}"', **NO_STORE}
    )
