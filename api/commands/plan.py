"""`carepath plan ...`: the day's plan."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("plan")
def plan_group() -> None:
    """The day's plan: improve everyone's times with the sequencer."""


@plan_group.command("improve")
@click.option("--site", "site_code", default="demo", show_default=True)
@click.option("--seconds", default=10.0, show_default=True, help="Time budget for the solver.")
@with_appcontext
def plan_improve_command(site_code: str, seconds: float) -> None:
    """Improve today's plan for every patient of the site now (the service also does it by itself
    every CAREPATH_IMPROVE_EVERY_S seconds)."""
    from api.jobs import improve_day

    improvement = improve_day(site_code, seconds)
    result = improvement.result
    click.echo(
        f"cost {result.cost_before} -> {result.cost_after} after {result.iterations} neighbourhoods "
        f"in {result.seconds:.1f}s; {len(improvement.moved)} patient(s) told of a change"
    )
