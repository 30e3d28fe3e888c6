"""A floor plan as SVG, with the route drawn on it, for the phone page."""

from __future__ import annotations

from xml.sax.saxutils import escape

from .model import EdgeKind, NodeKind, SiteMap
from .routes import Route
from .words import building_words, floor_words, join_zh

_NODE_COLOURS = {
    NodeKind.ROOM: "#4a6fa5",
    NodeKind.ELEVATOR: "#8e44ad",
    NodeKind.STAIRS: "#d35400",
    NodeKind.ESCALATOR: "#d35400",
    NodeKind.ENTRANCE: "#27ae60",
    NodeKind.RAMP: "#27ae60",
}
_OUTLINE_FILL = {"walkway": "#f4f4f4", "elevator": "#ead7f2", "stairs": "#fbe3d0"}


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
    xs = [n.x for n in nodes] + [p[0] for o in outlines for p in o.points]
    ys = [n.y for n in nodes] + [p[1] for o in outlines for p in o.points]
    pad = 6.0
    x0, x1, y0, y1 = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    scale = width_px / max(x1 - x0, 1.0)
    height_px = max(int((y1 - y0) * scale), 1)

    def pt(x: float, y: float) -> str:  # y grows north on the map, down on screen
        return f"{(x - x0) * scale:.1f},{(y1 - y) * scale:.1f}"

    b_en, b_zh = building_words(site, building)
    f_en, f_zh = floor_words(floor)
    title = join_zh(b_zh, f_zh) if lang == "zh" else f"{b_en}, {f_en}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_px}" height="{height_px}" '
        f'viewBox="0 0 {width_px} {height_px}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
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
            a, c = site.nodes[e.a], site.nodes[e.b]
            dash = ' stroke-dasharray="4 3"' if e.kind in (EdgeKind.STAIRS, EdgeKind.ESCALATOR) else ""
            out.append(
                f'<line x1="{pt(a.x, a.y).split(",")[0]}" y1="{pt(a.x, a.y).split(",")[1]}" '
                f'x2="{pt(c.x, c.y).split(",")[0]}" y2="{pt(c.x, c.y).split(",")[1]}" '
                f'stroke="#cccccc" stroke-width="3" stroke-linecap="round"{dash}/>'
            )
    for n in nodes:
        colour = _NODE_COLOURS.get(n.kind)
        if colour is None:
            continue
        x, y = pt(n.x, n.y).split(",")
        out.append(f'<circle cx="{x}" cy="{y}" r="4" fill="{colour}"/>')
        label = (n.name_zh or n.landmark_zh) if lang == "zh" else (n.name_en or n.landmark_en)
        if not label and n.kind is NodeKind.ROOM and not outlines:
            label = n.id  # a room code; IMDF ids are uuids no one reads
        if label:
            out.append(
                f'<text x="{float(x) + 6:.1f}" y="{float(y) - 4:.1f}" font-size="10" '
                f'font-family="sans-serif" fill="#333333">{escape(label)}</text>'
            )
    if route is not None:
        for leg in route.legs:
            if leg.building != building or leg.floor != floor:
                continue
            pts = " ".join(pt(p.x, p.y) for p in leg.points)
            out.append(
                f'<polyline class="route" points="{pts}" fill="none" stroke="#1a73e8" '
                f'stroke-width="6" stroke-linejoin="round" stroke-linecap="round"/>'
            )
        for nid, colour, cls in (
            (route.nodes[0], "#27ae60", "route-start"),
            (route.nodes[-1], "#c0392b", "route-end"),
        ):
            if nid in here:
                x, y = pt(site.nodes[nid].x, site.nodes[nid].y).split(",")
                out.append(
                    f'<circle class="{cls}" cx="{x}" cy="{y}" r="8" fill="{colour}" '
                    f'stroke="#ffffff" stroke-width="2"/>'
                )
    out.append("</svg>")
    return "\n".join(out)


def route_svgs(site: SiteMap, route: Route, *, width_px: int = 800, lang: str = "en") -> list[str]:
    """One drawing per floor the route crosses, in route order."""
    seen: list[tuple[str, str]] = []
    for leg in route.legs:
        if (leg.building, leg.floor) not in seen:
            seen.append((leg.building, leg.floor))
    return [floor_svg(site, b, f, route, width_px=width_px, lang=lang) for b, f in seen]
