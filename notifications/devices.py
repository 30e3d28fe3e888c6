"""The phones (or other channels) that receive a journey's messages.

A device belongs to one journey: the patient's phone registers its FCM token when the phone
page opens, and CarePath forgets it when FCM says the token is dead. Like `enqueue`, these
functions only change the caller's session; the caller's transaction commits them.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from notifications.db import NotificationsBase, UtcDateTime, utcnow

PLATFORMS = ("android", "ios", "web", "wechat", "sms")
# The channels, each with its transport: what a device's token is differs per channel.
FCM = "fcm"  # an FCM registration token
WECHAT = "wechat"  # the patient's openid for the hospital's official account or mini-program
SMS = "sms"  # the phone number, encrypted (notifications.phones)
WEBPUSH = "webpush"  # the browser's push subscription, as JSON (endpoint and keys)
CHANNELS = (FCM, WECHAT, SMS, WEBPUSH)


class Device(NotificationsBase):
    __tablename__ = "notification_devices"
    __table_args__ = (
        sa.UniqueConstraint("journey_id", "channel", "token"),
        # Dead tokens are forgotten by (channel, token) across journeys.
        sa.Index("ix_notification_devices_token", "channel", "token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    # The transport that reaches this device (CHANNELS), each with the same dispatcher.
    channel: Mapped[str] = mapped_column(sa.String(32), default=FCM)
    token: Mapped[str] = mapped_column(sa.String(1024))
    platform: Mapped[str] = mapped_column(sa.String(16))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def register_device(
    session: Session, journey_id: int, token: str, platform: str, channel: str = FCM
) -> Device:
    """Idempotent: a phone page that reloads registers the same token again."""
    if platform not in PLATFORMS:
        raise ValueError(f"platform must be one of {PLATFORMS}, got {platform!r}")
    if not token or len(token) > 1024:
        raise ValueError("token must be a non-empty string of at most 1024 characters")
    existing = session.scalar(
        sa.select(Device).where(
            Device.journey_id == journey_id, Device.channel == channel, Device.token == token
        )
    )
    if existing is not None:
        existing.platform = platform
        return existing
    device = Device(journey_id=journey_id, channel=channel, token=token, platform=platform)
    session.add(device)
    return device


def unregister_device(session: Session, journey_id: int, token: str, channel: str = FCM) -> bool:
    """Returns whether a device was registered."""
    removed = session.scalars(
        sa.delete(Device)
        .where(Device.journey_id == journey_id, Device.channel == channel, Device.token == token)
        .returning(Device.id)
    ).all()
    return bool(removed)


def forget_token(session: Session, channel: str, token: str) -> None:
    """The channel says this address is dead (app removed, token rotated): drop it everywhere."""
    session.execute(sa.delete(Device).where(Device.channel == channel, Device.token == token))


@dataclass(frozen=True)
class Address:
    """Where a message goes, as plain values: they outlive the session that loaded them."""

    channel: str
    token: str
    platform: str

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.token}"


def addresses_of(session: Session, journey_ids: list[int]) -> dict[int, list[Address]]:
    found: dict[int, list[Address]] = {journey_id: [] for journey_id in journey_ids}
    rows = session.execute(
        sa.select(Device.journey_id, Device.channel, Device.token, Device.platform)
        .where(Device.journey_id.in_(journey_ids))
        .order_by(Device.id)
    )
    for journey_id, channel, token, platform in rows:
        found[journey_id].append(Address(channel, token, platform))
    return found
