"""The dashboard's and the daily report's charts, drawn on the server as small SVG images.

No charting library and nothing fetched from a CDN: the dashboard shows them as `data:` images
(its Content-Security-Policy allows those, and an SVG in an <img> runs nothing), and the daily
report embeds the same images, so it opens anywhere, offline. Labels are room codes, department
codes and times only.
"""

from __future__ import annotations

import base64
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

WIDTH, LEFT, TOP, BOTTOM = 720, 90, 24, 28
INK, GRID, PLANNED, ACTUAL, BAR = "#1a1a1a", "#d0d0d0", "#9ecae1", "#08519c", "#2b8a3e"


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _svg(height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12" role="img">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{INK}">{escape(text)}</text>'


def bars(values: dict[str, float], title: str) -> str:
    """Horizontal bars, one per label (waiting patients per department)."""
    height = TOP + BOTTOM + 22 * max(1, len(values))
    top = max([1.0, *values.values()])
    body = [_text(LEFT, 14, title)]
    for n, (label, value) in enumerate(values.items()):
        y = TOP + 22 * n
        length = (WIDTH - LEFT - 40) * value / top
        body += [
            _text(LEFT - 6, y + 14, label, "end"),
            f'<rect x="{LEFT}" y="{y + 3}" width="{length:.1f}" height="15" fill="{BAR}"/>',
            _text(LEFT + length + 4, y + 14, f"{value:g}"),
        ]
    if not values:
        body.append(_text(LEFT, TOP + 14, "—"))
    return _svg(height, title, body)


def line(points: list[dict[str, Any]], title: str, timezone: str) -> str:
    """A step line over the day (patients in a line at each quarter hour)."""
    height = 200
    body = [_text(LEFT, 14, title)]
    if not points:
        return _svg(height, title, [*body, _text(LEFT, 60, "—")])
    top = max(1, max(p["waiting"] for p in points))
    span = max(1, len(points) - 1)

    def x(n: int) -> float:
        return LEFT + (WIDTH - LEFT - 20) * n / span

    def y(v: float) -> float:
        return height - BOTTOM - (height - TOP - BOTTOM - 10) * v / top

    body += [f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{WIDTH - 20}" y2="{y(0):.1f}" stroke="{GRID}"/>']
    body += [_text(LEFT - 6, y(top) + 4, str(top), "end"), _text(LEFT - 6, y(0) + 4, "0", "end")]
    path = " ".join(f"{x(n):.1f},{y(p['waiting']):.1f}" for n, p in enumerate(points))
    body.append(f'<polyline points="{path}" fill="none" stroke="{ACTUAL}" stroke-width="2"/>')
    for n in range(0, len(points), max(1, len(points) // 8)):
        body.append(_text(x(n), height - 8, _clock(points[n]["at"], timezone), "middle"))
    return _svg(height, title, body)


def gantt(rooms: list[dict[str, Any]], start: datetime, end: datetime, title: str, timezone: str) -> str:
    """Per room: planned slots (light) and what happened (dark), on one time axis."""
    row, height = 24, TOP + BOTTOM + 24 * max(1, len(rooms))
    seconds = max(60.0, (end - start).total_seconds())

    def x(moment: datetime) -> float:
        offset = min(max((moment - start).total_seconds(), 0.0), seconds)
        return LEFT + (WIDTH - LEFT - 20) * offset / seconds

    body = [_text(LEFT, 14, title)]
    for n, room in enumerate(rooms):
        y = TOP + row * n
        body.append(_text(LEFT - 6, y + 16, room["room"], "end"))
        for bar in room["bars"]:
            for span, colour, dy, tall in ((bar["planned"], PLANNED, 3, 9), (bar["actual"], ACTUAL, 12, 9)):
                if span and span[0] and span[1]:
                    a, b = x(span[0]), x(span[1])
                    body.append(
                        f'<rect x="{a:.1f}" y="{y + dy}" width="{max(1.0, b - a):.1f}" height="{tall}" fill="{colour}"/>'
                    )
    for n in range(5):
        moment = start + (end - start) * n / 4
        body.append(_text(x(moment), height - 8, _clock(moment, timezone), "middle"))
    return _svg(height, title, body)


def _clock(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
