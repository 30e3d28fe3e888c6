"""A small stand-in for the FCM HTTP v1 API and Google's OAuth token endpoint.

The real firebase-admin SDK talks to it over HTTP on 127.0.0.1, so tests exercise the SDK's
own request encoding, retries and error parsing. Error bodies are the ones FCM returns.
Everything the SDK sends is kept in `requests` so tests can assert on it (no PHI, ids present).
"""

import json
import re
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import firebase_admin
import requests
from firebase_admin import _http_client, messaging

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


@dataclass
class Reply:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)


def reply_for(status: int, retry_after: int | None = None) -> Reply:
    bodies = {404: UNREGISTERED, 400: INVALID_TOKEN, 429: QUOTA_EXCEEDED, 503: UNAVAILABLE}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Reply(status, bodies[status], headers)


@dataclass
class Received:
    token: str
    event_id: str
    body: dict  # the whole JSON request body the SDK sent
    headers: dict[str, str]  # names in lower case
    status: int  # what we answered


class FakeFcm:
    """Answers 200 unless told otherwise, per token: dead tokens, or a script of replies."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[Received] = []
        self.unregistered: set[str] = set()
        self.invalid: set[str] = set()
        self.scripts: dict[str, deque[Reply]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def fcm_url(self) -> str:
        """The value for messaging._MessagingService.FCM_URL ({0} is the project id)."""
        return self.url + "/v1/projects/{0}/messages:send"

    def __enter__(self) -> "FakeFcm":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def serve_app(self, app: firebase_admin.App) -> None:
        """Give this app's SDK the connection pool it keeps for fcm.googleapis.com.

        The SDK mounts a 100-connection adapter on the real FCM host only; pointed at this
        server it would fall back to 10 connections and open hundreds of sockets per batch.
        Call after FCM_URL is patched (the messaging service reads it when first created).
        """
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=100, pool_maxsize=100, max_retries=_http_client.DEFAULT_RETRY_CONFIG
        )
        messaging._get_messaging_service(app)._client.session.mount(self.url, adapter)

    def script(self, token: str, *replies: Reply) -> None:
        """The next answers for this token, in order; then 200 again."""
        with self.lock:
            self.scripts.setdefault(token, deque()).extend(replies)

    def delivered(self) -> Counter[str]:
        """How many times each event id was accepted (200): the ground truth for loss/dupes."""
        with self.lock:
            return Counter(r.event_id for r in self.requests if r.status == 200)

    def _answer(self, token: str) -> Reply:
        with self.lock:
            if token in self.unregistered:
                return reply_for(404)
            if token in self.invalid:
                return reply_for(400)
            queued = self.scripts.get(token)
            if queued:
                return queued.popleft()
        return Reply(200, {})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/token":
                    self._send(Reply(200, {"access_token": "fake", "expires_in": 3600}))
                    return
                match = re.fullmatch(r"/v1/projects/([^/]+)/messages:send", self.path)
                if not match:
                    self._send(Reply(404, error_body(404, "NOT_FOUND", "no such path")))
                    return
                body = json.loads(raw)
                message = body.get("message", {})
                token = message.get("token", "")
                reply = fake._answer(token)
                if reply.status == 200:
                    reply = Reply(200, {"name": f"projects/{match[1]}/messages/{len(fake.requests)}"})
                with fake.lock:
                    fake.requests.append(
                        Received(
                            token=token,
                            event_id=message.get("data", {}).get("event_id", ""),
                            body=body,
                            headers={k.lower(): v for k, v in self.headers.items()},
                            status=reply.status,
                        )
                    )
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        return Handler
