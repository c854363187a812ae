"""``peermatch run``: read, solve, check, write, summarise."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from peermatch.cli.common import (
    EXIT_INFEASIBLE,
    EXIT_INVALID,
    EXIT_NO_SOLUTION,
    EXIT_USAGE,
    fail,
    input_options,
    read_input,
    rejected,
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
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (written whole or not at all).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Wall-clock seconds for the whole run, reading to writing (default: the config's, 60).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0, max=2**31 - 1),
    help="Random seed (default: the config's, 0).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0, max=64),
    help="CP-SAT workers (default: the config's, else one per core, at most 8; 0 the "
    "same). Above 100 participants, that many disjoint neighbourhoods are solved at once. "
    "Deterministic runs (no --wall-clock) reproduce for a given worker count.",
)
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
@click.option(
    "--calendar-mode",
    type=click.Choice(["series", "expanded"]),
    help="RRULE series (default) or one event per session.",
)
@click.option(
    "--deterministic",
    is_flag=True,
    help="Reproducible search: the limit is CP-SAT's deterministic time, set-up not counted; "
    "the same inputs, seed and workers give byte-identical outputs.",
)
@click.option("--wall-clock", is_flag=True, hidden=True, help="Deprecated: now the default.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@_stops_on_signals
def run(
    participants: Path,
    history: Path | None,
    facilitators: Path | None,
    previous: tuple[Path, ...],
    config: Path | None,
    locks: Path | None,
    pairs: Path | None,
    avoid_previous_organisations: bool,
    out: Path,
    time_limit: float | None,
    seed: int | None,
    workers: int | None,
    scheduler: str | None,
    allow_unassigned: bool,
    calendar_mode: str | None,
    deterministic: bool,
    wall_clock: bool,
    quiet: bool,
) -> None:
    """Form cohorts, schedule their sessions and write every output file into --out.

    Exit 0 done; 1 invalid input; 2 usage error; 3 proven infeasible (with a
    diagnosis); 4 no solution found within the time limit; 5 a solution was
    found but the independent checker rejected it (please report it).
    """
    from peermatch import interrupts
    from peermatch.deadline import Deadline

    # The limit counts from here: reading, checking, solving and writing all share it.
    deadline = Deadline(time_limit)
    from peermatch.cli.progress import ProgressDisplay

    display = ProgressDisplay(quiet, deadline, wall_clock=not deterministic or wall_clock)
    display.phase("reading")
    from peermatch.io.writers import OutputError, check_output_dir, write_outputs
    from peermatch.metrics import cohort_metrics
    from peermatch.params import ParameterError
    from peermatch.rules import format_diagnoses
    from peermatch.solution import Status
    from peermatch.solvers.cpsat import solve
    from peermatch.violations import violations

    try:
        check_output_dir(out)
    except OutputError as exc:
        fail(f"{out}: {exc}", EXIT_USAGE)
    problem = read_input(
        participants,
        history,
        facilitators,
        previous,
        config,
        locks,
        pairs,
        avoid_previous_organisations,
    )
    workers = workers if workers is not None else problem.config.solver.workers
    from peermatch.executor import DaskUnavailableError, check_scheduler

    # From here a signal stops the search and the best solution so far is written.
    interrupts.hold()
    try:
        check_scheduler(scheduler)
        with display:
            result = solve(
                problem,
                time_limit=time_limit,
                seed=seed,
                workers=workers,
                allow_unassigned=allow_unassigned,
                deterministic=deterministic and not wall_clock,
                progress=display,
                scheduler=scheduler,
                deadline=deadline,
            )
    except DaskUnavailableError as exc:
        fail(f"--scheduler: {exc}", EXIT_USAGE)
    except KeyboardInterrupt:
        fail("interrupted before any solution was found; nothing was written", EXIT_NO_SOLUTION)
    except ParameterError as exc:
        fail(f"{config or 'program.toml'}: {exc}", EXIT_INVALID)
    if result.status == Status.INFEASIBLE:
        fail(
            "no cohorts can satisfy every rule:\n" + format_diagnoses(result.diagnosis),
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
            f"no solution found within the time limit ({result.runtime:.1f}s); "
            f"try a longer --time-limit or --allow-unassigned; nothing was written{_left_out(result)}",
            EXIT_NO_SOLUTION,
        )
    broken = tuple(violations(problem, result.solution))
    if broken:
        rejected(broken)
    display.phase("writing")
    try:
        written = write_outputs(
            out,
            problem,
            result,
            calendar_mode=calendar_mode,
            metrics=cohort_metrics(problem, result.solution),
        )
    except (OutputError, OSError, ValueError) as exc:
        fail(f"{out}: could not write the outputs: {exc}", EXIT_USAGE)
    sol = result.solution
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


def _left_out(result: Result) -> str:
    """Who the best grouping found still left out, and why (the search tried placing them)."""
    stats = result.stats
    if not stats.unplaced or not stats.not_placed:
        return ""
    named = "".join(f"\n  {line}" for line in stats.not_placed)
    more = stats.unplaced - len(stats.not_placed)
    tail = f"\n  ... and {more} more" if more > 0 else ""
    return (
        f"\nthe best grouping found leaves {stats.unplaced} participant(s) out, "
        f"although the search worked on placing them first:{named}{tail}"
    )
