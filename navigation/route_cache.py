"""Routes to the next step, computed once and shared by every process.

A route depends only on the site's map, its closures, the two places and the walking profile,
so it is kept under exactly those: (site, map version, closures version, from, to, profile).
A new map or any closure or reopening changes the versions, hence the key, so no cached route
outlives them and a closure is honoured by the next route in every process. With Redis the
routes are shared by every web and worker process; each process also keeps the most recent
ones in memory (alone, without Redis). Redis trouble never fails a route: it is computed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import astuple, dataclass
from typing import Any

import redis

from navigation.recent import Recent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteKey:
    site_id: int
    map_version: int
    closures_version: int
    origin: str
    destination: str
    profile: str

    def text(self) -> str:
        return ":".join(str(part) for part in astuple(self))


class RouteCache:
    """An in-process LRU of routes (plain dicts), in front of Redis when one is given."""

    def __init__(
        self,
        client: redis.Redis | None = None,
        namespace: str = "carepath:route",
        size: int = 4096,
        ttl_seconds: int = 24 * 3600,
    ) -> None:
        self._client = client
        self._namespace = namespace
        self._ttl = ttl_seconds
        self._local: Recent[dict[str, Any]] = Recent(size)
        self._generation = 0

    def get(self, key: RouteKey) -> dict[str, Any] | None:
        found = self._local.get(key)
        if found is not None:
            return found
        if self._client is None:
            return None
        try:
            raw = self._client.get(self._shared_key(key))
        except redis.RedisError as exc:
            logger.warning("route cache: Redis unavailable (%s); computing the route", type(exc).__name__)
            return None
        if raw is None:
            return None
        found = json.loads(raw)
        self._local.put(key, found)
        return found

    def put(self, key: RouteKey, route: dict[str, Any]) -> None:
        self._local.put(key, route)
        if self._client is None:
            return
        try:
            self._client.set(self._shared_key(key), json.dumps(route), ex=self._ttl)
        except redis.RedisError as exc:
            logger.warning(
                "route cache: Redis unavailable (%s); route kept in this process", type(exc).__name__
            )

    def clear(self) -> None:
        """Forget every route this process knows and stop reading the routes shared so far
        (for a database restored to an earlier state, where versions repeat: tests)."""
        self._local.clear()
        self._generation += 1

    def _shared_key(self, key: RouteKey) -> str:
        generation = f":g{self._generation}" if self._generation else ""
        return f"{self._namespace}{generation}:{key.text()}"
