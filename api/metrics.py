"""Prometheus metrics at `/metrics`: requests by URL rule, and the backlog read at scrape time.

Requests are labelled by the URL rule (`/p/<token>`), never the raw path, which would put
patients' link tokens into the monitoring system. Under gunicorn, set PROMETHEUS_MULTIPROC_DIR
(an empty directory, see gunicorn.conf.py): each worker writes its counters there and a scrape
of any worker sums them all. Outbox and queue figures are read from the database at each scrape.

Who may scrape: with CAREPATH_METRICS_TOKEN set, a caller sending it as a bearer token; without
it, anyone in development and only the same machine (127.0.0.1) in production.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.access import bearer_token
from api.errors import problem
from api.extensions import db
from navigation.metrics import waiting_by_room
from navigation.models import utcnow
from notifications.metrics import pending_by_channel

blp = Blueprint("metrics", __name__)

REQUESTS = Counter(
    "carepath_http_requests_total",
    "HTTP requests by method, URL rule and status.",
    ["method", "endpoint", "status"],
)
LATENCY = Histogram(
    "carepath_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and URL rule.",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LOOPBACK = frozenset({"127.0.0.1", "::1"})


def init_app(app: Flask) -> None:
    app.config.setdefault("METRICS_TOKEN", os.environ.get("CAREPATH_METRICS_TOKEN") or None)
    app.before_request(_start_timer)
    app.after_request(_count)
    app.register_blueprint(blp)


def endpoint_label() -> str:
    """The URL rule that matched (`/api/v1/journeys/<int:journey_id>`), never the path itself."""
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    endpoint = endpoint_label()
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
    return response


@blp.get("/metrics")
def metrics():
    refusal = _refusal()
    if refusal is not None:
        return refusal
    live = CollectorRegistry(auto_describe=False)
    live.register(BacklogCollector(current_app.config.get("CLOCK", utcnow)))
    body = generate_latest(_process_registry()) + generate_latest(live)
    db.session.remove()
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def _process_registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # every worker's files, summed
    return registry


def _refusal() -> Response | None:
    token = current_app.config["METRICS_TOKEN"]
    if token:
        given = bearer_token() or ""
        if hmac.compare_digest(given.encode(), token.encode()):
            return None
        return problem(401, "metrics need the scrape token", {"headers": {"Authorization": ["bearer token"]}})
    if current_app.config["CAREPATH_ENV"] == "production" and request.remote_addr not in LOOPBACK:
        return problem(404, "not found")
    return None


class BacklogCollector(Collector):
    """Outbox depth and queue lengths as the database has them now (one short read each)."""

    def __init__(self, clock) -> None:  # type: ignore[no-untyped-def]
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.clock()
        pending = GaugeMetricFamily(
            "carepath_outbox_pending", "Messages waiting to be sent, per channel.", labels=["channel"]
        )
        oldest = GaugeMetricFamily(
            "carepath_outbox_oldest_pending_age_seconds",
            "Age of the oldest message still waiting, per channel.",
            labels=["channel"],
        )
        for backlog in pending_by_channel(db.session, now):
            pending.add_metric([backlog.channel], backlog.pending)
            oldest.add_metric([backlog.channel], backlog.oldest_age_s)
        waiting = GaugeMetricFamily(
            "carepath_queue_waiting", "Patients waiting in a room's line.", labels=["site", "room"]
        )
        longest = GaugeMetricFamily(
            "carepath_queue_longest_wait_seconds",
            "How long the longest-waiting patient of a room's line has waited.",
            labels=["site", "room"],
        )
        for line in waiting_by_room(db.session, now):
            waiting.add_metric([line.site, line.room], line.waiting)
            longest.add_metric([line.site, line.room], line.longest_wait_s)
        yield from (pending, oldest, waiting, longest)
