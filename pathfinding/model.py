"""Plain data for an indoor map: buildings, floors, nodes, edges, elevators, profiles.

Coordinates are metres in one site-wide plane: ``x`` grows east, ``y`` grows north
(so a left turn is counter-clockwise). Ordinals order floors within a site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class NodeKind(StrEnum):
    ROOM = "room"  # a room door; its id is the room code
    JUNCTION = "junction"
    ENTRANCE = "entrance"
    ELEVATOR = "elevator"  # one elevator stop (a shaft has one per floor served)
    STAIRS = "stairs"  # a stair landing
    ESCALATOR = "escalator"
    RAMP = "ramp"


class EdgeKind(StrEnum):
    CORRIDOR = "corridor"
    DOOR = "door"
    STAIRS = "stairs"
    ELEVATOR = "elevator"
    ESCALATOR = "escalator"
    RAMP = "ramp"
    SKYBRIDGE = "skybridge"
    OUTDOOR = "outdoor"


#: Edge kinds a step-free profile may never use.
STEP_KINDS = frozenset({EdgeKind.STAIRS, EdgeKind.ESCALATOR})
#: Edge kinds that never change floor: one joining two floors is suspect (retyped stairs?)
#: and kept from step-free routes unless the map marks it ``step_free``.
FLAT_KINDS = frozenset({EdgeKind.CORRIDOR, EdgeKind.DOOR, EdgeKind.SKYBRIDGE})
#: Rooms that are never a corridor unless the map says otherwise.
NO_THROUGH_CATEGORIES = frozenset({"restroom", "consulting"})
#: Edge kinds whose time is counted per floor rather than per metre.
VERTICAL_KINDS = frozenset({EdgeKind.STAIRS, EdgeKind.ESCALATOR, EdgeKind.ELEVATOR})


@dataclass(frozen=True, slots=True)
class Floor:
    name: str
    ordinal: int


@dataclass(frozen=True, slots=True)
class Building:
    code: str
    name_en: str
    name_zh: str
    floors: tuple[Floor, ...]
    outdoor: bool = False  # the paths between buildings, drawn and routed as their own level
    outline: tuple[tuple[float, float], ...] = ()  # the footprint, in map metres (y north)

    def floor(self, name: str) -> Floor | None:
        return next((f for f in self.floors if f.name == name), None)


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: NodeKind
    building: str
    floor: str
    ordinal: int
    x: float
    y: float
    name_en: str = ""  # what the place is called ("Ultrasound room 1")
    name_zh: str = ""
    landmark_en: str = ""  # something a patient can see here ("Café")
    landmark_zh: str = ""
    category: str = ""  # what kind of room (restroom, pharmacy...): words.CATEGORY_WORDS
    no_through_traffic: bool | None = None  # None: as its category says (NO_THROUGH_CATEGORIES)

    @property
    def closed_to_through_traffic(self) -> bool:
        """Never walked through on the way elsewhere (reached and left, yes)."""
        if self.no_through_traffic is not None:
            return self.no_through_traffic
        return self.category in NO_THROUGH_CATEGORIES


@dataclass(frozen=True, slots=True)
class Edge:
    id: str
    kind: EdgeKind
    a: str
    b: str
    length_m: float
    oneway: bool = False  # only from a to b (escalators)
    step_free: bool = False  # the map confirms a corridor/door/skybridge joining two floors is level


@dataclass(frozen=True, slots=True)
class Elevator:
    """One elevator car (shaft); its stops are elevator nodes, one per floor served."""

    id: str
    name_en: str
    name_zh: str
    stops: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outline:
    """A polygon drawn under the graph on a floor plan (a unit from IMDF, a wall...)."""

    building: str
    floor: str
    kind: str
    points: tuple[tuple[float, float], ...]
    label: str = ""


@dataclass
class SiteMap:
    code: str
    name_en: str
    name_zh: str
    buildings: dict[str, Building]
    nodes: dict[str, Node]
    edges: list[Edge]
    elevators: list[Elevator] = field(default_factory=list)
    outlines: list[Outline] = field(default_factory=list)

    def rooms(self) -> list[str]:
        return [n.id for n in self.nodes.values() if n.kind is NodeKind.ROOM]

    def elevator_edges(self) -> list[Edge]:
        """One edge between every two stops of a car: the wait is then paid once per ride."""
        out: list[Edge] = []
        for car in self.elevators:
            stops = [s for s in car.stops if s in self.nodes]
            for i, a in enumerate(stops):
                for b in stops[i + 1 :]:
                    out.append(Edge(f"{car.id}:{a}:{b}", EdgeKind.ELEVATOR, a, b, 0.0))
        return out

    def all_edges(self) -> list[Edge]:
        return self.edges + self.elevator_edges()

    def elevator_of(self, node_id: str) -> Elevator | None:
        return next((e for e in self.elevators if node_id in e.stops), None)


@dataclass(frozen=True, slots=True)
class Profile:
    """How one kind of patient moves; every cost is in seconds."""

    name: str
    speed_mps: float
    stairs_s_per_floor: float
    escalator_s_per_floor: float
    elevator_wait_s: float
    elevator_s_per_floor: float
    step_free: bool = False

    def edge_seconds(self, kind: EdgeKind, length_m: float, floors: int) -> float | None:
        """Seconds to cross an edge, or None when this profile cannot use it."""
        if kind in STEP_KINDS and self.step_free:
            return None
        floors = max(floors, 1)
        if kind is EdgeKind.STAIRS:
            return floors * self.stairs_s_per_floor
        if kind is EdgeKind.ESCALATOR:
            return floors * self.escalator_s_per_floor
        if kind is EdgeKind.ELEVATOR:
            return self.elevator_wait_s + floors * self.elevator_s_per_floor
        return length_m / self.speed_mps


WALKING = Profile("walking", 1.2, 15.0, 12.0, 30.0, 3.0)
SLOW = Profile("slow", 0.8, 25.0, 15.0, 30.0, 3.0)
WHEELCHAIR = Profile("wheelchair", 1.0, 0.0, 0.0, 40.0, 3.0, step_free=True)
PROFILES: dict[str, Profile] = {p.name: p for p in (WALKING, SLOW, WHEELCHAIR)}


def get_profile(profile: str | Profile) -> Profile:
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown profile {profile!r}; expected one of {sorted(PROFILES)}") from None
