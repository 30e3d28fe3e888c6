"""The route to the next step is computed once and shared by every process, and a closure is
honoured by the next route everywhere (the cache is keyed by the map and closures versions)."""

from __future__ import annotations

import fakeredis
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from navigation.route_cache import RouteCache, RouteKey
from tests.closures import close_skybridge_from_another_process


def route(client, src: str = "A2-01", dst: str = "B2-03"):
    response = client.get(f"/api/v1/sites/demo/route?from={src}&to={dst}&profile=walking")
    assert response.status_code == 200, response.json
    return response.json


def test_a_route_computed_by_one_process_is_read_by_another_through_redis():
    server = fakeredis.FakeServer()
    one, other = (RouteCache(fakeredis.FakeRedis(server=server), "carepath:route:test") for _ in range(2))
    key = RouteKey(1, 3, 7, "A2-01", "B2-03", "walking")
    one.put(key, {"seconds": 61.5, "nodes": ["A2-01", "B2-03"]})
    assert other.get(key) == {"seconds": 61.5, "nodes": ["A2-01", "B2-03"]}
    assert other.get(RouteKey(1, 3, 8, "A2-01", "B2-03", "walking")) is None  # after a closure: not that one


def test_redis_trouble_never_fails_a_route():
    nobody = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    down = RouteCache(nobody, "carepath:route:test")
    key = RouteKey(1, 1, 0, "A", "B", "walking")
    assert down.get(key) is None
    down.put(key, {"seconds": 1.0})  # kept in this process all the same
    assert down.get(key) == {"seconds": 1.0}


def test_a_closure_written_by_another_process_reroutes_a_cached_route_at_once(client, app):
    """Both 'processes' share the cache (one Redis); the other one closes the skybridge."""
    from api.extensions import db

    server = fakeredis.FakeServer()
    mine = app.extensions["carepath.routes"]
    namespace = mine._namespace
    app.extensions["carepath.routes"] = RouteCache(fakeredis.FakeRedis(server=server), namespace)
    try:
        before = route(client)
        assert list(fakeredis.FakeRedis(server=server).scan_iter(f"{namespace}:*"))  # shared
        close_skybridge_from_another_process(app.config["SQLALCHEMY_DATABASE_URI"])
        db.session.remove()
        after = route(client)
        assert after["seconds"] > before["seconds"]
        assert "A2-SKY" not in after["nodes"] or "B2-SKY" not in after["nodes"]
    finally:
        app.extensions["carepath.routes"] = mine
