"""Web Push (RFC 8030 with VAPID, RFC 8292) to the patient page itself, through pywebpush.

A browser without any app subscribes from the patient page; the subscription (endpoint and
keys, stored as the device's token) lets the browser's push service wake the page's service
worker with "your turn" while the page is closed. The payload is encrypted for that browser
alone and holds the same generic lock-screen text as FCM, plus ids.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid, b64urlencode
from pywebpush import WebPushException, webpush

from notifications.devices import WEBPUSH
from notifications.events import Priority
from notifications.transports.base import OneRequestEach, Outcome, Outgoing, SendResult

HTTP_TIMEOUT_SECONDS = 10
GONE = {404, 410}  # the browser unsubscribed, or the subscription expired
WRONG_KEY = {401, 403}  # subscribed under another VAPID key: it will never accept ours


@dataclass(frozen=True)
class VapidConfig:
    private_key: str  # base64url raw key, or base64 DER (a PEM file's body), as py_vapid reads it
    subject: str  # "mailto:it@hospital.example": who push services contact about abuse

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "VapidConfig | None":
        key = environ.get("CAREPATH_VAPID_PRIVATE_KEY")
        if not key:
            return None
        body = "".join(line for line in key.splitlines() if not line.startswith("-----"))  # PEM armour off
        return cls(body, environ.get("CAREPATH_VAPID_SUBJECT", "mailto:carepath@localhost"))

    def public_key(self) -> str:
        """The applicationServerKey the page subscribes with (base64url, uncompressed point)."""
        raw = Vapid.from_string(self.private_key).public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64urlencode(raw)


def parse_subscription(token: str) -> dict[str, Any]:
    """The browser's PushSubscription.toJSON(): an http(s) endpoint and its two keys."""
    subscription = json.loads(token)
    keys = subscription.get("keys") if isinstance(subscription, dict) else None
    endpoint = subscription.get("endpoint") if isinstance(subscription, dict) else None
    if not (
        isinstance(endpoint, str)
        and endpoint.startswith(("https://", "http://"))
        and isinstance(keys, dict)
        and isinstance(keys.get("p256dh"), str)
        and isinstance(keys.get("auth"), str)
    ):
        raise ValueError("a push subscription needs an endpoint and keys p256dh and auth")
    return {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}


class WebPushTransport(OneRequestEach):
    channel = WEBPUSH

    def __init__(self, config: VapidConfig) -> None:
        self.config = config
        self.vapid = Vapid.from_string(config.private_key)
        self.http = requests.Session()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "WebPushTransport | None":
        config = VapidConfig.from_environment(environ)
        return None if config is None else cls(config)

    def close(self) -> None:
        self.http.close()

    def _send_one(self, message: Outgoing) -> SendResult:
        try:
            subscription = parse_subscription(message.address)
        except ValueError as exc:
            return SendResult(Outcome.ADDRESS_GONE, error=str(exc))
        headers = {"Urgency": "high" if message.priority is Priority.HIGH else "normal"}
        if message.replace_tag:
            headers["Topic"] = message.replace_tag[-32:]  # a newer one replaces it at the service
        payload = {**message.data(), "title": message.title, "body": message.body, "tag": message.replace_tag}
        try:
            webpush(
                subscription,
                json.dumps(payload),
                vapid_private_key=self.vapid,
                vapid_claims={"sub": self.config.subject},  # a fresh dict: webpush adds aud
                ttl=message.ttl_seconds,
                headers=headers,
                timeout=HTTP_TIMEOUT_SECONDS,
                requests_session=self.http,
            )
        except WebPushException as exc:
            return result_of_status(exc.response)
        except requests.RequestException as exc:
            return SendResult(Outcome.RETRY, error=f"push service unreachable: {type(exc).__name__}")
        return SendResult(Outcome.ACKNOWLEDGED)


def result_of_status(response: requests.Response | None) -> SendResult:
    if response is None:
        return SendResult(Outcome.RETRY, error="push failed without an answer")
    status = response.status_code
    error = f"push service answered HTTP {status}"
    if status in GONE or status in WRONG_KEY:
        return SendResult(Outcome.ADDRESS_GONE, error=error)
    if status == 429 or status >= 500:
        value = response.headers.get("Retry-After", "")
        retry_after = float(value) if value.strip().isdigit() else None
        return SendResult(Outcome.RETRY, retry_after=retry_after, error=error)
    return SendResult(Outcome.REJECTED, error=error)  # 400 malformed, 413 too large
