"""Which channel reaches a patient first, and where to turn when it fails.

Reception records the patient's preferred channels (the phone page may change them); every
other channel follows in the hospital's configured order. The dispatcher sends a message on
the first channel in that order that still has an address, moves on when a channel fails for
good, and escalates an unseen "your turn" to the next one.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from notifications.db import NotificationsBase, UtcDateTime, utcnow
from notifications.devices import CHANNELS, FCM, SMS, WEBPUSH, WECHAT
from notifications.recipients import Recipient

# App first, the browser next, then WeChat, and SMS (paid per message) last.
DEFAULT_ORDER: tuple[str, ...] = (FCM, WEBPUSH, WECHAT, SMS)


class ChannelPreference(NotificationsBase):
    __tablename__ = "notification_preferences"

    journey_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    channels: Mapped[list[str]] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def parse_order(text: str | None) -> tuple[str, ...]:
    """CAREPATH_CHANNEL_ORDER, e.g. "wechat,sms,webpush,fcm"; channels left out go last."""
    if not text:
        return DEFAULT_ORDER
    named = check_channels([part.strip() for part in text.split(",") if part.strip()])
    return tuple(named) + tuple(c for c in DEFAULT_ORDER if c not in named)


def check_channels(channels: Sequence[str]) -> list[str]:
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown channel {unknown[0]!r}; channels are {', '.join(CHANNELS)}")
    if len(set(channels)) != len(channels):
        raise ValueError("a channel is named twice")
    return list(channels)


def set_preference(session: Session, journey_id: int, channels: Sequence[str]) -> list[str]:
    """The patient's channels, preferred first (in the caller's transaction)."""
    checked = check_channels(channels)
    row = session.get(ChannelPreference, journey_id)
    if row is None:
        session.add(ChannelPreference(journey_id=journey_id, channels=checked))
    else:
        row.channels = checked
        row.updated_at = utcnow()
    return checked


def preference(session: Session, journey_id: int) -> list[str]:
    row = session.get(ChannelPreference, journey_id)
    return list(row.channels) if row is not None else []


def orders_of(session: Session, journey_ids: Sequence[int], default: Sequence[str]) -> dict[int, list[str]]:
    """Each journey's full channel order: its preference, then the configured order."""
    rows = session.execute(
        sa.select(ChannelPreference.journey_id, ChannelPreference.channels).where(
            ChannelPreference.journey_id.in_(list(journey_ids))
        )
    )
    chosen: dict[int, list[str]] = {journey_id: list(channels) for journey_id, channels in rows}
    return {j: full_order(chosen.get(j) or [], default) for j in journey_ids}


def orders_for(
    session: Session, recipients: Sequence[Recipient], default: Sequence[str]
) -> dict[Recipient, list[str]]:
    """Each recipient's full channel order; a booking (no preference recorded before the day)
    follows the configured order."""
    journeys = orders_of(session, [r.journey_id for r in recipients if r.journey_id is not None], default)
    return {r: journeys[r.journey_id] if r.journey_id is not None else list(default) for r in recipients}


def full_order(preferred: Sequence[str], default: Sequence[str]) -> list[str]:
    return list(preferred) + [c for c in default if c not in preferred]
