"""``peermatch run``: read, solve, check, write, summarise."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from peermatch.model import ProblemData
    from peermatch.solution import Result, Solution

from peermatch.cli.common import (
    EXIT_INVALID,
    EXIT_NO_SOLUTION,
    EXIT_USAGE,
    InputFiles,
    RunOptions,
    check_new_output,
    fail,
    input_options,
    out_option,
    read_input,
    rejected,
    run_options,
    solution_or_exit,
)

if TYPE_CHECKING:
    from peermatch.solution import Result

__all__ = ["run"]


def _stops_on_signals(command: Callable[..., None]) -> Callable[..., None]:
    """Ctrl-C and SIGTERM stop ``command`` cleanly: exit 4, nothing written, no traceback.

    While the command solves (after :func:`peermatch.interrupts.hold`) a
    signal only stops the search; the command then writes the best solution
    found so far, whole (see :mod:`peermatch.interrupts`).
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from peermatch import interrupts

        with interrupts.catching():
            try:
                command(*args, **kwargs)
            except KeyboardInterrupt as exc:
                name = getattr(exc, "signal", "SIGINT")
                fail(f"interrupted by {name}; nothing was written", EXIT_NO_SOLUTION)

    return wrapper


@click.command()
@input_options
@out_option("Output folder (written whole or not at all).")
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help='Dask scheduler (tcp://host:8786) for the neighbourhoods; needs "peermatch[dask]".',
)
@click.option(
    "--allow-unassigned",
    is_flag=True,
    help="Place as many people as possible; list the rest in unassigned.csv.",
)
@run_options
@_stops_on_signals
def run(
    inputs: InputFiles,
    out: Path,
    scheduler: str | None,
    allow_unassigned: bool,
    options: RunOptions,
) -> None:
    """Form cohorts, schedule their sessions and write every output file into --out.

    Exit 0 done; 1 invalid input; 2 usage error; 3 proven infeasible (with a
    diagnosis); 4 no solution found within the time limit; 5 a solution was
    found but the independent checker rejected it (please report it).
    """
    from peermatch import interrupts
    from peermatch.cli.progress import ProgressDisplay

    # The limit counts from the command's start (options.deadline): reading, checking,
    # solving and writing all share it.
    display = ProgressDisplay(options.quiet, options.deadline, wall_clock=not options.deterministic)
    display.phase("reading")
    check_new_output(out)
    problem = read_input(inputs)
    # From here a signal stops the search and the best solution so far is written.
    interrupts.hold()
    result = _solve(problem, inputs, options, display, scheduler, allow_unassigned)
    solution = _checked_solution(problem, result)
    display.phase("writing")
    written = _write(out, problem, result, options)
    _summarise(result, solution)
    display.close()
    click.echo(f"wrote {len(written)} files to {out}")
    if result.interrupted:
        click.echo(
            f"interrupted by {result.interrupted}: wrote the best solution found so far", err=True
        )
    elif interrupts.requested():
        click.echo(
            f"interrupted by {interrupts.received()} after solving: the output was written whole first",
            err=True,
        )


def _solve(
    problem: ProblemData,
    inputs: InputFiles,
    options: RunOptions,
    display: Any,
    scheduler: str | None,
    allow_unassigned: bool,
) -> Result:
    """The solve, with the usage and input errors it can raise turned into exits."""
    from peermatch.executor import DaskUnavailableError, check_scheduler
    from peermatch.params import ParameterError
    from peermatch.solvers.cpsat import solve

    try:
        check_scheduler(scheduler)
        with display:
            return solve(
                problem,
                options.params(problem).replace(allow_unassigned=allow_unassigned),
                progress=display,
                scheduler=scheduler,
                deadline=options.deadline,
            )
    except DaskUnavailableError as exc:
        fail(f"--scheduler: {exc}", EXIT_USAGE)
    except KeyboardInterrupt:
        fail("interrupted before any solution was found; nothing was written", EXIT_NO_SOLUTION)
    except ParameterError as exc:
        fail(f"{inputs.config or 'program.toml'}: {exc}", EXIT_INVALID)


def _checked_solution(problem: ProblemData, result: Result) -> Solution:
    """The solution to write, or the exit that says why there is none."""
    from peermatch.violations import checked_violations

    solution = solution_or_exit(
        result, "cohorts", "try a longer --time-limit or --allow-unassigned"
    )
    broken = checked_violations(problem, solution)  # the solve's own check, not a second run
    if broken:
        rejected(broken)
    return solution


def _write(out: Path, problem: ProblemData, result: Result, options: RunOptions) -> list[Path]:
    from peermatch.io.writers import OutputError, write_outputs
    from peermatch.metrics import cohort_metrics

    assert result.solution is not None
    try:
        return write_outputs(
            out,
            problem,
            result,
            calendar_mode=options.calendar_mode,
            metrics=cohort_metrics(problem, result.solution),
        )
    except (OutputError, OSError, ValueError) as exc:
        fail(f"{out}: could not write the outputs: {exc}", EXIT_USAGE)


def _summarise(result: Result, sol: Solution) -> None:
    """The closing lines: the figures, and whether the facilitators bind."""
    placed = sum(len(c.members) for c in sol.cohorts)
    gap = "n/a" if result.gap is None else f"{100 * result.gap:.2f}%"
    if result.gap_pairs:
        gap += f" (about {result.gap_pairs:g} shared pair{'' if result.gap_pairs == 1 else 's'})"
    bound = "n/a" if result.best_bound is None else f"{result.best_bound:,.0f}"
    click.echo(
        f"{result.status.value}: {len(sol.cohorts)} cohorts, {placed} placed, {len(sol.unassigned)} unassigned; "
        f"cost {result.objective:,.0f}, bound {bound}, gap {gap}, {result.runtime:.1f}s"
    )
    pressure = result.stats.facilitators
    if pressure is not None and pressure.binding:
        click.echo(
            "facilitators are a binding constraint: "
            f"{pressure.seats_used} of {pressure.capacity} seats used, "
            f"{pressure.people_without_a_free_facilitator} people meet others only where no facilitator is free, "
            f"{pressure.cohorts_with_a_single_possible_facilitator} cohorts have a single possible facilitator"
        )
