"""``solve_mdgp``: the MDGP solver behind ``peermatch mdgp`` and the benchmark.

:func:`solve_mdgp` combines two engines:

* an iterated tabu search (:mod:`peermatch.mdgp.search`, numpy only) that
  provides the primal solution on every size;
* for small instances (``n <= CPSAT_MAX_N``) a CP-SAT model
  (:mod:`peermatch.solvers.cpsat.mdgp`) warm-started from the local-search
  solution, which proves optimality on the tiny ones and otherwise
  contributes a best bound.

This module never imports ortools at import time; the CP-SAT backend is
loaded lazily inside :func:`solve_mdgp`, only when it is used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from peermatch.mdgp.bks import load_bks
from peermatch.mdgp.instance import MdgpInstance
from peermatch.mdgp.islands import island_search
from peermatch.mdgp.moves import assignment_objective
from peermatch.mdgp.search import SearchResult

__all__ = ["CPSAT_MAX_N", "SEARCH_METHODS", "MdgpResult", "solve_mdgp"]

#: Largest instance size on which :func:`solve_mdgp` also runs CP-SAT.
CPSAT_MAX_N = 30

# Up to this size CP-SAT usually proves optimality within seconds.
_PROOF_MAX_N = 14

#: Primal searches :func:`solve_mdgp` can use: ``"memetic"`` (population and
#: group crossover over tabu runs, :mod:`peermatch.mdgp.memetic`) or
#: ``"tabu"`` (one iterated tabu search, :mod:`peermatch.mdgp.search`).
SEARCH_METHODS = ("memetic", "tabu")


@dataclass(frozen=True)
class MdgpResult:
    """Result of :func:`solve_mdgp`.

    Attributes
    ----------
    instance : str
        Instance name.
    objective : float
        Objective of ``groups``.
    groups : tuple of tuple of int
        Group ``g`` (in instance order) as a sorted tuple of element numbers.
    best_bound : float or None
        Proven upper bound on the optimum when CP-SAT ran, else ``None``.
    runtime_s : float
        Wall-clock time spent.
    best_known : float or None
        Best known value from ``bks.csv`` when given or found.
    gap_percent : float or None
        ``100 * (best_known - objective) / |best_known|``; negative when the
        best known value was beaten.
    status : str
        ``"OPTIMAL"`` when CP-SAT proved optimality, else ``"FEASIBLE"``.
    """

    instance: str
    objective: float
    groups: tuple[tuple[int, ...], ...]
    best_bound: float | None
    runtime_s: float
    best_known: float | None
    gap_percent: float | None
    status: str


def _groups_tuple(assignment: NDArray[np.int64], m: int) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(e) for e in np.flatnonzero(assignment == g)) for g in range(m))


def _primal(
    instance: MdgpInstance,
    time_limit: float,
    seed: int,
    max_iterations: int | None,
    use_cpsat: bool,
    search: str,
    workers: int,
) -> SearchResult:
    """Run the primal search for its share of the budget."""
    ls_limit, ls_iters, islands = time_limit, max_iterations, workers
    if use_cpsat:
        # CP-SAT gets the cores; one search gives its hint.
        islands = 1
        if instance.n <= _PROOF_MAX_N:
            # Tiny instances: the tabu search finds the optimum in a blink, so
            # it gets a small slice and CP-SAT the rest to prove optimality.
            ls_limit = min(0.2 * time_limit, 1.0)
            if ls_iters is None:
                ls_iters = 2000 + 50 * instance.n
        else:
            # Proofs are out of reach here; CP-SAT only tries to improve the
            # hinted solution and report a bound, so the primal search keeps
            # most of the budget.
            ls_limit = 0.7 * time_limit
    # Without CP-SAT nothing else runs: every core gets an island of its own.
    return island_search(
        instance.distances,
        instance.lower,
        instance.upper,
        workers=islands,
        seed=seed,
        time_limit=ls_limit,
        max_iterations=ls_iters,
        search=search,
    )


def _cpsat_phase(
    instance: MdgpInstance,
    assignment: NDArray[np.int64],
    objective: float,
    remaining: float,
    seed: int,
    workers: int,
) -> tuple[NDArray[np.int64], float, float | None, str]:
    """Improve and bound with CP-SAT; return assignment, value, bound, status."""
    # Lazy: only peermatch.solvers.cpsat may import ortools, and importing
    # peermatch.mdgp must not pay for it.
    from peermatch.solvers.cpsat.mdgp import solve_mdgp_cpsat

    if remaining <= 0.05:
        return assignment, objective, None, "FEASIBLE"
    cp = solve_mdgp_cpsat(
        instance.distances,
        instance.lower,
        instance.upper,
        time_limit=remaining,
        seed=seed,
        workers=workers,
        hint=assignment,
    )
    if cp.assignment is not None:
        # Recomputed from scratch rather than trusting CP-SAT's scaled value.
        cp_value = assignment_objective(instance.distances, cp.assignment)
        # Keep the tabu solution on ties so results do not hinge on which of
        # several optima CP-SAT happened to return.
        if cp_value > objective + 1e-9:
            assignment, objective = cp.assignment, cp_value
    bound = cp.best_bound
    if cp.optimal:
        return (
            assignment,
            objective,
            objective if bound is None else max(objective, bound),
            "OPTIMAL",
        )
    return assignment, objective, bound, "FEASIBLE"


def _best_known(instance: MdgpInstance) -> float | None:
    try:
        rec = load_bks().get(instance.name)
    except (OSError, ValueError):
        return None
    return rec.bks if rec is not None else None


def solve_mdgp(
    instance: MdgpInstance,
    *,
    time_limit: float,
    seed: int = 0,
    workers: int = 1,
    max_iterations: int | None = None,
    best_known: float | None = None,
    use_cpsat: bool | None = None,
    search: str = "memetic",
) -> MdgpResult:
    """Solve an MDGP instance.

    A local search gives the primal solution (by default the memetic search
    of :mod:`peermatch.mdgp.memetic`; on instances CP-SAT also runs, the
    iterated tabu search). On instances with ``n <= CPSAT_MAX_N`` it runs
    for a short share of the budget and CP-SAT, hinted with its solution,
    gets the rest to improve it and prove a bound.

    Parameters
    ----------
    instance : MdgpInstance
        The instance.
    time_limit : float
        Wall-clock budget in seconds (CP-SAT stops early once optimal).
    seed : int, default 0
        Seed for the local search and CP-SAT.
    workers : int, default 1
        Cores to use. Without CP-SAT: that many independent searches side by
        side, the best kept (:func:`~peermatch.mdgp.islands.island_search`;
        island 0 is the one-worker run). With CP-SAT: its search workers
        (the tabu search giving its hint stays single-threaded).
    max_iterations : int, optional
        Cap on tabu iterations (over all tabu runs of one search, per island);
        with it (and the time limit not binding) the result is reproducible
        for the same seed and workers.
    best_known : float, optional
        Best known value for the gap; looked up in ``bks.csv`` by instance
        name when omitted and the file is found.
    use_cpsat : bool, optional
        Force CP-SAT on or off; default: on iff ``n <= CPSAT_MAX_N``.
    search : {"memetic", "tabu"}, default "memetic"
        Primal search when CP-SAT does not run (see :data:`SEARCH_METHODS`);
        with CP-SAT the tabu search always gives the hint.

    Returns
    -------
    MdgpResult
        Best grouping found with its objective, bound and gap.

    Raises
    ------
    ValueError
        If ``time_limit`` is not positive or ``search`` is unknown.
    """
    start = time.perf_counter()
    if not time_limit > 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")
    if search not in SEARCH_METHODS:
        raise ValueError(f"search must be one of {SEARCH_METHODS}, got {search!r}")
    if use_cpsat is None:
        use_cpsat = instance.n <= CPSAT_MAX_N
    # With CP-SAT the hint only has to be good, and the short tabu run is
    # what the small-instance tests and proofs were tuned with.
    method = "tabu" if use_cpsat else search
    ls = _primal(instance, time_limit, seed, max_iterations, use_cpsat, method, workers)
    assignment, objective = ls.assignment, ls.objective
    bound: float | None = None
    status = "FEASIBLE"
    if use_cpsat:
        remaining = time_limit - (time.perf_counter() - start)
        assignment, objective, bound, status = _cpsat_phase(
            instance, assignment, objective, remaining, seed, workers
        )
    if best_known is None:
        best_known = _best_known(instance)
    gap = None
    if best_known is not None and best_known != 0:
        gap = 100.0 * (best_known - objective) / abs(best_known)
    return MdgpResult(
        instance=instance.name,
        objective=objective,
        groups=_groups_tuple(assignment, instance.m),
        best_bound=bound,
        runtime_s=time.perf_counter() - start,
        best_known=best_known,
        gap_percent=gap,
        status=status,
    )
