"""The one small interface every channel implements: FCM today, SMS, WeChat or vendor push later.

A transport sends a batch and says, per message, what happened, in CarePath's terms rather
than the channel's: acknowledged, the address is dead, try again (maybe after a while), or
rejected for good. Retries, backoff and bookkeeping stay in the dispatcher, so adding a
channel never changes it.
"""

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from notifications.events import Priority


@dataclass(frozen=True)
class Outgoing:
    """One message to one address. Carries no health information by construction."""

    address: str  # FCM registration token, phone number, WeChat openid...
    platform: str
    event_id: str
    journey_id: int | None  # None: a booking's message (booking_id), before the day
    step_id: str | None
    title: str
    body: str
    priority: Priority
    ttl_seconds: int
    replace_tag: str | None
    # What template-based channels (WeChat, SMS) fill their approved templates with: the event,
    # the page text and its numbers (room, desk, minutes), all checked by notifications.templates.
    event: str = ""
    detail: str = ""
    params: Mapping[str, str] = field(default_factory=dict)
    booking_id: int | None = None

    def fields(self) -> dict[str, str]:
        """The values a configured template may name: {title}, {body}, {detail} and the numbers."""
        return {"title": self.title, "body": self.body, "detail": self.detail, **self.params}

    def data(self) -> dict[str, str]:
        """The machine-readable payload: ids only; the phone page fetches the rest."""
        if self.booking_id is not None:
            return {"event_id": self.event_id, "booking_id": str(self.booking_id), "step_id": ""}
        return {
            "event_id": self.event_id,
            "journey_id": str(self.journey_id),
            "step_id": self.step_id or "",
        }


PARALLEL_REQUESTS = 10  # requests' default connection pool per host


class Outcome(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    ADDRESS_GONE = "address_gone"  # forget this token; the message is not retried to it
    RETRY = "retry"  # transient: the dispatcher retries with backoff
    REJECTED = "rejected"  # the message itself is wrong; retrying cannot help


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_after: float | None = None  # seconds the channel asked us to wait
    error: str | None = None


class OneRequestEach:
    """A channel without a batch API (WeChat, SMS templates, Web Push): one HTTP request per
    message, several at once (the waiting is the channel's, not ours), results in order."""

    max_batch = 100

    def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
        if len(messages) <= 1:
            return [self._send_one(message) for message in messages]
        with ThreadPoolExecutor(max_workers=min(PARALLEL_REQUESTS, len(messages))) as pool:
            return list(pool.map(self._send_one, messages))

    def _send_one(self, message: Outgoing) -> SendResult:
        raise NotImplementedError


class Transport(Protocol):
    channel: str
    max_batch: int

    def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
        """One result per message, in order. May raise: the dispatcher then retries them all."""
        ...
