"""The `carepath` console command: Flask's CLI with CarePath's commands (demo, map, worker, ...).

Each command lives in its own module, named in COMMANDS, and is imported only when it is run or
its help is shown: `carepath map --help` must not wait for the web app, the solver and the
router to load. A command module keeps its heavy imports inside the command's function.
"""

from __future__ import annotations

import importlib

import click
from flask.cli import FlaskGroup

# The command's name -> "module:attribute" of its click command or group. Add new commands here.
COMMANDS = {
    "bookings": "api.commands.bookings:bookings_group",
    "codes": "api.commands.codes:codes_group",
    "demo": "api.commands.demo:demo_command",
    "hl7": "api.commands.hl7:hl7_group",
    "map": "api.commands.maps:map_group",
    "plan": "api.commands.plan:plan_group",
    "report": "api.commands.report:report_command",
    "simulate": "navigation.simulation.command:simulate_command",
    "staff": "api.commands.staff:staff_group",
    "worker": "api.commands.worker:worker_command",
}


def _create_app():
    from api import create_app

    return create_app()


class CarePathGroup(FlaskGroup):
    """Flask's group, with CarePath's commands looked up by name and imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module, _, attribute = COMMANDS[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=CarePathGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """CarePath: patient navigation for hospitals."""
