"""`carepath simulate`: compare the policies on one day and print the KPI table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from navigation.sequencing.walking import StraightLineWalking
from navigation.simulation.bound import lower_bound
from navigation.simulation.kpis import add_bound, kpis
from navigation.simulation.policies import PlannedOptions
from navigation.simulation.run import BOOKED, POLICIES, as_run, run_day
from navigation.simulation.scenario import ScenarioError, generate, load_scenario
from navigation.simulation.simulator import DayResult

COLUMNS = (
    ("policy", "policy", "{}"),
    ("mean_time_in_hospital_min", "mean stay", "{:.1f}"),
    ("mean_time_on_site_min", "on site", "{:.1f}"),
    ("p90_time_on_site_min", "p90 on site", "{:.1f}"),
    ("visits_per_patient", "visits", "{:.2f}"),
    ("p90_time_in_hospital_min", "p90 stay", "{:.1f}"),
    ("mean_wait_min", "wait", "{:.1f}"),
    ("mean_walk_m", "walk m", "{:.0f}"),
    ("mean_fasting_min", "fasting", "{:.1f}"),
    ("violations", "violations", "{}"),
    ("utilisation", "util", "{:.0%}"),
    ("steps_not_done", "not done", "{}"),
    ("revisit_patients", "revisit", "{}"),
    ("gap_closed", "gap closed", "{:.0%}"),
    ("solve_seconds", "solver s", "{:.1f}"),
)


def table(rows: list[dict[str, Any]]) -> str:
    cells = [[title for _, title, _ in COLUMNS]]
    cells += [
        ["-" if row.get(key) is None else fmt.format(row[key]) for key, _, fmt in COLUMNS] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in cells
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def write_plan(results: list[DayResult], path: str | Path) -> None:
    with Path(path).open("w", encoding="utf-8") as out:
        for result in results:
            for s in sorted(result.steps, key=lambda s: (s.patient, s.start)):
                out.write(
                    json.dumps(
                        {
                            "policy": result.policy,
                            "patient": s.patient,
                            "task": s.task,
                            "exam_code": ",".join(s.exam_codes) or None,
                            "room": s.room,
                            "start": round(s.start, 2),
                            "end": round(s.end, 2),
                        }
                    )
                    + "\n"
                )


@click.command("simulate")
@click.option("--scenario", "scenario_file", type=click.Path(dir_okay=False), help="Scenario JSON file.")
@click.option("--patients", type=click.IntRange(1, 5000), help="Generate a day with this many patients.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated day.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per policy.")
@click.option("--plots", type=click.Path(file_okay=False), help="Write a Gantt chart and queue chart here.")
@click.option("--plan-out", type=click.Path(dir_okay=False), help="Write every executed step as JSON lines.")
@click.option(
    "--policies", default=",".join(POLICIES), show_default=True, help="Comma-separated policies to run."
)
@click.option(
    "--improve-seconds",
    type=click.FloatRange(0, 30),
    default=PlannedOptions.improve_seconds,
    show_default=True,
    help="CarePath background improvement per 15 simulated minutes.",
)
@click.option(
    "--booked-share",
    type=click.FloatRange(0, 1),
    help=f"Add the policy {BOOKED}: this share of the patients booked the day before.",
)
@click.option("--reports-to-phone", is_flag=True, help="Results go to every patient's phone (all policies).")
def simulate_command(
    scenario_file: str | None,
    patients: int | None,
    seed: int,
    as_json: bool,
    plots: str | None,
    plan_out: str | None,
    policies: str,
    improve_seconds: float,
    booked_share: float | None,
    reports_to_phone: bool,
) -> None:
    """Simulate one hospital day under each policy and print the KPIs."""
    if (scenario_file is None) == (patients is None):
        raise click.UsageError("give either --scenario FILE or --patients N")
    names = [p.strip() for p in policies.split(",") if p.strip()]
    known = (*POLICIES, BOOKED)
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise click.UsageError(f"unknown policy {', '.join(unknown)}; choose from {', '.join(known)}")
    try:
        scenario = load_scenario(scenario_file) if scenario_file else generate(patients or 0, seed)
    except ScenarioError as exc:
        raise click.ClickException(str(exc)) from exc
    options = PlannedOptions(improve_seconds=improve_seconds)
    results = run_day(scenario, names, options, booked_share, reports_to_phone)
    walking = StraightLineWalking.for_rooms(scenario.rooms)
    rows = [kpis(r, walking) for r in results]
    add_bound(rows, lower_bound(as_run(scenario, reports_to_phone)))
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
    else:
        click.echo(f"{scenario.name}: {len(scenario.arrivals)} patients, {len(scenario.rooms)} rooms")
        click.echo(table(rows))
        click.echo(f"lower bound on the mean stay: {rows[0]['lower_bound_min']:.1f} min (LP relaxation)")
        for row in rows:
            if row["policy"] == BOOKED:
                click.echo(
                    f"{BOOKED}: {row['booked_patients']} booked, {row['no_shows']} no-shows, first exam "
                    f"{row['mean_start_delay_min']:.1f} min after the window opens on average"
                )
    if plots:
        from navigation.simulation.plots import write_plots

        for path in write_plots(results, plots):
            click.echo(f"wrote {path}", err=True)
    if plan_out:
        write_plan(results, plan_out)
