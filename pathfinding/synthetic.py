"""Synthetic hospitals for tests and benchmarks: buildings x floors x corridor grids.

Each floor is a grid of corridor junctions (lengths slightly longer than the straight
line, as real corridors are) with room doors off it; each building has elevator banks,
stairwells and a step-free entrance ramp; neighbouring buildings are joined by skybridges
on some floors and by outdoor paths between their entrances. Building 0 has a pair of
one-way escalators between its first two floors.
"""

from __future__ import annotations

import math
import random
import string
from typing import Any

from .model import Building, Edge, EdgeKind, Elevator, Floor, Node, NodeKind, SiteMap


def _code(b: int) -> str:
    return string.ascii_uppercase[b] if b < 26 else f"Z{b}"


def synthetic_hospital(
    *,
    buildings: int = 2,
    floors: int = 4,
    grid: tuple[int, int] = (6, 5),
    rooms_per_floor: int = 4,
    banks: int = 1,
    cars_per_bank: int = 2,
    stairwells: int = 2,
    skybridge_floors: tuple[int, ...] = (2,),
    spacing_m: float = 8.0,
    seed: int = 0,
) -> SiteMap:
    rng = random.Random(seed)
    gw, gh = grid
    width = (gw - 1) * spacing_m
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    elevators: list[Elevator] = []
    site_buildings: dict[str, Building] = {}

    def add(nid: str, kind: NodeKind, b: str, f: int, x: float, y: float, **kw: Any) -> str:
        nodes[nid] = Node(nid, kind, b, f"{f}F", f, x, y, **kw)
        return nid

    def link(kind: EdgeKind, a: str, c: str, length: float | None = None, **kw: bool) -> None:
        na, nc = nodes[a], nodes[c]
        if length is None:
            length = math.hypot(na.x - nc.x, na.y - nc.y) * rng.uniform(1.0, 1.25)
        edges.append(Edge(f"{a}~{c}", kind, a, c, round(length, 3), **kw))

    mid = gh // 2
    entrances: list[str] = []
    for bi in range(buildings):
        b = _code(bi)
        x0 = bi * (width + 30.0)
        site_buildings[b] = Building(
            b,
            f"Building {b}",
            f"{b}楼",
            tuple(Floor(f"{f}F", f) for f in range(1, floors + 1)),
        )

        def j(f: int, x: int, y: int, b: str = b) -> str:
            return f"{b}{f}-j{x}.{y}"

        for f in range(1, floors + 1):
            for x in range(gw):
                for y in range(gh):
                    add(j(f, x, y), NodeKind.JUNCTION, b, f, x0 + x * spacing_m, y * spacing_m)
            for x in range(gw):
                for y in range(gh):
                    if x + 1 < gw:
                        link(EdgeKind.CORRIDOR, j(f, x, y), j(f, x + 1, y))
                    if y + 1 < gh:
                        link(EdgeKind.CORRIDOR, j(f, x, y), j(f, x, y + 1))
            spots = rng.sample([(x, y) for x in range(gw) for y in range(gh)], rooms_per_floor)
            for k, (x, y) in enumerate(spots):
                room = add(
                    f"{b}{f}-{k + 1:02d}",
                    NodeKind.ROOM,
                    b,
                    f,
                    x0 + x * spacing_m + 1.5,
                    y * spacing_m + 1.0,
                    name_en=f"Room {b}{f}-{k + 1:02d}",
                    name_zh=f"{b}{f}-{k + 1:02d}室",
                    landmark_en="Reception" if k == 0 else "",
                    landmark_zh="服务台" if k == 0 else "",
                )
                link(EdgeKind.DOOR, room, j(f, x, y))
        for k in range(banks):
            gx = (k + 1) * gw // (banks + 1)
            for c in range(cars_per_bank):
                stops = []
                for f in range(1, floors + 1):
                    stop = add(
                        f"{b}{f}-E{k}{c}",
                        NodeKind.ELEVATOR,
                        b,
                        f,
                        x0 + gx * spacing_m + 2.0 * c,
                        mid * spacing_m + 3.0,
                    )
                    link(EdgeKind.CORRIDOR, stop, j(f, gx, mid), 3.0 + c)
                    stops.append(stop)
                name = f"{b}{k + 1}{string.ascii_lowercase[c]}"
                elevators.append(Elevator(f"{b}-E{k}{c}", f"elevator {name}", f"{name}号电梯", tuple(stops)))
        corners = [(0, 0), (gw - 1, gh - 1), (gw - 1, 0), (0, gh - 1)]
        for s in range(stairwells):
            cx, cy = corners[s % 4]
            landings = []
            for f in range(1, floors + 1):
                landing = add(
                    f"{b}{f}-S{s}",
                    NodeKind.STAIRS,
                    b,
                    f,
                    x0 + cx * spacing_m + 1,
                    cy * spacing_m + 1,
                )
                link(EdgeKind.CORRIDOR, landing, j(f, cx, cy), 2.0)
                landings.append(landing)
            for lo, hi in zip(landings, landings[1:], strict=False):
                link(EdgeKind.STAIRS, lo, hi, 9.0)
        ramp = add(f"{b}1-ramp", NodeKind.RAMP, b, 1, x0 - 4.0, mid * spacing_m)
        ent = add(
            f"ENTRANCE-{b}",
            NodeKind.ENTRANCE,
            b,
            1,
            x0 - 8.0,
            mid * spacing_m,
            landmark_en=f"Entrance {b}",
            landmark_zh=f"{b}楼入口",
        )
        link(EdgeKind.RAMP, ent, ramp, 4.5)
        link(EdgeKind.DOOR, ramp, j(1, 0, mid))
        entrances.append(ent)
        if bi == 0 and floors >= 2 and gw >= 3:
            link(EdgeKind.ESCALATOR, j(1, 1, 0), j(2, 1, 0), 12.0, oneway=True)
            link(EdgeKind.ESCALATOR, j(2, 2, 0), j(1, 2, 0), 12.0, oneway=True)
        if bi > 0:
            prev = _code(bi - 1)
            for f in skybridge_floors:
                if 1 <= f <= floors:
                    link(EdgeKind.SKYBRIDGE, f"{prev}{f}-j{gw - 1}.{mid}", j(f, 0, mid), 30.0)
    for here, there in zip(entrances, entrances[1:], strict=False):
        link(EdgeKind.OUTDOOR, here, there)
    return SiteMap(
        code=f"synthetic-{seed}",
        name_en="Synthetic hospital",
        name_zh="合成医院",
        buildings=site_buildings,
        nodes=nodes,
        edges=edges,
        elevators=elevators,
    )


def synthetic_for_nodes(target: int, seed: int = 0) -> SiteMap:
    """A hospital of about ``target`` nodes with about 2*sqrt(target) rooms."""
    if target >= 150_000:
        buildings, floors = 6, 12
    elif target >= 30_000:
        buildings, floors = 4, 10
    elif target >= 5_000:
        buildings, floors = 3, 6
    else:
        buildings, floors = 2, 4
    per_floor_rooms = max(2, round(2 * math.sqrt(target) / (buildings * floors)))
    per_floor = target / (buildings * floors) - per_floor_rooms - 10
    side = max(3, round(math.sqrt(max(per_floor, 9))))
    return synthetic_hospital(
        buildings=buildings,
        floors=floors,
        grid=(side, side),
        rooms_per_floor=min(per_floor_rooms, side * side),
        banks=2,
        cars_per_bank=3,
        stairwells=3,
        skybridge_floors=tuple(f for f in (2, 4, 7) if f <= floors),
        seed=seed,
    )
