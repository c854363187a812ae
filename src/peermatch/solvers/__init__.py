"""Formation solvers: the flat instance, the greedy start, the searches, finishing, and CP-SAT.

Import what you need from the submodules (``peermatch.solvers.greedy``,
``peermatch.solvers.cpsat``...). The package itself holds only :func:`solve`
and :func:`repair`, thin fronts for the CP-SAT back end that import it on the
first call, so that ``import peermatch`` (and reading or validating a
problem) never loads OR-Tools.

Modules
-------
instance, grouping, placement_rules
    The solver-neutral, index-based view of a problem; groupings, locks and
    ``together`` groups; the placement rules by position.
cohort_state
    The one incremental state of a grouping (options, zones, value counts,
    what fits where) that the greedy start and the swap descents share.
greedy, greedy_state, greedy_rank, group_seating, settle
    The greedy warm start (also a baseline); its cohort state (planned levels,
    cheap caches); its per-person ranking of the cohorts and its descent's swap
    gain, in one pass; locks and ``together`` groups seated first in it;
    meeting [presence] and [required] after it.
placement
    Placement first: ejection chains around the people left out.
swaps, group_moves, parallel_swaps
    Moves and swaps of single people between cohorts; whole groups moved or
    exchanged for as many people once those stall; several descents side by side.
neighbourhoods, operators
    Which cohorts a neighbourhood step frees; which operator runs next.
partition
    Splitting a large program into parts.
leaderless
    A start's cohorts no facilitator can lead, dissolved into led cohorts at once.
finish, repair_finish
    From member lists to a Solution (slots, facilitators, ids), for a run and a repair.
progress
    The progress events of a solve.
search
    The neighbourhood search (one loop, in rounds of disjoint neighbourhoods
    with workers), large programs in parts, repair; OR-Tools only through cpsat.
cpsat
    The CP-SAT back end (the only package that imports OR-Tools).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from peermatch.deadline import Deadline
    from peermatch.model import ProblemData
    from peermatch.params import SolveParams
    from peermatch.previous_run import PreviousRun, RepairResult
    from peermatch.solution import Result
    from peermatch.solvers.progress import ProgressFn

__all__ = ["repair", "solve"]


def solve(
    problem: ProblemData,
    params: SolveParams | None = None,
    *,
    progress: ProgressFn | None = None,
    scheduler: Any = None,
    deadline: Deadline | None = None,
) -> Result:
    """Form cohorts for ``problem`` with the CP-SAT back end (loaded on the first call).

    Parameters
    ----------
    problem
        The validated problem.
    params
        The search settings (time limit, seed, workers, ...); default the
        config's ``[solver]`` table (:meth:`peermatch.model.SolverSettings.params`;
        ``problem.config.solver.params().replace(time_limit=5)`` changes one).
        **Unlike the command line**, whose ``--time-limit`` is wall clock
        unless ``--deterministic``, :class:`~peermatch.params.SolveParams`
        measures the limit in CP-SAT's deterministic time by default
        (``deterministic=True``): the library reproduces by default; pass
        ``deterministic=False`` for the command line's wall-clock limit.
        Workers 0 means one per core, at most 8; a deterministic run
        reproduces for a given worker count, so pin it where results must be
        compared.
    progress
        Called with a :class:`~peermatch.solvers.progress.Progress` on every improvement.
    scheduler
        A Dask scheduler address or ``distributed.Client``: the neighbourhood
        search (n > ``lns_threshold``) sends its neighbourhoods there. With
        ``workers`` > 1 (or a scheduler) the neighbourhood search solves that
        many disjoint neighbourhoods at once, one CP-SAT worker each
        (:mod:`peermatch.solvers.search.parallel_lns`); the whole-program model
        uses ``workers`` CP-SAT workers.
    deadline
        Wall-clock mode (``deterministic`` false) only: the run's deadline,
        created by the caller when the run began (the command line creates it
        before reading the files); its limit defaults to ``time_limit``.
        Default: one starting now. Deterministic mode has no deadline: the
        limit is CP-SAT's deterministic time and the set-up is not deducted.

    Returns
    -------
    Result
        ``status`` is optimal or feasible with a solution; infeasible with a
        ``diagnosis``; rejected when the independent checker refused the
        solution found; or unknown when nothing was found in time.

    Raises
    ------
    peermatch.params.ParameterError
        For an unknown or ill-typed pass-through CP-SAT parameter.

    Notes
    -----
    The steps are in :mod:`peermatch.solvers.cpsat.solving`, imported here on
    the first call; ``peermatch.solvers.cpsat.solve`` is this same function.
    """
    from peermatch.solvers.cpsat.solving import _solve

    params = params if params is not None else problem.config.solver.params()
    return _solve(problem, params, progress, scheduler, deadline)


def repair(
    problem: ProblemData,
    previous_run: str | Path | PreviousRun,
    params: SolveParams | None = None,
    *,
    merge_below: int | None = None,
) -> RepairResult:
    """Change an earlier run as little as ``problem`` (the updated inputs) allows.

    The library's ``peermatch repair``, without files written: every earlier
    cohort keeps its id, slot, dates and facilitator while its members can
    still attend, and the fewest people move.

    Parameters
    ----------
    problem
        The updated, validated problem.
    previous_run
        The earlier run's output folder (read with
        :func:`peermatch.previous_run.read_previous_run`), or what that returned.
    params
        Time limit, seed, workers and determinism (the other fields are not
        used by a repair); default the config's ``[solver]`` table. As with
        :func:`solve`, and **unlike the command line** (wall clock unless
        ``--deterministic``), the limit is deterministic time by default:
        pass ``deterministic=False`` for the command line's wall clock.
    merge_below
        ``repair --merge-below N``: every earlier cohort left with fewer than N
        members is dissolved and its people placed elsewhere, moving as few
        others as possible.

    Returns
    -------
    RepairResult
        The result, the changes (joined, left, moved, with reasons) and the
        earlier run. Write them with :func:`peermatch.write_outputs` and
        :func:`peermatch.previous_run.changes_csv` as the command does.

    Raises
    ------
    peermatch.InputError
        When ``previous_run`` is a folder that cannot be read as an earlier run
        of this program.
    """
    from peermatch.previous_run import RepairResult, changes, read_previous_run
    from peermatch.solvers.search.repairing import repair as search_repair

    if isinstance(previous_run, str | Path):
        previous_run = read_previous_run(previous_run, problem)
    params = params if params is not None else problem.config.solver.params()
    result, reasons = search_repair(
        problem,
        previous_run,
        time_limit=params.time_limit,
        seed=params.seed,
        workers=params.workers,
        deterministic=params.deterministic,
        merge_below=merge_below,
    )
    rows = (
        ()
        if result.solution is None
        else tuple(changes(problem, previous_run, result.solution, reasons))
    )
    return RepairResult(result=result, changes=rows, previous=previous_run)
