"""The `carepath` command answers help at once: each command imports only what it uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What the web app, the database, the solver and the router pull in: none of it is needed to
# print a command's help.
HEAVY = ("sqlalchemy", "ortools", "networkx", "shapely", "flask_smorest", "navigation", "pathfinding")


def _modules_after(*args: str) -> tuple[str, set[str]]:
    code = (
        "import sys\nfrom api.cli import main\n"
        f"try:\n    main({list(args)!r})\nexcept SystemExit:\n    pass\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    help_text, _, modules = done.stdout.partition("MODULES ")
    return help_text, set(modules.split())


def test_map_help_imports_neither_the_app_nor_the_router():
    help_text, modules = _modules_after("map", "--help")
    assert "import" in help_text
    loaded = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert loaded == []


def test_map_import_help_lists_its_options_without_loading_the_app():
    help_text, modules = _modules_after("map", "import", "--help")
    assert "--site" in help_text
    assert not {m.split(".")[0] for m in modules} & set(HEAVY)
