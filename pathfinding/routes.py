"""What a routing request returns: a route with legs and steps, or a reason why not."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class UnknownPlaceError(LookupError):
    """The origin or destination is neither a room code nor a node id of the map."""

    def __init__(self, place: str) -> None:
        super().__init__(f"unknown place {place!r}")
        self.place = place


class NoRouteError(Exception):
    """No route exists under the profile; the reasons name what blocks it."""

    def __init__(self, reason_en: str, reason_zh: str, *, code: str, blocked: tuple[str, ...] = ()):
        super().__init__(reason_en)
        self.reason_en = reason_en
        self.reason_zh = reason_zh
        self.code = code  # no_step_free_access | destination_closed | origin_closed | closed | no_path
        self.blocked = blocked  # ids of closed edges/nodes or of the unreachable floor

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "reason_en": self.reason_en,
            "reason_zh": self.reason_zh,
            "blocked": list(self.blocked),
        }


@dataclass(frozen=True, slots=True)
class PathResult:
    """The bare shortest path: node ids, edge ids and its cost."""

    profile: str
    nodes: list[str]
    edges: list[str]
    seconds: float
    distance_m: float
    from_index: bool  # served by the precomputed trees (False: live search)


@dataclass(frozen=True, slots=True)
class RoutePoint:
    id: str
    kind: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Leg:
    """The part of a route on one floor of one building."""

    building: str
    building_name_en: str
    building_name_zh: str
    floor: str
    ordinal: int
    points: list[RoutePoint]
    distance_m: float
    seconds: float
    floor_title_en: str = ""  # "Floor 2F of Outpatient Building": names the floor plan
    floor_title_zh: str = ""  # "门诊楼2楼"


@dataclass(frozen=True, slots=True)
class Step:
    kind: str  # start | walk | turn | elevator | stairs | escalator | ramp | skybridge | outdoor | arrive
    text_en: str
    text_zh: str
    distance_m: float
    seconds: float
    node: str  # where the step begins


@dataclass(frozen=True, slots=True)
class Route:
    origin: str
    destination: str
    profile: str
    distance_m: float
    seconds: float
    nodes: list[str]
    legs: list[Leg] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)
