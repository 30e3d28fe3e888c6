"""A small stand-in for the FCM HTTP v1 API and Google's OAuth token endpoint.

The real firebase-admin SDK talks to it over HTTP on 127.0.0.1, so tests exercise the SDK's
own request encoding, retries and error parsing. Error bodies are the ones FCM returns.
Everything the SDK sends is kept in `requests` so tests can assert on it (no PHI, ids present).
"""

import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from typing import Any

import firebase_admin
import requests
from firebase_admin import _http_client, messaging

from tests.notifications.fake_http import Answer, FakeService, Request

FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


def error_body(code: int, status: str, message: str, fcm_code: str | None = None) -> dict:
    details: list[dict[str, Any]] = []
    if fcm_code:
        details.append({"@type": FCM_ERROR, "errorCode": fcm_code})
    return {"error": {"code": code, "message": message, "status": status, "details": details}}


UNREGISTERED = error_body(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
INVALID_TOKEN = error_body(
    400,
    "INVALID_ARGUMENT",
    "The registration token is not a valid FCM registration token",
    "INVALID_ARGUMENT",
)
INVALID_TOKEN["error"]["details"].append(
    {
        "@type": BAD_REQUEST,
        "fieldViolations": [
            {
                "field": "message.token",
                "description": "The registration token is not a valid FCM registration token",
            }
        ],
    }
)
QUOTA_EXCEEDED = error_body(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric.", "QUOTA_EXCEEDED")
UNAVAILABLE = error_body(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE")


def point_sdk_at(base_url: str, app: firebase_admin.App) -> None:
    """Send this app's FCM requests to a fake at base_url, with the pool FCM would get.

    No setting changes the SDK's endpoint: the URL is a class attribute read when an app's
    messaging service is first built, so patch it, build the service, and (because the SDK
    mounts its 100-connection adapter on the real FCM host only) mount the same adapter here,
    or hundreds of sockets would be opened per batch.
    """
    messaging._MessagingService.FCM_URL = base_url + "/v1/projects/{0}/messages:send"
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=100, pool_maxsize=100, max_retries=_http_client.DEFAULT_RETRY_CONFIG
    )
    messaging._get_messaging_service(app)._client.session.mount(base_url, adapter)


def reply_for(status: int, retry_after: int | None = None) -> Answer:
    bodies = {404: UNREGISTERED, 400: INVALID_TOKEN, 429: QUOTA_EXCEEDED, 503: UNAVAILABLE}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Answer(status, bodies[status], headers)


@dataclass
class Received:
    token: str
    event_id: str
    body: dict  # the whole JSON request body the SDK sent
    headers: dict[str, str]  # names in lower case
    status: int  # what the fake answered
    at: float = field(default_factory=time.time)  # when it arrived


class FakeFcm(FakeService):
    """Answers 200 unless told otherwise, per token: dead tokens, or a script of replies."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Received] = []
        self.unregistered: set[str] = set()
        self.invalid: set[str] = set()
        self.scripts: dict[str, deque[Answer]] = {}
        self.hold_from: int | None = None
        self.tokens_issued = 0
        self.released = threading.Event()

    def hold_after(self, accepted: int) -> None:
        """Accept this many messages, then stall every later request until `release()` and
        answer it 503: a dispatcher can be killed while FCM holds part of its batch."""
        with self.lock:
            self.hold_from = accepted

    def release(self) -> None:
        self.released.set()

    def script(self, token: str, *replies: Answer) -> None:
        """The next answers for this token, in order; then 200 again."""
        with self.lock:
            self.scripts.setdefault(token, deque()).extend(replies)

    def delivered(self) -> Counter[str]:
        """How many times each event id was accepted (200): the ground truth for loss/dupes."""
        with self.lock:
            return self.delivered_unlocked()

    def accepted(self) -> list[tuple[str, float]]:
        """(event id, arrival time) of every message answered 200."""
        with self.lock:
            return [(r.event_id, r.at) for r in self.requests if r.status == 200]

    def delivered_unlocked(self) -> Counter[str]:
        return Counter(r.event_id for r in self.requests if r.status == 200)

    def _answer(self, received: Received) -> Answer:
        """Decide and record under one lock, so `delivered()` never misses an accepted one."""
        with self.lock:
            reply = self._decide(received.token)
            if reply is not None:
                self.requests.append(replace(received, status=reply.status))
                return reply
        self.released.wait(timeout=30)
        with self.lock:
            self.requests.append(replace(received, status=503))
        return reply_for(503)

    def _decide(self, token: str) -> Answer | None:
        """None means: hold this request."""
        if token in self.unregistered:
            return reply_for(404)
        if token in self.invalid:
            return reply_for(400)
        queued = self.scripts.get(token)
        if queued:
            return queued.popleft()
        if self.hold_from is not None and len(self.delivered_unlocked()) >= self.hold_from:
            return None
        return Answer(200, {"name": f"projects/carepath/messages/{len(self.requests)}"})

    def answer(self, request: Request) -> Answer:
        if request.path == "/token":
            with self.lock:
                self.tokens_issued += 1
                token = f"access-{self.tokens_issued}"  # tells the clients apart
            return Answer(200, {"access_token": token, "expires_in": 3600})
        if not re.fullmatch(r"/v1/projects/([^/]+)/messages:send", request.path):
            return Answer(404, error_body(404, "NOT_FOUND", "no such path"))
        body = request.json()
        message = body.get("message", {})
        received = Received(
            token=message.get("token", ""),
            event_id=message.get("data", {}).get("event_id", ""),
            body=body,
            headers=request.headers,
            status=0,
        )
        return self._answer(received)
