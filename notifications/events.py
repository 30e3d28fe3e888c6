"""The moments in a journey (and, before the day, in a booking) when CarePath tells the
patient something, and how each is sent.

Delivery policy lives next to the event so the dispatcher and every transport agree on it:
step messages go stale quickly (a "your turn" from ten minutes ago sends the patient to the
wrong desk), only the two queue calls may wake a phone from Doze, a newer "plan changed"
replaces the one already on the screen, and an unseen "your turn" is escalated to the next channel.
"""

from dataclasses import dataclass
from enum import StrEnum


class Event(StrEnum):
    JOURNEY_STARTED = "journey_started"
    NEXT_STEP = "next_step"
    TURN_SOON = "turn_soon"
    TURN_NOW = "turn_now"
    PLAN_CHANGED = "plan_changed"
    MAY_EAT = "may_eat"
    REPORT_READY = "report_ready"
    JOURNEY_COMPLETE = "journey_complete"
    JOURNEY_CLOSED = "journey_closed"  # staff closed the visit before its steps were done
    # Before the day, to a booking (navigation/booking/messages.py).
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_PREPARE = "booking_prepare"  # the evening before a visit
    BOOKING_ARRIVE = "booking_arrive"  # on the day, before the window opens
    BOOKING_MOVED = "booking_moved"  # rebooked to another window
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKING_MISSED = "booking_missed"  # the window was missed: choose a new one
    BOOKING_EXPIRED = "booking_expired"  # not paid in time


class Priority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"


@dataclass(frozen=True)
class DeliveryPolicy:
    priority: Priority
    ttl_seconds: int
    replaces_previous: bool = False
    # Re-sent on the patient's next channel when not seen in time (DispatchConfig.escalate_after).
    escalates: bool = False


_MINUTE = 60
_HOUR = 60 * _MINUTE

POLICIES: dict[Event, DeliveryPolicy] = {
    Event.JOURNEY_STARTED: DeliveryPolicy(Priority.NORMAL, 1 * _HOUR),
    Event.NEXT_STEP: DeliveryPolicy(Priority.NORMAL, 10 * _MINUTE),
    Event.TURN_SOON: DeliveryPolicy(Priority.HIGH, 5 * _MINUTE),
    Event.TURN_NOW: DeliveryPolicy(Priority.HIGH, 3 * _MINUTE, escalates=True),
    Event.PLAN_CHANGED: DeliveryPolicy(Priority.NORMAL, 30 * _MINUTE, replaces_previous=True),
    Event.MAY_EAT: DeliveryPolicy(Priority.NORMAL, 2 * _HOUR),
    Event.REPORT_READY: DeliveryPolicy(Priority.NORMAL, 24 * _HOUR),
    Event.JOURNEY_COMPLETE: DeliveryPolicy(Priority.NORMAL, 1 * _HOUR),
    Event.JOURNEY_CLOSED: DeliveryPolicy(Priority.NORMAL, 2 * _HOUR),
    Event.BOOKING_CONFIRMED: DeliveryPolicy(Priority.NORMAL, 24 * _HOUR),
    # Sent at 18:00: worth sending until the fasting starts.
    Event.BOOKING_PREPARE: DeliveryPolicy(Priority.NORMAL, 4 * _HOUR),
    # Sent an hour before the window: useless once it has opened.
    Event.BOOKING_ARRIVE: DeliveryPolicy(Priority.NORMAL, 1 * _HOUR),
    Event.BOOKING_MOVED: DeliveryPolicy(Priority.NORMAL, 24 * _HOUR),
    Event.BOOKING_CANCELLED: DeliveryPolicy(Priority.NORMAL, 24 * _HOUR),
    Event.BOOKING_MISSED: DeliveryPolicy(Priority.NORMAL, 24 * _HOUR),
    Event.BOOKING_EXPIRED: DeliveryPolicy(Priority.NORMAL, 24 * _HOUR),
}


# Sent later about one booked window: withdrawn when the window moves or ends.
BOOKING_REMINDERS = (Event.BOOKING_PREPARE, Event.BOOKING_ARRIVE)


def replace_tag(event: Event, journey_id: int | None) -> str | None:
    """The tag under which a newer message replaces an older one on the phone, if any."""
    if POLICIES[event].replaces_previous:
        return f"carepath-{event.value}-{journey_id}"
    return None
