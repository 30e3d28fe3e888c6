"""Turn a path into legs per floor and steps a patient can follow, in English and Chinese.

Steps go from landmark to landmark: each says what to do at a decision point (turn, take the
stairs, cross the bridge...) and how far to walk after it. Actions a few metres apart are said
in one step ("turn left at the Pharmacy, then take the stairs up to floor 2"), walks are never
steps of their own, and no landmark is named twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .model import Edge, EdgeKind, Node, Profile, SiteMap
from .routes import Leg, PathResult, RoutePoint, Step
from .words import building_words, floor_of_building, landmark_words, place_words

TURN_DEGREES = 35.0  # a smaller change of heading is "keep going"
LANDMARK_RADIUS_M = 15.0
SHORT_WALK_M = 12.0  # a walk shorter than this joins the next action to the same step
MAX_ACTIONS_PER_STEP = 3


@dataclass(frozen=True, slots=True)
class _Arc:
    edge: Edge
    tail: Node
    head: Node
    seconds: float


def _arcs(site: SiteMap, found: PathResult, profile: Profile, edges: Mapping[str, Edge] | None) -> list[_Arc]:
    if edges is None:
        edges = {e.id: e for e in site.all_edges()} if found.edges else {}
    out: list[_Arc] = []
    for i, eid in enumerate(found.edges):
        e = edges[eid]
        tail, head = site.nodes[found.nodes[i]], site.nodes[found.nodes[i + 1]]
        floors = abs(tail.ordinal - head.ordinal)
        sec = profile.edge_seconds(e.kind, e.length_m, floors) or 0.0
        out.append(_Arc(e, tail, head, max(sec, 1e-3)))
    return out


def build_legs(
    site: SiteMap, found: PathResult, profile: Profile, edges: Mapping[str, Edge] | None = None
) -> list[Leg]:
    """One leg per stretch on the same floor of the same building."""
    legs: list[Leg] = []
    points: list[RoutePoint] = []
    dist = secs = 0.0
    current: Node | None = None

    def close() -> None:
        if current is None:
            return
        b_en, b_zh = building_words(site, current.building)
        f_en, f_zh = floor_of_building(site, current)
        legs.append(
            Leg(
                building=current.building,
                building_name_en=b_en,
                building_name_zh=b_zh,
                floor=current.floor,
                ordinal=current.ordinal,
                points=list(points),
                distance_m=round(dist, 2),
                seconds=round(secs, 2),
                floor_title_en=f"{f_en[0].upper()}{f_en[1:]}",
                floor_title_zh=f_zh,
            )
        )

    arcs = _arcs(site, found, profile, edges)
    for i, nid in enumerate(found.nodes):
        node = site.nodes[nid]
        if current is None or (node.building, node.floor) != (current.building, current.floor):
            close()
            points, dist, secs, current = [], 0.0, 0.0, node
        points.append(RoutePoint(node.id, node.kind.value, node.x, node.y))
        if i < len(arcs):  # an arc counts on the leg where it starts
            dist += arcs[i].edge.length_m
            secs += arcs[i].seconds
    close()
    return legs


# -- landmarks and turns ---------------------------------------------------------------


class Landmarks:
    """The nearest named thing to a point on a floor."""

    def __init__(self, site: SiteMap) -> None:
        self.by_floor: dict[tuple[str, str], list[Node]] = {}
        for n in site.nodes.values():
            if n.landmark_en or n.landmark_zh or (n.category and landmark_words(n)[0]):
                self.by_floor.setdefault((n.building, n.floor), []).append(n)

    def near(self, node: Node, skip: set[str] | tuple[str, ...] = ()) -> Node | None:
        best: Node | None = None
        best_d = LANDMARK_RADIUS_M
        for n in self.by_floor.get((node.building, node.floor), ()):
            if n.id in skip or landmark_words(n)[0] in skip:
                continue
            d = math.hypot(n.x - node.x, n.y - node.y)
            if d <= best_d:
                best, best_d = n, d
        return best


def _turn(prev: tuple[float, float], nxt: tuple[float, float]) -> str | None:
    """'left', 'right', 'around' or None (straight on) between two headings."""
    cross = prev[0] * nxt[1] - prev[1] * nxt[0]
    dot = prev[0] * nxt[0] + prev[1] * nxt[1]
    angle = math.degrees(math.atan2(cross, dot))
    if abs(angle) < TURN_DEGREES:
        return None
    if abs(angle) > 150:
        return "around"
    return "left" if angle > 0 else "right"


_TURN_ZH = {"left": "左转", "right": "右转", "around": "掉头"}
_TURN_EN = {"left": "turn left", "right": "turn right", "around": "turn around"}
_WALKABLE = frozenset({EdgeKind.CORRIDOR, EdgeKind.DOOR})


# -- actions: what to do at each decision point -------------------------------------------


@dataclass
class _Action:
    kind: str  # start | turn | stairs | escalator | elevator | ramp | skybridge | outdoor | arrive
    en: str  # a clause, lower case: "turn left at Pharmacy"
    zh: str
    node: str
    distance_m: float = 0.0
    seconds: float = 0.0
    walk_m: float = 0.0  # walked after it, before the next action
    walk_s: float = 0.0


class _Actions:
    """Reads the arcs of a path into actions, each followed by the walk to the next one."""

    def __init__(self, site: SiteMap, arcs: list[_Arc], marks: Landmarks, ends: tuple[str, str]) -> None:
        self.site, self.arcs, self.marks = site, arcs, marks
        self.named: set[str] = set(ends)  # landmarks already said (and the two ends)
        self.out: list[_Action] = []

    def add(self, action: _Action) -> None:
        self.out.append(action)

    def walk(self, arc: _Arc) -> None:
        self.out[-1].walk_m += arc.edge.length_m
        self.out[-1].walk_s += arc.seconds

    def turn(self, direction: str, at: Node) -> _Action:
        mark = self.marks.near(at, skip=self.named)
        if mark is None:
            return _Action("turn", _TURN_EN[direction], _TURN_ZH[direction], at.id)
        m_en, m_zh = landmark_words(mark)
        self.named |= {mark.id, m_en}
        return _Action("turn", f"{_TURN_EN[direction]} at {m_en}", f"在{m_zh}{_TURN_ZH[direction]}", at.id)

    def run(self) -> list[_Action]:
        arcs, i = self.arcs, 0
        heading: tuple[float, float] | None = None
        while i < len(arcs):
            arc = arcs[i]
            kind = arc.edge.kind
            vec = (arc.head.x - arc.tail.x, arc.head.y - arc.tail.y)
            moving = math.hypot(*vec) > 1e-6
            if kind in _WALKABLE and not self._outdoors(arc):
                direction = _turn(heading, vec) if heading is not None and moving else None
                if direction is not None:
                    self.add(self.turn(direction, arc.tail))
                self.walk(arc)
                heading = vec if moving else heading
                i += 1
                continue
            j = self._run_end(i)
            self.add(self._ride(arcs[i : j + 1]))
            heading = vec if kind is EdgeKind.RAMP else None
            i = j + 1
        return self.out

    def _outdoors(self, arc: _Arc) -> bool:
        a, b = self.site.buildings.get(arc.tail.building), self.site.buildings.get(arc.head.building)
        return bool(a and a.outdoor) or bool(b and b.outdoor)

    def _run_end(self, i: int) -> int:
        """The last arc of the run that starts at arc i and makes one action: a flight of
        stairs over several floors, a walk outside over several paths."""
        kind, j = self.arcs[i].edge.kind, i
        outside = kind is EdgeKind.OUTDOOR or self._outdoors(self.arcs[i])
        while j + 1 < len(self.arcs):
            nxt = self.arcs[j + 1]
            if (
                outside
                and (nxt.edge.kind is EdgeKind.OUTDOOR or self._outdoors(nxt))
                or not outside
                and nxt.edge.kind is kind
                and kind in (EdgeKind.STAIRS, EdgeKind.ESCALATOR)
            ):
                j += 1
            else:
                break
        return j

    def _ride(self, run: list[_Arc]) -> _Action:
        first, last = run[0], run[-1]
        dist = sum(a.edge.length_m for a in run)
        secs = sum(a.seconds for a in run)
        kind = first.edge.kind
        m = round(dist)
        if kind is not EdgeKind.OUTDOOR and self._outdoors(first):
            kind = EdgeKind.OUTDOOR
        if kind in (EdgeKind.STAIRS, EdgeKind.ESCALATOR):
            up = last.head.ordinal > first.tail.ordinal
            f_en, f_zh = floor_of_building(self.site, last.head, with_building=False)
            if kind is EdgeKind.STAIRS:
                en, zh = (
                    f"take the stairs {'up' if up else 'down'} to {f_en}",
                    f"走楼梯{'上' if up else '下'}到{f_zh}",
                )
            else:
                en = f"take the escalator {'up' if up else 'down'} to {f_en}"
                zh = f"乘自动扶梯{'上' if up else '下'}到{f_zh}"
        elif kind is EdgeKind.ELEVATOR:
            car = next(
                (c for c in self.site.elevators if first.tail.id in c.stops and first.head.id in c.stops),
                None,
            )
            name_en = car.name_en.strip() if car and car.name_en.strip() else "the elevator"
            name_zh = car.name_zh.strip() if car and car.name_zh.strip() else "电梯"
            f_en, f_zh = floor_of_building(self.site, first.head, with_building=False)
            en, zh = f"take {name_en} to {f_en}", f"乘坐{name_zh}到{f_zh}"
        elif kind is EdgeKind.RAMP:
            en, zh = f"take the ramp ({m} m)", f"走坡道（{m}米）"
        elif kind is EdgeKind.SKYBRIDGE:
            b_en, b_zh = floor_of_building(self.site, last.head)
            en, zh = f"cross the skybridge ({m} m) to {b_en}", f"经连廊（{m}米）到{b_zh}"
        else:
            en, zh = self._outside_words(first.tail, last.head, m)
        return _Action(kind.value, en, zh, first.tail.id, dist, secs)

    def _outside_words(self, tail: Node, head: Node, m: int) -> tuple[str, str]:
        """'leave building A and walk 120 m outside to floor 1 of building B'."""
        leaving = self.site.buildings.get(tail.building)
        to_en, to_zh = floor_of_building(self.site, head)
        if leaving is None or leaving.outdoor or tail.building == head.building:
            return f"go outside and walk {m} m to {to_en}", f"出门后步行{m}米到{to_zh}"
        a_en, a_zh = building_words(self.site, tail.building)
        return (
            f"leave {a_en} and walk {m} m outside to {to_en}",
            f"离开{a_zh}，在室外步行{m}米到{to_zh}",
        )


# -- steps: actions a few metres apart said together ------------------------------------------


def _step(actions: list[_Action]) -> Step:
    """One step from actions said together, with the walk after the last one."""
    last = actions[-1]
    en = ", then ".join(a.en for a in actions)
    zh = "，然后".join(a.zh for a in actions)
    if last.walk_m >= SHORT_WALK_M:
        m = round(last.walk_m)
        en, zh = f"{en} and walk {m} m", f"{zh}，步行{m}米"
    # named after its ride (elevator, outside...) if it has one, else after how it begins
    main = next((a.kind for a in actions if a.kind not in ("start", "turn")), actions[0].kind)
    return Step(
        main,
        f"{en[0].upper()}{en[1:]}.",
        f"{zh}。",
        sum(a.distance_m + a.walk_m for a in actions),
        sum(a.seconds + a.walk_s for a in actions),
        actions[0].node,
    )


def build_steps(
    site: SiteMap,
    found: PathResult,
    profile: Profile,
    edges: Mapping[str, Edge] | None = None,
    landmarks: Landmarks | None = None,
) -> list[Step]:
    """Start, landmark-to-landmark actions (turns, rides, bridges, outside) and arrival."""
    arcs = _arcs(site, found, profile, edges)
    origin, dest = site.nodes[found.nodes[0]], site.nodes[found.nodes[-1]]
    o_en, o_zh = place_words(origin)
    f_en, f_zh = floor_of_building(site, origin)
    reader = _Actions(site, arcs, landmarks or Landmarks(site), (origin.id, dest.id))
    reader.add(_Action("start", f"start at {o_en}, {f_en}", f"从{f_zh}的{o_zh}出发", origin.id))
    actions = reader.run()
    steps: list[Step] = []
    group: list[_Action] = []
    for action in actions:
        if group and (group[-1].walk_m >= SHORT_WALK_M or len(group) >= MAX_ACTIONS_PER_STEP):
            steps.append(_step(group))
            group = []
        group.append(action)
    steps.append(_step(group))
    d_en, d_zh = place_words(dest)
    f_en, f_zh = floor_of_building(site, dest)
    steps.append(Step("arrive", f"Arrive at {d_en}, {f_en}.", f"到达{f_zh}的{d_zh}。", 0.0, 0.0, dest.id))
    return steps
