"""The embedded default: writes each message to the log and acknowledges it.

Lets a development or demo install run the whole flow without Firebase credentials; the
patient still sees every step on the phone page, which never depends on push.
"""

import logging
from collections.abc import Sequence

from notifications.devices import FCM
from notifications.transports.base import Outcome, Outgoing, SendResult

logger = logging.getLogger(__name__)


class LogTransport:
    max_batch = 500

    def __init__(self, channel: str = FCM) -> None:
        self.channel = channel

    def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
        for message in messages:
            logger.info(
                "push %s journey=%s booking=%s step=%s priority=%s ttl=%ss: %s",
                message.event_id,
                message.journey_id,
                message.booking_id,
                message.step_id,
                message.priority.value,
                message.ttl_seconds,
                message.title,
            )
        return [SendResult(Outcome.ACKNOWLEDGED) for _ in messages]
