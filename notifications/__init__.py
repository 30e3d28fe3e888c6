"""Telling patients what to do next: push through an outbox, and live page updates.

The names other packages use are re-exported here. `notifications` never imports `api` or
`navigation`; callers pass a SQLAlchemy session and plain values.
"""

from notifications.background import BackgroundDispatcher
from notifications.db import NotificationsBase
from notifications.devices import CHANNELS, WEBPUSH, WECHAT, Device, register_device, unregister_device
from notifications.dispatcher import DispatchConfig, Dispatcher, PassReport, RetryPolicy
from notifications.events import Event
from notifications.jobs import DISPATCH_JOB, request_dispatch, transports_from_environment
from notifications.live import (
    Broker,
    InProcessBroker,
    RedisBroker,
    broker_from_environment,
    connect_redis,
    journey_channel,
    room_queue_channel,
)
from notifications.outbox import (
    DeliveryState,
    OutboxMessage,
    Status,
    delivery_states,
    enqueue,
    enqueue_at,
    mark_seen,
    message_for_phone,
    undelivered,
    unseen_calls,
    withdraw,
)
from notifications.phones import PhoneCipher, register_phone
from notifications.preferences import parse_order, preference, set_preference
from notifications.recipients import Recipient

__all__ = [
    "CHANNELS",
    "WEBPUSH",
    "WECHAT",
    "PhoneCipher",
    "Recipient",
    "withdraw",
    "mark_seen",
    "parse_order",
    "preference",
    "register_phone",
    "set_preference",
    "unseen_calls",
    "DISPATCH_JOB",
    "BackgroundDispatcher",
    "Broker",
    "DeliveryState",
    "Device",
    "DispatchConfig",
    "Dispatcher",
    "Event",
    "InProcessBroker",
    "NotificationsBase",
    "OutboxMessage",
    "PassReport",
    "RedisBroker",
    "RetryPolicy",
    "Status",
    "broker_from_environment",
    "connect_redis",
    "delivery_states",
    "undelivered",
    "enqueue",
    "enqueue_at",
    "journey_channel",
    "message_for_phone",
    "register_device",
    "request_dispatch",
    "room_queue_channel",
    "transports_from_environment",
    "unregister_device",
]
