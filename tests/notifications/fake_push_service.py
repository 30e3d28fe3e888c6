"""A local Web Push service (RFC 8030) and the browsers subscribed to it.

`subscribe()` plays the browser: it makes the key pair and auth secret a real browser would,
and the service decrypts every accepted message with them (aes128gcm, RFC 8291), so a test
reads exactly what the page's service worker would receive.
"""

import base64
import itertools
import json
import os
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.notifications.fake_http import Answer, FakeService, Request


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Push:
    subscription: str
    status: int
    headers: dict[str, str]
    payload: dict[str, Any] | None  # decrypted, for accepted pushes
    vapid_audience: str | None
    at: float = field(default_factory=time.time)


class FakePushService(FakeService):
    def __init__(self) -> None:
        super().__init__()
        self.serial = itertools.count(1)
        self.browsers: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}
        self.pushes: list[Push] = []
        self.gone: set[str] = set()  # subscriptions answering 410
        self.scripts: dict[str, deque[tuple[int, dict[str, str]]]] = {}

    def subscribe(self) -> dict[str, Any]:
        """What PushSubscription.toJSON() gives the page after the user allows notifications."""
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        name = f"sub-{next(self.serial)}"
        with self.lock:
            self.browsers[name] = (key, auth)
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": f"{self.url}/push/{name}", "keys": {"p256dh": _b64(public), "auth": _b64(auth)}}

    def script(self, name: str, *answers: int | tuple[int, dict[str, str]]) -> None:
        with self.lock:
            queue = self.scripts.setdefault(name, deque())
            queue.extend(a if isinstance(a, tuple) else (a, {}) for a in answers)

    def delivered(self) -> Counter[str]:
        with self.lock:
            return Counter(p.payload["event_id"] for p in self.pushes if p.status == 201 and p.payload)

    def accepted(self) -> list[tuple[str, float]]:
        with self.lock:
            return [(p.payload["event_id"], p.at) for p in self.pushes if p.status == 201 and p.payload]

    def answer(self, request: Request) -> Answer:
        name = request.path.removeprefix("/push/")
        with self.lock:
            if name not in self.browsers or name in self.gone:
                status, extra = 410, {}
            elif self.scripts.get(name):
                status, extra = self.scripts[name].popleft()
            else:
                status, extra = 201, {}
            payload = None
            if status == 201:
                key, auth = self.browsers[name]
                payload = json.loads(
                    http_ece.decrypt(request.body, private_key=key, auth_secret=auth, version="aes128gcm")
                )
            self.pushes.append(Push(name, status, request.headers, payload, _audience(request.headers)))
        headers = {"Location": f"{self.url}/message/{next(self.serial)}", **extra}
        return Answer(status, b"", headers, content_type="text/plain")


def _audience(headers: dict[str, str]) -> str | None:
    """The `aud` claim of the VAPID JWT in `Authorization: vapid t=..., k=...`."""
    value = headers.get("authorization", "")
    if not value.startswith("vapid "):
        return None
    fields = dict(part.strip().split("=", 1) for part in value[len("vapid ") :].split(","))
    claims = json.loads(_unb64(fields["t"].split(".")[1]))
    return claims.get("aud")
