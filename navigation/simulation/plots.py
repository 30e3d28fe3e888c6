"""Charts of a simulated day: a Gantt chart of the rooms, queue length over the day."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from navigation.simulation.simulator import DayResult  # noqa: E402

COLOURS = {"walk_in": "#d62728", "fcfs": "#1f77b4", "carepath": "#2ca02c"}


def _hours(ax: plt.Axes) -> None:
    ticks = range(7 * 60, 19 * 60 + 1, 60)
    ax.set_xticks(list(ticks), [f"{t // 60:02d}:00" for t in ticks])
    ax.set_xlim(7 * 60, 19 * 60)


def gantt(result: DayResult, path: Path) -> Path:
    rows = sorted({(s.room, max(s.station, 0)) for s in result.steps if s.room and s.station >= 0})
    index = {row: i for i, row in enumerate(rows)}
    fig, ax = plt.subplots(figsize=(14, max(4.0, 0.22 * len(rows) + 1.5)))
    colour = COLOURS.get(result.policy, "#7f7f7f")
    for s in result.steps:
        if s.room is None or s.station < 0:
            continue
        ax.barh(index[(s.room, s.station)], s.end - s.start, left=s.start, height=0.8, color=colour)
    ax.set_yticks(range(len(rows)), [f"{r} #{st + 1}" for r, st in rows], fontsize=6)
    ax.invert_yaxis()
    _hours(ax)
    ax.set_title(f"Rooms, {result.policy} ({result.scenario})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def queues(results: list[DayResult], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(12, 4.5))
    for result in results:
        times = [t for t, _ in result.queue_samples]
        lengths = [n for _, n in result.queue_samples]
        ax.plot(times, lengths, label=result.policy, color=COLOURS.get(result.policy))
    _hours(ax)
    ax.set_ylabel("patients queuing at rooms")
    ax.set_title("Queue length over the day")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(results: list[DayResult], directory: str | Path) -> list[Path]:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = [gantt(r, out / f"gantt_{r.policy}.png") for r in results]
    return [*paths, queues(results, out / "queues.png")]
