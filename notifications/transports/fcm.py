"""Firebase Cloud Messaging through the real firebase-admin SDK.

The SDK already retries 500/503 a few times inside one call; what it gives up on comes back
here as RETRY and the dispatcher retries later, across processes and restarts. FCM errors are
translated into the outcomes of `transports.base` so the dispatcher never sees Firebase.
"""

import email.utils
import os
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import firebase_admin
import google.auth.transport.requests
from firebase_admin import credentials, exceptions, messaging

from notifications.devices import FCM
from notifications.events import Priority
from notifications.transports.base import Outcome, Outgoing, SendResult

CREDENTIALS_ENV = ("CAREPATH_FCM_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS")
# Bound each HTTP call: with the SDK's default of 120 s one hung connection holds up a batch.
HTTP_TIMEOUT_SECONDS = 10


class FcmTransport:
    channel = FCM
    max_batch = 500  # the limit of messaging.send_each

    def __init__(self, app: firebase_admin.App) -> None:
        self.app = app

    @classmethod
    def from_service_account(cls, path: str, app_name: str = "carepath-fcm") -> "FcmTransport":
        """One named Firebase app per process; the project id comes from the key file."""
        try:
            return cls(firebase_admin.get_app(app_name))
        except ValueError:
            app = firebase_admin.initialize_app(
                credentials.Certificate(path), {"httpTimeout": HTTP_TIMEOUT_SECONDS}, app_name
            )
            return cls(app)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "FcmTransport | None":
        """FCM when a service-account file is named in the environment, else None."""
        for name in CREDENTIALS_ENV:
            if environ.get(name):
                return cls.from_service_account(environ[name])
        return None

    def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
        self._refresh_access_token()
        batch = messaging.send_each([to_fcm_message(m) for m in messages], app=self.app)
        return [
            SendResult(Outcome.ACKNOWLEDGED) if r.success else result_of_error(r.exception)
            for r in batch.responses
        ]

    def _refresh_access_token(self) -> None:
        """Once here, not in each of send_each's threads: with an expired token, all 500 of
        them would ask Google's token endpoint at the same moment."""
        credential = self.app.credential.get_credential()
        if not credential.valid:
            credential.refresh(google.auth.transport.requests.Request())


def to_fcm_message(message: Outgoing) -> messaging.Message:
    high = message.priority is Priority.HIGH
    tag = message.replace_tag
    apns_headers = {
        "apns-priority": "10" if high else "5",
        "apns-push-type": "alert",
        "apns-expiration": str(int(time.time()) + message.ttl_seconds),
    }
    if tag:
        apns_headers["apns-collapse-id"] = tag
    fcm_message = messaging.Message(
        data=message.data(),
        notification=messaging.Notification(title=message.title, body=message.body),
        android=messaging.AndroidConfig(
            priority="high" if high else "normal",
            ttl=timedelta(seconds=message.ttl_seconds),
            collapse_key=tag,
            # tag replaces a notification already shown; collapse_key only pending ones.
            notification=messaging.AndroidNotification(tag=tag, visibility="private"),
        ),
        apns=messaging.APNSConfig(headers=apns_headers),
        webpush=messaging.WebpushConfig(
            headers={"TTL": str(message.ttl_seconds), "Urgency": "high" if high else "normal"},
            notification=messaging.WebpushNotification(tag=tag),
        ),
    )
    # Registration tokens are what FCM v1 addresses; `Message(token=...)` warns in 7.7.0 in
    # favour of installation ids, which our phones don't register. Setting the attribute after
    # construction sends the same JSON without touching the process-wide warning filters.
    fcm_message.token = message.address
    return fcm_message


def result_of_error(error: BaseException | None) -> SendResult:
    detail = f"{type(error).__name__}: {error}"[:500]
    if isinstance(error, messaging.UnregisteredError | messaging.SenderIdMismatchError):
        return SendResult(Outcome.ADDRESS_GONE, error=detail)
    if isinstance(error, exceptions.InvalidArgumentError):
        gone = _names_the_token(_error_body(error))
        return SendResult(Outcome.ADDRESS_GONE if gone else Outcome.REJECTED, error=detail)
    retry_after = _retry_after(error) if isinstance(error, exceptions.FirebaseError) else None
    return SendResult(Outcome.RETRY, retry_after=retry_after, error=detail)


def _error_body(error: exceptions.FirebaseError) -> dict[str, Any]:
    try:
        body = error.http_response.json() if error.http_response is not None else {}
    except ValueError:
        return {}
    return body.get("error", {}) if isinstance(body, dict) else {}


def _names_the_token(error: dict[str, Any]) -> bool:
    """INVALID_ARGUMENT also covers a malformed message; only a bad token means forget it."""
    for detail in error.get("details", []):
        for violation in detail.get("fieldViolations", []):
            if violation.get("field") == "message.token":
                return True
    return "registration token" in str(error.get("message", "")).lower()


def _retry_after(error: exceptions.FirebaseError) -> float | None:
    # A requests.Response is falsy for error statuses: compare with None.
    response = error.http_response
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
