"""Walking time between rooms until pathfinding/ supplies a real matrix.

A straight-line estimate from the room code and floor: rooms on one floor are spaced along
a corridor, a floor change costs a lift ride, another building costs the link corridor.
Slower profiles walk slower; a wheelchair also waits longer for the lift.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from navigation.sequencing.model import Mobility, Room

SPEED_M_PER_S = {Mobility.WALKING: 1.2, Mobility.SLOW: 0.7, Mobility.WHEELCHAIR: 0.9}
LIFT_WAIT_S = {Mobility.WALKING: 30.0, Mobility.SLOW: 45.0, Mobility.WHEELCHAIR: 75.0}
LIFT_S_PER_FLOOR = 6.0
ROOM_SPACING_M = 6.0
BUILDING_LINK_M = 120.0
FLOOR_EQUIVALENT_M = 10.0  # distance counted for each floor climbed, for the walking KPI


@dataclass
class StraightLineWalking:
    """`walking_seconds(from_room, to_room, mobility)` from building, floor and room number."""

    rooms: dict[str, tuple[str, int, float]]  # code -> (building, floor, position along corridor)

    @classmethod
    def for_rooms(cls, rooms: Iterable[Room]) -> StraightLineWalking:
        return cls({r.code: (r.building, r.floor, _position(r.code)) for r in rooms})

    def metres(self, a: str | None, b: str | None) -> float:
        if a is None or b is None or a == b or a not in self.rooms or b not in self.rooms:
            return 0.0
        (ba, fa, xa), (bb, fb, xb) = self.rooms[a], self.rooms[b]
        # another floor or building: via the lift and link at the corridor's start
        flat = xa + xb + (0.0 if ba == bb else BUILDING_LINK_M)
        if ba == bb and fa == fb:
            flat = abs(xa - xb)
        return flat + FLOOR_EQUIVALENT_M * abs(fa - fb)

    def __call__(self, a: str, b: str, mobility: Mobility) -> float:
        if a == b or a not in self.rooms or b not in self.rooms:
            return 0.0
        floors = abs(self.rooms[a][1] - self.rooms[b][1])
        flat = self.metres(a, b) - FLOOR_EQUIVALENT_M * floors
        seconds = flat / SPEED_M_PER_S[mobility]
        if floors:
            seconds += LIFT_WAIT_S[mobility] + LIFT_S_PER_FLOOR * floors
        return seconds


def _position(code: str) -> float:
    match = re.search(r"(\d+)\D*$", code)
    return ROOM_SPACING_M * (int(match.group(1)) if match else 1)
