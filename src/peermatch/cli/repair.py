"""``peermatch repair``: change an earlier run as little as the updated inputs allow.

Registered from :mod:`peermatch.cli`; the logic lives in :mod:`peermatch.previous_run`
(reading the earlier folder, changes.csv, calendars) and
:mod:`peermatch.solvers.search.repairing` (the model).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from peermatch.model import ProblemData
    from peermatch.params import SolveParams

from peermatch.cli.common import (
    EXIT_INVALID,
    EXIT_USAGE,
    InputFiles,
    RunOptions,
    check_new_output,
    existing_folder,
    fail,
    input_options,
    out_option,
    read_input,
    run_options,
    solution_or_exit,
)

__all__ = ["repair"]


def _search_params(options: RunOptions, problem: ProblemData) -> SolveParams:
    """The repair's settings: with a wall-clock limit, what is left of it after reading.

    ``--time-limit`` is wall clock for the whole command, as for ``run``: the
    repair's model gets the time left minus what finishing and writing need.
    """
    params = options.params(problem)
    if params.deterministic:
        return params
    deadline = options.deadline
    if deadline.limit is None:
        deadline.limit = params.time_limit
    left = deadline.remaining() - deadline.reserve(len(problem.participants))
    return params.replace(time_limit=max(0.5, left))


@click.command()
@click.option(
    "--previous-run",
    "previous_run",
    required=True,
    type=existing_folder,
    help="The output folder of the earlier run (cohorts.csv, sessions.csv, calendars/).",
)
@input_options
@out_option("New output folder (written whole or not at all; not the earlier one).")
@run_options
@click.option(
    "--merge-below",
    type=click.IntRange(min=1),
    help="Dissolve every cohort left with fewer than this many members and place its "
    "people elsewhere, moving as few others as possible.",
)
def repair(
    previous_run: Path,
    inputs: InputFiles,
    out: Path,
    options: RunOptions,
    merge_below: int | None,
) -> None:
    """Repair an earlier run after people left, joined or changed: move the fewest people.

    Every cohort keeps its id, slot, dates and facilitator while its members
    can still attend. Writes the run's files plus changes.csv into --out, and
    carries the earlier folder's invitations.json forward (see `invite`).
    Exit 0 done; 1 invalid input; 2 usage error; 3 proven infeasible; 4 no
    solution found within the time limit.
    """
    from peermatch.errors import InputError
    from peermatch.io.writers import OutputError, write_outputs
    from peermatch.metrics import cohort_metrics
    from peermatch.previous_run import calendar_plan, carried_files, changes_csv, read_previous_run
    from peermatch.solvers import repair as solve_repair

    if out.resolve() == previous_run.resolve():
        fail(f"{out}: --out must be a new folder, not the earlier run's", EXIT_USAGE)
    check_new_output(out)
    problem = read_input(inputs)
    try:
        earlier = read_previous_run(previous_run, problem)
        carried = carried_files(previous_run)
    except InputError as exc:
        fail("\n".join(str(p) for p in exc.problems) + "\nnothing was changed.", EXIT_INVALID)
    repaired = solve_repair(
        problem, earlier, _search_params(options, problem), merge_below=merge_below
    )
    result, rows = repaired.result, repaired.changes
    solution = solution_or_exit(result, "repair", "try a longer --time-limit")
    mode = options.calendar_mode or problem.config.calendar.mode
    sequences, kept = calendar_plan(problem, earlier, solution, mode)
    try:
        write_outputs(
            out,
            problem,
            result,
            calendar_mode=mode,
            metrics=cohort_metrics(problem, solution),
            sequences=sequences,
            extra={**carried, **kept, "changes.csv": changes_csv(rows)},
        )
    except (OutputError, OSError, ValueError) as exc:
        fail(f"{out}: could not write the outputs: {exc}", EXIT_USAGE)
    count = {kind: sum(r.change == kind for r in rows) for kind in ("joined", "left", "moved")}
    stats = result.stats.previous_run
    assert stats is not None  # a repair's result always has its levels
    click.echo(
        f"{result.status.value}: {len(solution.cohorts)} cohorts; "
        f"{count['left']} left, {count['joined']} joined, {count['moved']} moved"
        f"{' (fewest possible)' if stats.moved_optimal else ''}; "
        f"{stats.cohorts_changed or 0} earlier cohorts changed slot or facilitator, "
        f"{len(kept)} calendars unchanged; {result.runtime:.1f}s"
    )
    if not options.quiet:
        click.echo(f"wrote {out} (changes in {out / 'changes.csv'})")
