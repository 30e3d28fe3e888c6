"""The FCM transport against the fake server, through the real SDK."""

import email.utils
import time

import requests
from firebase_admin import exceptions

from notifications.events import Priority
from notifications.transports.base import Outcome, Outgoing
from notifications.transports.fcm import FcmTransport, result_of_error
from tests.notifications.fake_fcm import FakeFcm, reply_for


def outgoing(token: str, priority: Priority = Priority.NORMAL, tag: str | None = None) -> Outgoing:
    return Outgoing(
        address=token,
        platform="android",
        event_id=f"ev-{token}",
        journey_id=42,
        step_id="7",
        title="Your next step is ready",
        body="Open CarePath for details.",
        priority=priority,
        ttl_seconds=600,
        replace_tag=tag,
    )


def test_each_fcm_error_becomes_a_carepath_outcome(fcm_transport: FcmTransport, fake_fcm: FakeFcm) -> None:
    fake_fcm.unregistered.add("gone")
    fake_fcm.invalid.add("garbled")
    # The SDK itself retries a 429 that carries Retry-After, like a 503.
    fake_fcm.script("busy", *[reply_for(429, retry_after=30)] * 5)
    fake_fcm.script("down", *[reply_for(503)] * 5)  # the SDK tries 1 + 4 times

    results = fcm_transport.send([outgoing(t) for t in ["ok", "gone", "garbled", "busy", "down"]])

    assert [r.outcome for r in results] == [
        Outcome.ACKNOWLEDGED,
        Outcome.ADDRESS_GONE,
        Outcome.ADDRESS_GONE,
        Outcome.RETRY,
        Outcome.RETRY,
    ]
    assert results[3].retry_after == 30
    assert sum(r.token == "down" for r in fake_fcm.requests) == 5
    assert fake_fcm.tokens_issued == 1  # one OAuth exchange for the batch, not one per thread


def test_priority_ttl_and_replacement_reach_every_platform(
    fcm_transport: FcmTransport, fake_fcm: FakeFcm
) -> None:
    fcm_transport.send([outgoing("a", Priority.HIGH, tag="carepath-plan_changed-42")])

    message = fake_fcm.requests[0].body["message"]
    assert message["token"] == "a"
    assert message["data"] == {"event_id": "ev-a", "journey_id": "42", "step_id": "7"}
    assert message["android"]["priority"] == "high"
    assert message["android"]["ttl"] == "600s"
    assert message["android"]["collapse_key"] == "carepath-plan_changed-42"
    assert message["android"]["notification"]["tag"] == "carepath-plan_changed-42"
    assert message["android"]["notification"]["visibility"] == "PRIVATE"
    assert message["apns"]["headers"]["apns-priority"] == "10"
    assert message["apns"]["headers"]["apns-collapse-id"] == "carepath-plan_changed-42"
    assert message["webpush"]["headers"] == {"TTL": "600", "Urgency": "high"}
    # The key file was exchanged for an access token at the fake token endpoint.
    assert fake_fcm.requests[0].headers["authorization"] == "Bearer access-1"


def test_retry_after_may_be_an_http_date() -> None:
    response = requests.Response()
    response.status_code = 503
    response.headers["Retry-After"] = email.utils.formatdate(time.time() + 120, usegmt=True)
    error = exceptions.UnavailableError("unavailable", http_response=response)

    result = result_of_error(error)

    assert result.outcome is Outcome.RETRY
    assert 110 <= result.retry_after <= 120
