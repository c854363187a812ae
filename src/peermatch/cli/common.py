"""What every command shares: exit codes (the contract's, plus 5 for a solution
the checker rejected), :func:`fail`, the input options and :func:`read_input`,
and the run options of every command that solves (:func:`run_options`, one
meaning each).

Every command module imports these from here, never from the package
:mod:`peermatch.cli`, which imports the command modules: no import cycle.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from peermatch.cli.process import command_start
from peermatch.deadline import Deadline

if TYPE_CHECKING:
    from peermatch.model import ProblemData
    from peermatch.params import SolveParams
    from peermatch.rules import Violation
    from peermatch.solution import Result, Solution

__all__ = [
    "EXIT_DELIVERY",
    "EXIT_INFEASIBLE",
    "EXIT_INVALID",
    "EXIT_NO_SOLUTION",
    "EXIT_OK",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "InputFiles",
    "RunOptions",
    "check_new_output",
    "existing_folder",
    "fail",
    "input_options",
    "out_option",
    "read_input",
    "rejected",
    "run_options",
    "solution_or_exit",
    "table_path",
]

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4
#: A solution was found but the independent checker rejected it (a solver bug).
EXIT_REJECTED = 5
#: ``invite`` stopped delivering partway (the ledger holds what was accepted).
EXIT_DELIVERY = 6


def fail(message: str, code: int) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``; never a traceback."""
    click.echo(message, err=True)
    sys.exit(code)


_existing = click.Path(exists=True, dir_okay=False, path_type=Path)
#: An existing folder: an earlier output (``check``, ``invite``, ``report``, ``repair --previous-run``).
existing_folder = click.Path(exists=True, file_okay=False, path_type=Path)


class TablePath(click.ParamType):
    """An input table: an existing CSV file, or ``book.xlsx`` / ``book.xlsx#Sheet``.

    The workbook part must exist; the sheet is checked when the table is read
    (an unknown sheet is an input problem listing the sheets, exit 1).
    """

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from peermatch.io.workbook import split_sheet

        if isinstance(value, Path):
            return value
        split = split_sheet(str(value))
        path = split[0] if split is not None else Path(value)
        _existing.convert(str(path), param, ctx)
        return Path(value)


#: Every table option's type: a CSV file or an Excel workbook's sheet.
table_path = TablePath()


@dataclass(frozen=True)
class InputFiles:
    """The contract's input options of a command, as given (see :func:`input_options`)."""

    participants: Path
    history: Path | None = None
    facilitators: Path | None = None
    previous: tuple[Path, ...] = ()
    config: Path | None = None
    locks: Path | None = None
    pairs: Path | None = None
    avoid_previous_organisations: bool = False


def out_option(text: str) -> Callable[[Any], Any]:
    """The required ``--out`` folder of a command that writes one (``run``, ``repair``, ``generate``)."""
    return click.option(
        "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help=text
    )


def _table_option(name: str, text: str, **extra: Any) -> Callable[[Any], Any]:
    return click.option(name, type=table_path, help=text, **extra)


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The contract's input options, shared by ``run``, ``repair`` and ``validate``.

    The command receives them as one ``inputs: InputFiles``.
    """

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        names = [f.name for f in fields(InputFiles)]
        inputs = InputFiles(**{name: kwargs.pop(name) for name in names})
        return func(*args, inputs=inputs, **kwargs)

    decorators = [
        click.argument("participants", type=table_path),
        _table_option("--history", "history.csv: pairs who must never share a cohort."),
        _table_option("--facilitators", "facilitators.csv (or book.xlsx#Sheet)."),
        _table_option(
            "--previous",
            "cohorts.csv of an earlier wave (repeatable): its cohort-mates count as shared history.",
            multiple=True,
        ),
        click.option("--config", type=_existing, help="program.toml (every key has a default)."),
        _table_option("--locks", "locks.csv: participant_id, cohort_id (hard)."),
        _table_option("--pairs", "pairs.csv: person_a, person_b, rule together|apart."),
        click.option(
            "--avoid-previous-organisations",
            is_flag=True,
            help="Also keep alumni (--previous) away from their earlier cohort-mates' organisations.",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def read_input(inputs: InputFiles) -> ProblemData:
    """Read the input files; an :class:`~peermatch.errors.InputError` propagates.

    The command group prints its problems and exits 1 (see
    :mod:`peermatch.cli.errors`). Warnings (an Excel Windows-1252 export, an
    empty optional file) go to stderr first as ``file:row:column: warning: ...``
    and do not change the exit status.
    """
    import warnings

    from peermatch.io import InputWarning, read_problem

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        try:
            problem = read_problem(
                inputs.participants,
                history=inputs.history,
                facilitators=inputs.facilitators,
                previous=inputs.previous,
                config=inputs.config,
                locks=inputs.locks,
                pairs=inputs.pairs,
            )
        finally:
            for w in caught:
                if issubclass(w.category, InputWarning):
                    click.echo(str(w.message), err=True)
    if inputs.avoid_previous_organisations:
        from peermatch.waves import avoid_previous_organisations as avoid

        problem = avoid(problem)
    return problem


def check_new_output(out: Path) -> None:
    """Exit 2 before any work when ``out`` cannot become the output folder."""
    from peermatch.io.writers import OutputError, check_output_dir

    try:
        check_output_dir(out)
    except OutputError as exc:
        fail(f"{out}: {exc}", EXIT_USAGE)


def solution_or_exit(result: Result, what: str, hint: str) -> Solution:
    """``result``'s solution, or the exit that says why there is none (3, 4 or 5).

    ``what`` names what was sought (``cohorts``, ``repair``); ``hint`` ends the
    message when nothing was found in time.
    """
    from peermatch.rules import format_diagnoses
    from peermatch.solution import Status

    if result.status == Status.INFEASIBLE:
        fail(
            f"no {what} can satisfy every rule:\n" + format_diagnoses(result.diagnosis),
            EXIT_INFEASIBLE,
        )
    if result.status == Status.REJECTED:
        rejected(result.violations)
    if result.solution is None and result.interrupted:
        fail(
            f"interrupted by {result.interrupted} before any solution was found; nothing was written",
            EXIT_NO_SOLUTION,
        )
    if result.solution is None:
        fail(
            f"no {'solution' if what == 'cohorts' else what} found within the time limit "
            f"({result.runtime:.1f}s); {hint}; nothing was written{_left_out(result)}",
            EXIT_NO_SOLUTION,
        )
    return result.solution


def _left_out(result: Result) -> str:
    """Who the best grouping found still left out, and why (the search tried placing them)."""
    stats = result.stats
    leaderless = stats.cohorts_without_facilitator
    led = (
        f"\nthe best grouping found has {leaderless} cohort(s) no free facilitator could lead"
        if leaderless
        else ""
    )
    if not stats.unplaced:
        return led
    # Fewer than all may be named (at most 20, and none once the time limit is reached).
    named = "".join(f"\n  {line}" for line in stats.not_placed or ())
    more = stats.unplaced - len(stats.not_placed or ())
    tail = f"\n  ... and {more} more" if more > 0 else ""
    return led + (
        f"\nthe best grouping found leaves {stats.unplaced} participant(s) out, "
        f"although the search worked on placing them first:{named}{tail}"
    )


def rejected(broken: Sequence[Violation]) -> NoReturn:
    """A solution the independent checker rejects is a solver bug: say so, write nothing."""
    fail(
        "internal error: the solver found a solution that breaks rules it must keep "
        "(please report this):\n" + "\n".join(str(v) for v in broken) + "\nnothing was written",
        EXIT_REJECTED,
    )


@dataclass(frozen=True)
class RunOptions:
    """The run options of every command that solves (``run``, ``repair``), one meaning each.

    Attributes
    ----------
    time_limit
        ``--time-limit``: wall-clock seconds for the whole command, reading to
        writing (CP-SAT's deterministic seconds for the search with
        ``--deterministic``); ``None``: the config's.
    seed, workers
        ``--seed``, ``--workers``; ``None``: the config's.
    deterministic
        ``--deterministic``: reproducible search (the limit is deterministic
        time, set-up not counted).
    calendar_mode
        ``--calendar-mode``; ``None``: the config's.
    quiet
        ``--quiet``.
    deadline
        The command's wall-clock deadline, started before the inputs are read.
    """

    time_limit: float | None
    seed: int | None
    workers: int | None
    deterministic: bool
    calendar_mode: str | None
    quiet: bool
    deadline: Deadline

    def params(self, problem: ProblemData) -> SolveParams:
        """The config's ``[solver]`` settings with these options in place."""
        return problem.config.solver.params().replace(
            time_limit=self.time_limit,
            seed=self.seed,
            workers=self.workers,
            deterministic=self.deterministic,
        )


def _deprecated_wall_clock(ctx: click.Context, _: click.Parameter, value: bool) -> bool:
    if value:
        click.echo(
            "warning: --wall-clock is deprecated and has no effect: --time-limit is wall clock "
            "unless --deterministic",
            err=True,
        )
    return value


def run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The run options shared by every command that solves; the command gets ``options: RunOptions``.

    The deadline starts when the command starts (the process, run as a program:
    :func:`~peermatch.cli.process.command_start`), so that ``--time-limit``
    counts reading, solving and writing alike.
    """

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("wall_clock")
        time_limit = kwargs.pop("time_limit")
        options = RunOptions(
            time_limit=time_limit,
            seed=kwargs.pop("seed"),
            workers=kwargs.pop("workers"),
            deterministic=kwargs.pop("deterministic"),
            calendar_mode=kwargs.pop("calendar_mode"),
            quiet=kwargs.pop("quiet"),
            deadline=Deadline(time_limit, start=command_start()),
        )
        return func(*args, options=options, **kwargs)

    decorators = [
        click.option(
            "--time-limit",
            type=click.FloatRange(min=0, min_open=True),
            help="Wall-clock seconds for the whole command, reading to writing "
            "(default: the config's, 60); with --deterministic, CP-SAT's deterministic "
            "seconds for the search.",
        ),
        click.option(
            "--seed",
            type=click.IntRange(min=0, max=2**31 - 1),
            help="Random seed (default: the config's, 0).",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=0, max=64),
            help="CP-SAT workers (default: the config's, else one per core, at most 8; 0 the "
            "same). Above 100 participants, that many disjoint neighbourhoods are solved at "
            "once. Deterministic runs reproduce for a given worker count.",
        ),
        click.option(
            "--calendar-mode",
            type=click.Choice(["series", "expanded"]),
            help="RRULE series (default) or one event per session.",
        ),
        click.option(
            "--deterministic",
            is_flag=True,
            help="Reproducible search: the limit is CP-SAT's deterministic time, set-up not "
            "counted; the same inputs, seed and workers give byte-identical outputs.",
        ),
        click.option(
            "--wall-clock",
            is_flag=True,
            hidden=True,
            expose_value=True,
            callback=_deprecated_wall_clock,
            help="Deprecated: wall clock is the default.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No progress on stderr."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command
