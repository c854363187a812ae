"""One meaning per option: every command that solves takes the same run options."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from peermatch.cli import main
from peermatch.cli.common import RunOptions
from peermatch.cli.repair import _search_params
from peermatch.deadline import Deadline
from peermatch.model import Participant, ProblemData, ProgramConfig, SolverSettings

RUN_OPTIONS = (
    "time_limit",
    "seed",
    "workers",
    "calendar_mode",
    "deterministic",
    "wall_clock",
    "quiet",
)
SOLVING = ("run", "repair")


def _option(command: str, name: str) -> click.Option:
    found = [p for p in main.commands[command].params if p.name == name]
    assert len(found) == 1, f"{command} has no --{name}"
    assert isinstance(found[0], click.Option)
    return found[0]


@pytest.mark.parametrize("name", RUN_OPTIONS)
def test_every_command_that_solves_has_the_same_option(name: str) -> None:
    first, *others = (_option(c, name) for c in SOLVING)
    for other in others:
        assert other.opts == first.opts
        assert other.help == first.help
        assert repr(other.type) == repr(first.type)
        assert other.default == first.default
        assert other.hidden == first.hidden


def test_time_limit_is_wall_clock_and_wall_clock_is_hidden() -> None:
    help_text = _option("run", "time_limit").help or ""
    assert help_text.startswith("Wall-clock seconds for the whole command")
    assert _option("repair", "wall_clock").hidden
    assert not _option("repair", "deterministic").hidden


@pytest.mark.parametrize("command", SOLVING)
def test_wall_clock_is_accepted_with_a_deprecation_warning(command: str, tmp_path: Path) -> None:
    people = tmp_path / "participants.csv"
    people.write_text("not,a,header\n", encoding="utf-8")
    earlier = ["--previous-run", str(tmp_path)] if command == "repair" else []
    out = ["--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, [command, str(people), *earlier, *out, "--wall-clock"])
    assert "No such option" not in result.output
    assert "--wall-clock is deprecated" in result.output
    assert result.exit_code == 1  # the bad participants.csv, not the option
    deterministic = CliRunner().invoke(
        main, [command, str(people), *earlier, *out, "--deterministic"]
    )
    assert "No such option" not in deterministic.output and deterministic.exit_code == 1


def _problem() -> ProblemData:
    people = tuple(
        Participant(id=f"p{i}", name="P", email="p@x.org", organisation=f"O{i}", level=1)
        for i in range(8)
    )
    config = ProgramConfig(solver=SolverSettings(time_limit_seconds=30, seed=4, workers=1))
    return ProblemData(participants=people, config=config)


def _options(time_limit: float | None, deterministic: bool) -> RunOptions:
    return RunOptions(
        time_limit=time_limit,
        seed=None,
        workers=None,
        deterministic=deterministic,
        calendar_mode=None,
        quiet=True,
        deadline=Deadline(time_limit),
    )


def test_repair_time_limit_is_wall_clock_for_the_whole_command() -> None:
    problem = _problem()
    params = _search_params(_options(10.0, deterministic=False), problem)
    assert not params.deterministic
    # What is left of the 10 s after reading, less the reserve for finishing and writing.
    assert params.time_limit <= 10.0 - Deadline(10.0).reserve(8)
    assert (params.seed, params.workers) == (4, 1)  # the config's
    # Without --time-limit the config's limit is the whole command's.
    options = _options(None, deterministic=False)
    assert _search_params(options, problem).time_limit <= 30.0
    assert options.deadline.limit == 30.0


def test_repair_deterministic_limit_is_the_search_s_deterministic_time() -> None:
    params = _search_params(_options(10.0, deterministic=True), _problem())
    assert params.deterministic and params.time_limit == 10.0
