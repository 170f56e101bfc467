"""Every command and every setting is documented (as datasette and sqlite-utils check)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tracelead.cli import app

ROOT = Path(__file__).resolve().parent.parent


def _commands(command: Any, prefix: str) -> list[str]:
    # Typer vendors its own click; anything with sub-commands is a group.
    if getattr(command, "commands", None):
        found = []
        for name, sub in command.commands.items():
            found.extend(_commands(sub, f"{prefix} {name}"))
        return found
    return [prefix]


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = _commands(typer.main.get_command(app), "tracelead")
    assert len(commands) >= 8
    missing = [c for c in commands if f"`{c}" not in readme]
    assert not missing, f"document these commands in README.md: {missing}"


def test_every_setting_is_in_the_operations_guide() -> None:
    # The registry of every environment variable the settings module read.
    from django.conf import settings

    names = set(settings.TRACELEAD_ENVIRONMENT_VARIABLES)
    assert {"DATABASE_URL", "TRACELEAD_SECRET_KEY", "TRACELEAD_HOME"} <= names
    assert len(names) >= 40
    guide = (ROOT / "docs" / "operations.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in guide)
    assert not missing, f"document these settings in docs/operations.md: {missing}"
