"""Whom a message or an address belongs to: a journey (the patient on the day), or a booking
(the patient before the day, who has no journey until check-in).

Exactly one of the two is set, here and in the database (a check constraint on the outbox and
the devices), so one dispatcher, with its leases, retries and channels, delivers both.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

ONE_RECIPIENT = "(journey_id IS NULL) <> (booking_id IS NULL)"


@dataclass(frozen=True)
class Recipient:
    journey_id: int | None = None
    booking_id: int | None = None

    def __post_init__(self) -> None:
        if (self.journey_id is None) == (self.booking_id is None):
            raise ValueError("a message goes to a journey or to a booking, exactly one of them")


def recipient(owner: "int | Recipient") -> Recipient:
    """A bare id is a journey's, as it always was."""
    return owner if isinstance(owner, Recipient) else Recipient(journey_id=owner)


def one_recipient(table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(ONE_RECIPIENT, name=f"ck_{table}_one_recipient")


def of(model: Any, who: Recipient) -> sa.ColumnElement[bool]:
    """`model`'s rows of this recipient."""
    if who.journey_id is not None:
        return model.journey_id == who.journey_id
    return model.booking_id == who.booking_id


def of_any(model: Any, recipients: Collection[Recipient]) -> sa.ColumnElement[bool]:
    journeys = [r.journey_id for r in recipients if r.journey_id is not None]
    bookings = [r.booking_id for r in recipients if r.booking_id is not None]
    return sa.or_(model.journey_id.in_(journeys), model.booking_id.in_(bookings))
