"""Charts of a simulated day for a department head: who used which room when, and who waited.

`gantt_<policy>.png`: one row per room station, labelled with the room type and code; each
step is its own bar with an edge; closed hours (lunch, evenings) and room pauses are hatched.
`queues.png`: patients queuing at rooms per policy, and patients held back waiting for their
fasting window or for a result or report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from navigation.simulation.simulator import DayResult  # noqa: E402

COLOURS = {
    "walk_in": "#d62728",
    "fcfs_catalog_order": "#9467bd",
    "fcfs": "#1f77b4",
    "carepath": "#2ca02c",
}
DAY = (7 * 60, 19 * 60)
CLOSED: dict[str, Any] = {"facecolor": "#eeeeee", "edgecolor": "#999999", "hatch": "///", "linewidth": 0}
PAUSED: dict[str, Any] = {"facecolor": "#fde0c5", "edgecolor": "#e6550d", "hatch": "xx", "linewidth": 0}


def _hours(ax: plt.Axes) -> None:
    ticks = range(DAY[0], DAY[1] + 1, 60)
    ax.set_xticks(list(ticks), [f"{t // 60:02d}:00" for t in ticks], fontsize=9)
    ax.set_xlim(*DAY)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _closed(windows: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """The stretches of the day a room is shut, as (start, length) bars."""
    out, t = [], DAY[0]
    for a, b in sorted(windows):
        if a > t:
            out.append((t, a - t))
        t = max(t, b)
    if t < DAY[1]:
        out.append((t, DAY[1] - t))
    return out


def gantt(result: DayResult, path: Path) -> Path:
    rows = sorted(
        {
            (result.rooms[s.room].room_type, s.room, s.station)
            for s in result.steps
            if s.room and s.station >= 0
        }
    )
    index = {(room, station): i for i, (_, room, station) in enumerate(rows)}
    fig, ax = plt.subplots(figsize=(15, max(4.0, 0.32 * len(rows) + 2.0)))
    colour = COLOURS.get(result.policy, "#7f7f7f")
    for (room, _station), y in index.items():
        ax.broken_barh(_closed(result.rooms[room].windows), (y - 0.45, 0.9), **CLOSED)
        pauses = [(a, b - a) for code, a, b in result.pauses if code == room]
        ax.broken_barh(pauses, (y - 0.45, 0.9), **PAUSED)
    for s in result.steps:
        if s.room is None or s.station < 0:
            continue
        y = index[(s.room, s.station)]
        ax.barh(y, s.end - s.start, left=s.start, height=0.7, color=colour, edgecolor="black", linewidth=0.5)
    labels = []
    for i, (kind, room, station) in enumerate(rows):
        stations = result.rooms[room].stations
        labels.append(f"{kind.replace('_', ' ')}  {room}" + (f" #{station + 1}" if stations > 1 else ""))
        if i and rows[i - 1][0] != kind:
            ax.axhline(i - 0.5, color="#555555", linewidth=0.8)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    _hours(ax)
    ax.legend(
        handles=[
            Patch(facecolor=colour, edgecolor="black", label="a patient's exam or visit (one bar each)"),
            Patch(**{**CLOSED, "edgecolor": "#999999"}, label="closed (lunch, before and after hours)"),
            Patch(**{**PAUSED, "edgecolor": "#e6550d"}, label="paused (breakdown, staff break)"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.04),
        ncol=3,
        fontsize=9,
        frameon=False,
    )
    ax.set_title(f"Rooms over the day: {result.policy.replace('_', ' ')} ({result.scenario})", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def queues(results: list[DayResult], path: Path) -> Path:
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(13, 8), sharex=True)
    for result in results:
        colour = COLOURS.get(result.policy)
        top.plot(*zip(*result.queue_samples, strict=True), label=result.policy, color=colour)
        if result.held_samples:
            times, fasting, results_ = zip(*result.held_samples, strict=True)
            bottom.plot(
                times, fasting, color=colour, linestyle="--", label=f"{result.policy}: fasting window"
            )
            bottom.plot(times, results_, color=colour, label=f"{result.policy}: a result or report")
    top.set_ylabel("patients queuing at rooms")
    top.set_title("Patients queuing at rooms")
    top.legend(fontsize=9)
    bottom.set_ylabel("patients waiting")
    bottom.set_title("Patients waiting for their fasting window (dashed) or for a result or report")
    bottom.legend(fontsize=8, ncol=2)
    for ax in (top, bottom):
        _hours(ax)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(results: list[DayResult], directory: str | Path) -> list[Path]:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = [gantt(r, out / f"gantt_{r.policy}.png") for r in results]
    return [*paths, queues(results, out / "queues.png")]
