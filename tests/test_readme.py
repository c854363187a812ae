"""The manual (README.md and every page under docs/) stays in step with the
command line, the config model and CI."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import click
import pytest

from peermatch.cli import main
from peermatch.cli.mdgp import mdgp
from peermatch.model import ProgramConfig

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
#: The whole manual: the README and the documentation site's pages.
MANUAL = "\n".join(
    [README, *(p.read_text(encoding="utf-8") for p in sorted((REPO / "docs").rglob("*.md")))]
)


def _commands() -> list[tuple[str, click.Command]]:
    commands = dict(main.commands)
    commands.setdefault("mdgp", mdgp)
    return sorted(commands.items())


@pytest.mark.parametrize(("name", "command"), _commands())
def test_every_command_and_option_is_documented(name: str, command: click.Command) -> None:
    assert f"peermatch {name}" in MANUAL
    for param in command.params:
        if isinstance(param, click.Option):
            longest = max(param.opts, key=len)
            assert longest in MANUAL, f"'{longest}' of 'peermatch {name}' is not in MANUAL.md"


def test_every_config_key_is_documented() -> None:
    for table, field in ProgramConfig.model_fields.items():
        assert f"[{table}]" in MANUAL
        model = field.default.__class__ if field.default is not None else None
        for key, sub in getattr(model, "model_fields", {}).items():
            nested = sub.default_factory is not None and dataclasses.is_dataclass(
                sub.default_factory
            )
            if nested:
                # [solver.neighbourhood] and the like: the table, and each of its fields.
                assert f"[{table}.{key}]" in MANUAL, f"[{table}.{key}] is not in MANUAL.md"
                for inner in dataclasses.fields(sub.default_factory):  # type: ignore[arg-type]
                    assert f"`{inner.name}`" in MANUAL, f"[{table}.{key}] {inner.name}"
                continue
            found = re.search(rf"^(# )?{key} = ", MANUAL, re.M) or f"[{table}.{key}]" in MANUAL
            assert found, f"[{table}] {key} is not in MANUAL.md"


def test_setup_commands_match_ci() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -e ".[test]" && python -m pytest' in README
    assert 'pip install --quiet --disable-pip-version-check -e ".[test]"' in ci
    assert "python -m pytest" in ci
    first = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && peermatch run"
    assert first in README


def test_exit_codes_are_documented() -> None:
    for code in range(7):
        assert re.search(rf"^\| {code} \|", MANUAL, re.M), f"exit {code} is not in the manual"
