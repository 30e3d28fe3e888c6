"""Turn a path into legs per floor and steps a patient can follow, in English and Chinese."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .model import Edge, EdgeKind, Node, Profile, SiteMap
from .routes import Leg, PathResult, RoutePoint, Step

TURN_DEGREES = 35.0  # a smaller change of heading is "keep going"
LANDMARK_RADIUS_M = 15.0


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
        b = site.buildings.get(current.building)
        legs.append(
            Leg(
                building=current.building,
                building_name_en=b.name_en if b else current.building,
                building_name_zh=b.name_zh if b else current.building,
                floor=current.floor,
                ordinal=current.ordinal,
                points=list(points),
                distance_m=round(dist, 2),
                seconds=round(secs, 2),
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


# -- words ---------------------------------------------------------------------------


def _floor_words(site: SiteMap, node: Node, with_building: bool) -> tuple[str, str]:
    if not with_building:
        return f"floor {node.floor}", node.floor
    b = site.buildings.get(node.building)
    name_en = b.name_en if b and b.name_en else f"Building {node.building}"
    name_zh = b.name_zh if b and b.name_zh else node.building
    return f"floor {node.floor} of {name_en}", f"{name_zh}{node.floor}"


def _place_words(node: Node) -> tuple[str, str]:
    en = node.name_en or node.landmark_en
    zh = node.name_zh or node.landmark_zh
    return (f"{en} ({node.id})" if en else node.id, f"{zh}（{node.id}）" if zh else node.id)


class Landmarks:
    """The nearest named thing to a point on a floor."""

    def __init__(self, site: SiteMap) -> None:
        self.by_floor: dict[tuple[str, str], list[Node]] = {}
        for n in site.nodes.values():
            if n.landmark_en or n.landmark_zh:
                self.by_floor.setdefault((n.building, n.floor), []).append(n)

    def near(self, node: Node, skip: tuple[str, ...] = ()) -> Node | None:
        best: Node | None = None
        best_d = LANDMARK_RADIUS_M
        for n in self.by_floor.get((node.building, node.floor), ()):
            if n.id in skip:
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
_TURN_EN = {"left": "Turn left", "right": "Turn right", "around": "Turn around"}
_WALKABLE = frozenset({EdgeKind.CORRIDOR, EdgeKind.DOOR})


def build_steps(
    site: SiteMap,
    found: PathResult,
    profile: Profile,
    edges: Mapping[str, Edge] | None = None,
    landmarks: Landmarks | None = None,
) -> list[Step]:
    """Start, walks, turns (with the nearest landmark), rides and arrival."""
    arcs = _arcs(site, found, profile, edges)
    marks = landmarks or Landmarks(site)
    origin, dest = site.nodes[found.nodes[0]], site.nodes[found.nodes[-1]]
    o_en, o_zh = _place_words(origin)
    f_en, f_zh = _floor_words(site, origin, with_building=True)
    steps = [Step("start", f"Start at {o_en}, {f_en}.", f"从{f_zh}的{o_zh}出发。", 0.0, 0.0, origin.id)]
    walk_m = walk_s = 0.0
    walk_from = origin.id
    heading: tuple[float, float] | None = None

    def flush() -> None:
        nonlocal walk_m, walk_s
        if walk_s > 0:
            m = round(walk_m)
            steps.append(Step("walk", f"Walk {m} m.", f"步行{m}米。", walk_m, walk_s, walk_from))
        walk_m = walk_s = 0.0

    i = 0
    while i < len(arcs):
        arc = arcs[i]
        kind = arc.edge.kind
        vec = (arc.head.x - arc.tail.x, arc.head.y - arc.tail.y)
        moving = math.hypot(*vec) > 1e-6
        if kind in _WALKABLE or kind is EdgeKind.RAMP:
            direction = _turn(heading, vec) if heading is not None and moving else None
            if direction is not None:
                flush()
                mark = marks.near(arc.tail, skip=(origin.id, dest.id))
                if mark is not None:
                    m_en = mark.landmark_en or mark.name_en
                    m_zh = mark.landmark_zh or mark.name_zh
                    en, zh = f"{_TURN_EN[direction]} at {m_en}.", f"在{m_zh}{_TURN_ZH[direction]}。"
                else:
                    en, zh = f"{_TURN_EN[direction]}.", f"{_TURN_ZH[direction]}。"
                steps.append(Step("turn", en, zh, 0.0, 0.0, arc.tail.id))
            if kind is EdgeKind.RAMP:
                flush()
                m = round(arc.edge.length_m)
                steps.append(
                    Step(
                        "ramp",
                        f"Take the ramp ({m} m).",
                        f"走坡道（{m}米）。",
                        arc.edge.length_m,
                        arc.seconds,
                        arc.tail.id,
                    )
                )
            else:
                if walk_s == 0:
                    walk_from = arc.tail.id
                walk_m += arc.edge.length_m
                walk_s += arc.seconds
            if moving:
                heading = vec
            i += 1
            continue
        flush()
        heading = None
        if kind in (EdgeKind.STAIRS, EdgeKind.ESCALATOR):
            j = i  # one step for a whole flight of several floors
            while j + 1 < len(arcs) and arcs[j + 1].edge.kind is kind:
                j += 1
            last = arcs[j]
            up = last.head.ordinal > arc.tail.ordinal
            f_en, f_zh = _floor_words(site, last.head, with_building=False)
            secs = sum(a.seconds for a in arcs[i : j + 1])
            dist = sum(a.edge.length_m for a in arcs[i : j + 1])
            if kind is EdgeKind.STAIRS:
                en = f"Take the stairs {'up' if up else 'down'} to {f_en}."
                zh = f"走楼梯{'上' if up else '下'}到{f_zh}。"
            else:
                en = f"Take the escalator {'up' if up else 'down'} to {f_en}."
                zh = f"乘自动扶梯{'上' if up else '下'}到{f_zh}。"
            steps.append(Step(kind.value, en, zh, dist, secs, arc.tail.id))
            i = j + 1
            continue
        if kind is EdgeKind.ELEVATOR:
            car = site.elevator_of(arc.tail.id)
            name_en = car.name_en if car and car.name_en else "the elevator"
            name_zh = car.name_zh if car and car.name_zh else "电梯"
            f_en, f_zh = _floor_words(site, arc.head, with_building=False)
            steps.append(
                Step(
                    "elevator",
                    f"Take {name_en} to {f_en}.",
                    f"乘坐{name_zh}到{f_zh}。",
                    arc.edge.length_m,
                    arc.seconds,
                    arc.tail.id,
                )
            )
        elif kind is EdgeKind.SKYBRIDGE:
            b_en, b_zh = _floor_words(site, arc.head, with_building=True)
            m = round(arc.edge.length_m)
            steps.append(
                Step(
                    "skybridge",
                    f"Cross the skybridge ({m} m) to {b_en}.",
                    f"经连廊（{m}米）到{b_zh}。",
                    arc.edge.length_m,
                    arc.seconds,
                    arc.tail.id,
                )
            )
        else:  # outdoor
            b_en, b_zh = _floor_words(site, arc.head, with_building=True)
            m = round(arc.edge.length_m)
            steps.append(
                Step(
                    "outdoor",
                    f"Go outside and walk {m} m to {b_en}.",
                    f"出门后步行{m}米到{b_zh}。",
                    arc.edge.length_m,
                    arc.seconds,
                    arc.tail.id,
                )
            )
        i += 1
    flush()
    d_en, d_zh = _place_words(dest)
    f_en, f_zh = _floor_words(site, dest, with_building=True)
    steps.append(Step("arrive", f"Arrive at {d_en}, {f_en}.", f"到达{f_zh}的{d_zh}。", 0.0, 0.0, dest.id))
    return steps
