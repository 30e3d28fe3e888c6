"""Room queues run by nurses: who is called next, who waits how long, what the patient is told.

Every function takes a session, a clock value (`now`) and plain values, changes rows in the
caller's transaction (never commits), and returns a `QueueChange` naming the journeys and
rooms it touched: the seam where the re-planner runs on exactly those.
"""

from navigation.queues.lines import (
    QueueChange,
    QueueEmpty,
    StaleEntry,
    WrongRoom,
    entry_for_staff,
    join,
    lock_queues,
    queue_for_room,
    room_for_staff,
)
from navigation.queues.operations import (
    call_next,
    complete,
    hold,
    move,
    no_show,
    pause,
    recall,
    rejoin,
    release,
    resume,
    set_priority,
    skip,
    start,
    undo,
)
from navigation.queues.views import journey_queue, room_plan, room_view, service_view, signage

__all__ = [
    "QueueChange",
    "QueueEmpty",
    "StaleEntry",
    "WrongRoom",
    "call_next",
    "complete",
    "entry_for_staff",
    "hold",
    "join",
    "journey_queue",
    "lock_queues",
    "move",
    "no_show",
    "pause",
    "queue_for_room",
    "recall",
    "rejoin",
    "release",
    "resume",
    "room_for_staff",
    "room_plan",
    "room_view",
    "service_view",
    "set_priority",
    "signage",
    "skip",
    "start",
    "undo",
]
