"""A floor plan as SVG, with the route drawn on it, for the phone page.

The route is drawn with the segments that leave or reach the floor across buildings (a
skybridge, a path outside), so a floor the route only passes through never shows a lone dot.
Labels are placed so that none overlaps another or runs off the edge: the destination's and
the route's first, then the others where they fit. The title and description name the floor
and say where the route goes on it, for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from .model import EdgeKind, Node, NodeKind, SiteMap
from .routes import Leg, Route, RoutePoint
from .words import building_words, floor_words, join_zh, name_words

_NODE_COLOURS = {
    NodeKind.ROOM: "#4a6fa5",
    NodeKind.ELEVATOR: "#8e44ad",
    NodeKind.STAIRS: "#d35400",
    NodeKind.ESCALATOR: "#d35400",
    NodeKind.ENTRANCE: "#27ae60",
    NodeKind.RAMP: "#27ae60",
}
_OUTLINE_FILL = {"walkway": "#f4f4f4", "elevator": "#ead7f2", "stairs": "#fbe3d0"}
FONT_PX = 10.0
ROUTE_FONT_PX = 12.0


def text_width(text: str, font_px: float) -> float:
    """A generous estimate of a label's width: CJK characters are square, Latin ones narrower."""
    return sum(font_px if ord(ch) >= 0x2E80 else 0.62 * font_px for ch in text)


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def inside(self, width: float, height: float) -> bool:
        return self.x0 >= 0 and self.y0 >= 0 and self.x1 <= width and self.y1 <= height


class _Labels:
    """Places labels beside their dots where they fit, first come first served."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.placed: list[Box] = []
        self.out: list[str] = []

    def place(self, x: float, y: float, text: str, font_px: float, css: str, must: bool = False) -> bool:
        w, h = text_width(text, font_px), font_px * 1.25  # ascent 1 em, descent a quarter
        candidates = [
            Box(x + 7, y - h / 2, x + 7 + w, y + h / 2),  # right
            Box(x - 7 - w, y - h / 2, x - 7, y + h / 2),  # left
            Box(x - w / 2, y - 8 - h, x + w / 2, y - 8),  # above
            Box(x - w / 2, y + 8, x + w / 2, y + 8 + h),  # below
        ]
        fits = [b for b in candidates if b.inside(self.width, self.height)]
        free = [b for b in fits if not any(b.overlaps(p) for p in self.placed)]
        if free:
            box = free[0]
        elif must:  # the destination is always named, moved inside the drawing
            b = candidates[0]
            dx = max(-b.x0, min(0.0, self.width - b.x1))
            dy = max(-b.y0, min(0.0, self.height - b.y1))
            box = Box(b.x0 + dx, b.y0 + dy, b.x1 + dx, b.y1 + dy)
        else:
            return False
        self.placed.append(box)
        self.out.append(
            f'<text class="{css}" x="{box.x0:.1f}" y="{box.y1 - 0.25 * font_px:.1f}" '
            f'font-size="{font_px:g}" font-family="sans-serif" fill="#222222">{escape(text)}</text>'
        )
        return True


def _label(node: Node, lang: str, outlines: bool) -> str:
    en, zh = name_words(node)
    label = zh if lang == "zh" else en
    if not label and node.kind is NodeKind.ROOM and not outlines:
        label = node.id  # a room code; IMDF ids are uuids no one reads
    return label


def _route_lines(route: Route, building: str, floor: str) -> list[list[RoutePoint]]:
    """The route's lines on this floor, each with the segment that comes from or goes to
    another building on the same level (a skybridge, a path outside)."""
    lines: list[list[RoutePoint]] = []
    legs: list[Leg] = route.legs
    for i, leg in enumerate(legs):
        if (leg.building, leg.floor) != (building, floor):
            continue
        points = list(leg.points)
        before = legs[i - 1] if i > 0 else None
        after = legs[i + 1] if i + 1 < len(legs) else None
        if before is not None and before.building != leg.building and before.ordinal == leg.ordinal:
            points.insert(0, before.points[-1])
        if after is not None and after.building != leg.building and after.ordinal == leg.ordinal:
            points.append(after.points[0])
        lines.append(points)
    return lines


def floor_svg(
    site: SiteMap,
    building: str,
    floor: str,
    route: Route | None = None,
    *,
    width_px: int = 800,
    lang: str = "en",
) -> str:
    """One floor: outlines, corridors, labelled rooms, and the route's legs on that floor."""
    nodes = [n for n in site.nodes.values() if n.building == building and n.floor == floor]
    outlines = [o for o in site.outlines if o.building == building and o.floor == floor]
    if not nodes and not outlines:
        raise ValueError(f"no floor {floor!r} in building {building!r}")
    lines = _route_lines(route, building, floor) if route is not None else []
    xs = [n.x for n in nodes] + [p[0] for o in outlines for p in o.points] + [p.x for ln in lines for p in ln]
    ys = [n.y for n in nodes] + [p[1] for o in outlines for p in o.points] + [p.y for ln in lines for p in ln]
    pad = 6.0
    x0, x1, y0, y1 = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    scale = width_px / max(x1 - x0, 1.0)
    height_px = max(int((y1 - y0) * scale), 40)

    def px(x: float, y: float) -> tuple[float, float]:  # y grows north on the map, down on screen
        return (x - x0) * scale, (y1 - y) * scale

    def pt(x: float, y: float) -> str:
        sx, sy = px(x, y)
        return f"{sx:.1f},{sy:.1f}"

    title, desc = _words(site, building, floor, route, lines, lang)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_px}" height="{height_px}" '
        f'viewBox="0 0 {width_px} {height_px}" role="img" aria-labelledby="title desc">',
        f'<title id="title">{escape(title)}</title>',
        f'<desc id="desc">{escape(desc)}</desc>',
        f'<rect width="{width_px}" height="{height_px}" fill="#ffffff"/>',
    ]
    for o in outlines:
        fill = _OUTLINE_FILL.get(o.kind, "#fafafa")
        pts = " ".join(pt(x, y) for x, y in o.points)
        out.append(f'<polygon points="{pts}" fill="{fill}" stroke="#bbbbbb" stroke-width="1"/>')
    here = {n.id for n in nodes}
    for e in site.edges:
        # Over drawn outlines (IMDF units) the graph's lines only add clutter.
        if not outlines and e.a in here and e.b in here:
            (ax, ay), (bx, by) = (
                px(site.nodes[e.a].x, site.nodes[e.a].y),
                px(site.nodes[e.b].x, site.nodes[e.b].y),
            )
            dash = ' stroke-dasharray="4 3"' if e.kind in (EdgeKind.STAIRS, EdgeKind.ESCALATOR) else ""
            out.append(
                f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" '
                f'stroke="#cccccc" stroke-width="3" stroke-linecap="round"{dash}/>'
            )
    for n in nodes:
        colour = _NODE_COLOURS.get(n.kind)
        if colour is not None:
            cx, cy = px(n.x, n.y)
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}"/>')
    for line in lines:
        out.append(
            f'<polyline class="route" points="{" ".join(pt(p.x, p.y) for p in line)}" fill="none" '
            f'stroke="#1a73e8" stroke-width="6" stroke-linejoin="round" stroke-linecap="round"/>'
        )
    if route is not None:
        for nid, colour, cls in (
            (route.nodes[0], "#27ae60", "route-start"),
            (route.nodes[-1], "#c0392b", "route-end"),
        ):
            if nid in here:
                cx, cy = px(site.nodes[nid].x, site.nodes[nid].y)
                out.append(
                    f'<circle class="{cls}" cx="{cx:.1f}" cy="{cy:.1f}" r="8" fill="{colour}" '
                    f'stroke="#ffffff" stroke-width="2"/>'
                )
    labels = _Labels(width_px, height_px)
    on_route = [p.id for ln in lines for p in ln if p.id in here]
    first = [route.nodes[-1]] if route is not None and route.nodes[-1] in here else []
    order = list(dict.fromkeys(first + on_route + [n.id for n in nodes]))
    for nid in order:
        node = site.nodes[nid]
        text = _label(node, lang, bool(outlines))
        if not text or (nid not in on_route and _NODE_COLOURS.get(node.kind) is None):
            continue
        big = nid in on_route
        labels.place(
            *px(node.x, node.y),
            text,
            ROUTE_FONT_PX if big else FONT_PX,
            "label route-label" if big else "label",
            must=bool(first) and nid == first[0],
        )
    out += labels.out
    out.append("</svg>")
    return "\n".join(out)


def _words(
    site: SiteMap, building: str, floor: str, route: Route | None, lines: list[list[RoutePoint]], lang: str
) -> tuple[str, str]:
    """The floor's name (title) and, with a route, where it goes on this floor (description)."""
    b_en, b_zh = building_words(site, building)
    f_en, f_zh = floor_words(floor)
    title = join_zh(b_zh, f_zh) if lang == "zh" else f"{f_en[0].upper()}{f_en[1:]} of {b_en}"
    if route is None or not lines:
        return title, title
    start, end = site.nodes[lines[0][0].id], site.nodes[lines[-1][-1].id]
    s_en, s_zh = name_words(start)
    e_en, e_zh = name_words(end)
    if lang == "zh":
        return title, f"{title}：路线从{s_zh or start.id}到{e_zh or end.id}。"
    return title, f"{title}: the route goes from {s_en or start.id} to {e_en or end.id}."


def route_svgs(site: SiteMap, route: Route, *, width_px: int = 800, lang: str = "en") -> list[str]:
    """One drawing per floor the route crosses, in route order."""
    seen: list[tuple[str, str]] = []
    for leg in route.legs:
        if (leg.building, leg.floor) not in seen:
            seen.append((leg.building, leg.floor))
    return [floor_svg(site, b, f, route, width_px=width_px, lang=lang) for b, f in seen]
