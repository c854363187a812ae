"""``peermatch repair``: change an earlier run as little as the updated inputs allow.

Registered from :mod:`peermatch.cli`; the logic lives in :mod:`peermatch.repair`
(reading the earlier folder, changes.csv, calendars) and
:mod:`peermatch.solvers.search.repairing` (the model).
"""

from __future__ import annotations

from pathlib import Path

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

__all__ = ["repair"]


@click.command()
@click.option(
    "--previous-run",
    "previous_run",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The output folder of the earlier run (cohorts.csv, sessions.csv, calendars/).",
)
@input_options
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="New output folder (written whole or not at all; not the earlier one).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds (default: the config's).",
)
@click.option("--seed", type=click.IntRange(min=0), help="Random seed (default: the config's).")
@click.option(
    "--workers", type=click.IntRange(min=0, max=64), help="CP-SAT workers (default: the config's)."
)
@click.option("--calendar-mode", type=click.Choice(["series", "expanded"]), help="Calendar shape.")
@click.option("--wall-clock", is_flag=True, help="Measure the time limit in wall-clock seconds.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the final line.")
def repair(
    previous_run: Path,
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
    calendar_mode: str | None,
    wall_clock: bool,
    quiet: bool,
) -> None:
    """Repair an earlier run after people left, joined or changed: move the fewest people.

    Every cohort keeps its id, slot, dates and facilitator while its members
    can still attend. Writes the run's files plus changes.csv into --out, and
    carries the earlier folder's invitations.json forward (see `invite`).
    Exit 0 done; 1 invalid input; 2 usage error; 3 proven infeasible; 4 no
    solution found within the time limit.
    """
    from peermatch.errors import InputError
    from peermatch.io.writers import OutputError, check_output_dir, write_outputs
    from peermatch.metrics import cohort_metrics
    from peermatch.repair import calendar_plan, carried_files, changes, read_previous_run
    from peermatch.rules import format_diagnoses
    from peermatch.solution import Status
    from peermatch.solvers.search.repairing import repair as solve_repair

    if out.resolve() == previous_run.resolve():
        fail(f"{out}: --out must be a new folder, not the earlier run's", EXIT_USAGE)
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
    try:
        earlier = read_previous_run(previous_run, problem)
        carried = carried_files(previous_run)
    except InputError as exc:
        fail("\n".join(str(p) for p in exc.problems) + "\nnothing was changed.", EXIT_INVALID)
    result, reasons = solve_repair(
        problem,
        earlier,
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        deterministic=not wall_clock,
    )
    if result.status == Status.INFEASIBLE:
        fail(
            "no repair can satisfy every rule:\n" + format_diagnoses(result.diagnosis),
            EXIT_INFEASIBLE,
        )
    if result.status == Status.REJECTED:
        rejected(result.violations)
    if result.solution is None:
        fail(
            f"no repair found within the time limit ({result.runtime:.1f}s); "
            "try a longer --time-limit; nothing was written",
            EXIT_NO_SOLUTION,
        )
    mode = calendar_mode or problem.config.calendar.mode
    rows = changes(problem, earlier, result.solution, reasons)
    sequences, kept = calendar_plan(problem, earlier, result.solution, mode)
    from peermatch.repair import changes_csv

    try:
        write_outputs(
            out,
            problem,
            result,
            calendar_mode=mode,
            metrics=cohort_metrics(problem, result.solution),
            sequences=sequences,
            extra={**carried, **kept, "changes.csv": changes_csv(rows)},
        )
    except (OutputError, OSError, ValueError) as exc:
        fail(f"{out}: could not write the outputs: {exc}", EXIT_USAGE)
    count = {kind: sum(r.change == kind for r in rows) for kind in ("joined", "left", "moved")}
    stats = result.stats.previous_run
    assert stats is not None  # a repair's result always has its levels
    click.echo(
        f"{result.status.value}: {len(result.solution.cohorts)} cohorts; "
        f"{count['left']} left, {count['joined']} joined, {count['moved']} moved"
        f"{' (fewest possible)' if stats.moved_optimal else ''}; "
        f"{stats.cohorts_changed or 0} earlier cohorts changed slot or facilitator, "
        f"{len(kept)} calendars unchanged; {result.runtime:.1f}s"
    )
    if not quiet:
        click.echo(f"wrote {out} (changes in {out / 'changes.csv'})")
