"""The phones (or other channels) that receive a journey's or a booking's messages.

A device belongs to one journey (the patient's phone registers its FCM token when the phone
page opens) or to one booking (the number reception takes when booking, before there is a
journey; check-in copies it to the journey). CarePath forgets a device when its channel says
the address is dead. Like `enqueue`, these functions only change the caller's session; the
caller's transaction commits them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from notifications.db import NotificationsBase, UtcDateTime, utcnow
from notifications.recipients import Recipient, of, of_any, one_recipient, recipient

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
        sa.UniqueConstraint(
            "booking_id", "channel", "token", name="uq_notification_devices_booking_channel_token"
        ),
        one_recipient("notification_devices"),
        # Dead tokens are forgotten by (channel, token) across journeys.
        sa.Index("ix_notification_devices_token", "channel", "token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    booking_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    # The transport that reaches this device (CHANNELS), each with the same dispatcher.
    channel: Mapped[str] = mapped_column(sa.String(32), default=FCM)
    token: Mapped[str] = mapped_column(sa.String(1024))
    platform: Mapped[str] = mapped_column(sa.String(16))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def register_device(
    session: Session, journey_id: int | Recipient, token: str, platform: str, channel: str = FCM
) -> Device:
    """Idempotent: a phone page that reloads registers the same token again. `journey_id` may
    be a booking's Recipient instead."""
    if platform not in PLATFORMS:
        raise ValueError(f"platform must be one of {PLATFORMS}, got {platform!r}")
    if not token or len(token) > 1024:
        raise ValueError("token must be a non-empty string of at most 1024 characters")
    who = recipient(journey_id)
    existing = session.scalar(
        sa.select(Device).where(of(Device, who), Device.channel == channel, Device.token == token)
    )
    if existing is not None:
        existing.platform = platform
        return existing
    device = Device(
        journey_id=who.journey_id, booking_id=who.booking_id, channel=channel, token=token, platform=platform
    )
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
    found = addresses_for(session, [Recipient(journey_id=j) for j in journey_ids])
    return {who.journey_id: addresses for who, addresses in found.items() if who.journey_id is not None}


def addresses_for(session: Session, recipients: Sequence[Recipient]) -> dict[Recipient, list[Address]]:
    found: dict[Recipient, list[Address]] = {who: [] for who in recipients}
    rows = session.execute(
        sa.select(Device.journey_id, Device.booking_id, Device.channel, Device.token, Device.platform)
        .where(of_any(Device, recipients))
        .order_by(Device.id)
    )
    for journey_id, booking_id, channel, token, platform in rows:
        found[Recipient(journey_id, booking_id)].append(Address(channel, token, platform))
    return found


def copy_addresses(session: Session, source: Recipient, target: Recipient) -> int:
    """The booking's addresses go on with the patient's journey at check-in, so the day's
    messages (results ready, come back at) reach the same phone. Returns how many were new."""
    known = {a.key for a in addresses_for(session, [target])[target]}
    copied = 0
    for address in addresses_for(session, [source])[source]:
        if address.key not in known:
            session.add(
                Device(
                    journey_id=target.journey_id,
                    booking_id=target.booking_id,
                    channel=address.channel,
                    token=address.token,
                    platform=address.platform,
                )
            )
            copied += 1
    return copied
