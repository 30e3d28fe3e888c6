"""The patient's reads, shaped for a phone that asks "what next?" every few seconds: the site's
map versions read once per request, and the route to the next step from the cache every
process shares (Redis when REDIS_URL is set, else in this process)."""

from __future__ import annotations

import hashlib

import redis
from flask import Flask, current_app, g
from sqlalchemy.engine import make_url

from api.extensions import db
from navigation import routing
from navigation.route_cache import RouteCache


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5) if url else None
    # One Redis may serve several hospitals' databases: their routes never mix.
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    namespace = f"carepath:route:{hashlib.sha256(database.encode()).hexdigest()[:12]}"
    app.extensions["carepath.routes"] = RouteCache(client, namespace)
    app.before_request(_forget_versions)


def _forget_versions() -> None:
    g.pop("map_versions", None)  # `g` may outlive a request (an app context held by tests)


def route_cache() -> RouteCache:
    return current_app.extensions["carepath.routes"]


def map_versions(site_id: int) -> routing.MapVersions | None:
    """The site's map and closures versions, read once per request (the route and the ETag
    then agree on which closures they saw)."""
    known: dict[int, routing.MapVersions | None] = g.setdefault("map_versions", {})
    if site_id not in known:
        known[site_id] = routing.map_versions(db.session, site_id)
    return known[site_id]
