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
from peermatch.mdgp.moves import assignment_objective
from peermatch.mdgp.search import iterated_tabu_search

__all__ = ["CPSAT_MAX_N", "MdgpResult", "solve_mdgp"]

#: Largest instance size on which :func:`solve_mdgp` also runs CP-SAT.
CPSAT_MAX_N = 30

# Up to this size CP-SAT usually proves optimality within seconds.
_PROOF_MAX_N = 14


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


def solve_mdgp(
    instance: MdgpInstance,
    *,
    time_limit: float,
    seed: int = 0,
    workers: int = 1,
    max_iterations: int | None = None,
    best_known: float | None = None,
    use_cpsat: bool | None = None,
) -> MdgpResult:
    """Solve an MDGP instance.

    Iterated tabu search gives the primal solution. On instances with
    ``n <= CPSAT_MAX_N`` it runs for a short share of the budget and CP-SAT,
    hinted with its solution, gets the rest to improve it and prove a bound.

    Parameters
    ----------
    instance : MdgpInstance
        The instance.
    time_limit : float
        Wall-clock budget in seconds (CP-SAT stops early once optimal).
    seed : int, default 0
        Seed for the local search and CP-SAT.
    workers : int, default 1
        CP-SAT search workers (the local search is single-threaded).
    max_iterations : int, optional
        Cap on tabu iterations; with it (and the time limit not binding) the
        result is reproducible for the same seed and workers.
    best_known : float, optional
        Best known value for the gap; looked up in ``bks.csv`` by instance
        name when omitted and the file is found.
    use_cpsat : bool, optional
        Force CP-SAT on or off; default: on iff ``n <= CPSAT_MAX_N``.

    Returns
    -------
    MdgpResult
        Best grouping found with its objective, bound and gap.

    Raises
    ------
    ValueError
        If ``time_limit`` is not positive.
    """
    start = time.perf_counter()
    if not time_limit > 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")
    if use_cpsat is None:
        use_cpsat = instance.n <= CPSAT_MAX_N
    ls_iters = max_iterations
    if not use_cpsat:
        ls_limit = time_limit
    elif instance.n <= _PROOF_MAX_N:
        # Tiny instances: the tabu search finds the optimum in a blink, so it
        # gets a small slice and CP-SAT the rest to prove optimality.
        ls_limit = min(0.2 * time_limit, 1.0)
        if ls_iters is None:
            ls_iters = 2000 + 50 * instance.n
    else:
        # Proofs are out of reach here; CP-SAT only tries to improve the
        # hinted solution and report a bound, so the primal search keeps
        # most of the budget.
        ls_limit = 0.7 * time_limit
    ls = iterated_tabu_search(
        instance.distances,
        instance.lower,
        instance.upper,
        seed=seed,
        time_limit=ls_limit,
        max_iterations=ls_iters,
    )
    assignment = ls.assignment
    objective = ls.objective
    bound: float | None = None
    status = "FEASIBLE"
    if use_cpsat:
        from peermatch.solvers.cpsat.mdgp import solve_mdgp_cpsat

        remaining = time_limit - (time.perf_counter() - start)
        if remaining > 0.05:
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
                cp_value = assignment_objective(instance.distances, cp.assignment)
                # Keep the tabu solution on ties so results do not hinge on
                # which of several optima CP-SAT happened to return.
                if cp_value > objective + 1e-9:
                    assignment, objective = cp.assignment, cp_value
            bound = cp.best_bound
            if cp.optimal:
                status = "OPTIMAL"
                bound = max(objective, bound) if bound is not None else objective
    if best_known is None:
        try:
            rec = load_bks().get(instance.name)
        except (OSError, ValueError):
            rec = None
        best_known = rec.bks if rec is not None else None
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
