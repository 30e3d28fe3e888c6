"""Escalation: a "your turn" the patient has not seen in time goes out on their next channel.

A delivered message whose event escalates gets `escalate_at`; the patient seeing it (page or
push opened, "I'm here": outbox.mark_seen) clears it. When it falls due, the message goes back
to pending with its channel skipped, so the next pass sends it on the next channel that has an
address. A conditional update makes one dispatcher win when several look at once.
"""

from collections.abc import Collection, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notifications.devices import Address, addresses_for
from notifications.outbox import OutboxMessage, Status
from notifications.preferences import orders_for
from notifications.recipients import Recipient


def choose_channel(
    order: Sequence[str], skipped: Collection[str], addresses: Sequence[Address], usable: Collection[str]
) -> str | None:
    """The first channel in the patient's order not given up on, with a transport and an address."""
    reachable = {address.channel for address in addresses}
    for channel in order:
        if channel not in skipped and channel in usable and channel in reachable:
            return channel
    return None


def escalate_due(
    session: Session, now: datetime, default_order: Sequence[str], usable: Collection[str], limit: int
) -> int:
    """Move unseen messages whose wait is over to their next channel; commits. Returns how many."""
    due = session.execute(
        sa.select(
            OutboxMessage.id,
            OutboxMessage.journey_id,
            OutboxMessage.booking_id,
            OutboxMessage.channel,
            OutboxMessage.skipped_channels,
            OutboxMessage.escalate_at,
        )
        .where(
            OutboxMessage.status == Status.DELIVERED.value,
            OutboxMessage.seen_at.is_(None),
            OutboxMessage.escalate_at <= now,
        )
        .order_by(OutboxMessage.escalate_at)
        .limit(limit)
    ).all()
    if not due:
        return 0
    recipients = list({Recipient(row.journey_id, row.booking_id): None for row in due})
    addresses = addresses_for(session, recipients)
    orders = orders_for(session, recipients, default_order)
    moved = 0
    for row in due:
        who = Recipient(row.journey_id, row.booking_id)
        skipped = [*(row.skipped_channels or []), row.channel]
        target = choose_channel(orders[who], skipped, addresses[who], usable)
        values: dict[str, object] = {"escalate_at": None}
        if target is not None:
            values |= {
                "status": Status.PENDING.value,
                "skipped_channels": skipped,
                "escalations": OutboxMessage.escalations + 1,
                "next_attempt_at": now,
                "finished_at": None,
            }
        result = session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == row.id,
                OutboxMessage.status == Status.DELIVERED.value,
                OutboxMessage.escalate_at == row.escalate_at,
                OutboxMessage.seen_at.is_(None),
            )
            .values(**values),
            execution_options={"synchronize_session": False},
        )
        moved += int(bool(result.rowcount)) if target is not None else 0  # type: ignore[attr-defined]
    session.commit()
    return moved
