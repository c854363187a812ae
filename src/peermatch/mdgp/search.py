"""Iterated tabu search for the maximally diverse grouping problem (MDGP).

Moves are priced with the gain matrix of :mod:`peermatch.mdgp.moves`.
Each iteration evaluates the whole swap neighbourhood at once as an n x n
numpy expression (a single Python-level step instead of n^2 interpreted
ones), plus the move neighbourhood (n x m) when some group can still grow
or shrink (``ds`` instances). The best non-tabu candidate is applied
(tabu search, with the usual aspiration: a tabu candidate is taken when it
beats the best solution found so far). Elements just moved are tabu for a
randomised tenure. When a tabu phase stalls the best solution is perturbed
by random swaps/moves and a new phase starts (iterated tabu search, in the
spirit of Palubeckis et al. 2011 and Lai & Hao 2016).

Everything random comes from one seeded :class:`numpy.random.Generator`, so
with an iteration limit (and no time limit cutting the run) the path taken is
fully deterministic.

This module must not import ortools: it is the primal engine and stays
usable without the CP-SAT backend.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from peermatch.mdgp.moves import (
    FORBIDDEN,
    FloatArray,
    IntArray,
    IntDraws,
    SearchState,
    assignment_objective,
    perturb,
    random_feasible_assignment,
)

__all__ = ["SearchResult", "iterated_tabu_search"]


@dataclass(frozen=True)
class SearchResult:
    """Outcome of :func:`iterated_tabu_search`.

    Attributes
    ----------
    assignment : numpy.ndarray
        ``assignment[i]`` is the group (0-based) of element ``i``.
    objective : float
        Objective of ``assignment``, recomputed from scratch.
    iterations : int
        Number of tabu iterations performed.
    restarts : int
        Number of perturbations performed.
    runtime_s : float
        Wall-clock time spent.
    """

    assignment: IntArray
    objective: float
    iterations: int
    restarts: int
    runtime_s: float


def iterated_tabu_search(
    dist: FloatArray,
    lower: Sequence[int] | IntArray,
    upper: Sequence[int] | IntArray,
    *,
    seed: int = 0,
    time_limit: float | None = None,
    max_iterations: int | None = None,
    initial: Sequence[int] | IntArray | None = None,
    stall_iterations: int | None = None,
    tenure: tuple[int, int] | None = None,
    perturbation: tuple[int, int] | None = None,
    restart_from_best: float = 0.0,
    perturb_move_probability: float = 0.5,
) -> SearchResult:
    """Maximise the MDGP objective with iterated tabu search.

    Parameters
    ----------
    dist : numpy.ndarray
        Symmetric n x n distance matrix (diagonal ignored).
    lower, upper : sequence of int
        Per-group size bounds.
    seed : int, default 0
        Seed of the random generator; the only source of randomness.
    time_limit : float, optional
        Wall-clock limit in seconds.
    max_iterations : int, optional
        Limit on tabu iterations; gives reproducible runs independent of
        machine speed. At least one of the two limits must be given.
    initial : sequence of int, optional
        Starting assignment (must respect the bounds); random otherwise.
    stall_iterations : int, optional
        Iterations without improving the phase's best before perturbing.
        Default: ``max(50, 2 * n)``.
    tenure : (int, int), optional
        Range a moved element's tabu tenure is drawn from.
        Default: ``(3, n / 20)``, shrunk for tiny n.
    perturbation : (int, int), optional
        Range of the number of random swaps/moves applied to the best
        solution before a new phase. Default: about ``(n / 20, n / 8)``.
    restart_from_best : float, default 0.0
        Probability that a new phase perturbs the overall best solution;
        otherwise it perturbs the best solution of the phase just ended
        (a random-walk acceptance, which diversified better in tuning).
    perturb_move_probability : float, default 0.5
        Share of perturbation steps that try a random feasible move (changing
        group sizes) instead of a random swap.

    Returns
    -------
    SearchResult
        Best assignment found.

    Raises
    ------
    ValueError
        If no limit is given, the bounds are infeasible or ``initial`` is not
        a valid assignment.
    """
    start = time.perf_counter()
    if time_limit is None and max_iterations is None:
        raise ValueError("give time_limit or max_iterations")
    d = np.array(dist, dtype=np.float64)
    np.fill_diagonal(d, 0.0)
    n = d.shape[0]
    lo = np.asarray(lower, dtype=np.int64)
    hi = np.asarray(upper, dtype=np.int64)
    m = lo.size
    rng = np.random.default_rng(seed)
    if initial is None:
        x0 = random_feasible_assignment(n, lo, hi, rng)
    else:
        x0 = np.asarray(initial, dtype=np.int64).copy()
        sizes0 = np.bincount(x0, minlength=m)
        if x0.shape != (n,) or sizes0.size != m or np.any(sizes0 < lo) or np.any(sizes0 > hi):
            raise ValueError("initial assignment violates the group size bounds")

    deadline = start + time_limit if time_limit is not None else float("inf")
    iter_cap = max_iterations if max_iterations is not None else np.iinfo(np.int64).max
    stall = stall_iterations if stall_iterations is not None else max(50, 2 * n)
    if tenure is None:
        # Short tenures won in tuning on n = 120 (3..6 beat 6..15 and 12..24).
        t_lo = min(3, max(1, n // 20))
        t_hi = max(t_lo + 1, n // 20)
    else:
        t_lo, t_hi = tenure
    p_lo, p_hi = perturbation if perturbation is not None else (max(1, n // 20), max(2, n // 8))

    state = SearchState(d, lo, hi, x0)
    best_group = state.group.copy()
    best_value = state.value
    # Moves only matter when some group's size can change at all.
    flexible = bool(np.any(lo < hi))
    rows = np.arange(n)
    move_gain = np.empty((n, m), dtype=np.float64)
    delta = np.empty((n, n), dtype=np.float64)
    tabu_until = np.zeros(n, dtype=np.int64)
    tenures = IntDraws(rng, t_lo, t_hi)
    iteration = 0
    restarts = 0
    if n < 2 or m < 2:
        iter_cap = 0

    while iteration < iter_cap and time.perf_counter() < deadline:
        phase_best = state.value
        phase_group = state.group.copy()
        since_improvement = 0
        while since_improvement < stall and iteration < iter_cap and time.perf_counter() < deadline:
            iteration += 1
            # Write into preallocated buffers where numpy allows ``out=``:
            # large fresh temporaries can be served by mmap and page-faulted
            # in on every step (about 20% of the step time at n = 240).
            own = state.gain[rows, state.group]
            np.subtract(state.gain, own[:, None], out=move_gain)
            half = move_gain[:, state.group]
            np.add(half, half.T, out=delta)
            np.add(delta, state.pair_term, out=delta)
            tabu = np.flatnonzero(tabu_until >= iteration)

            best_kind = 0
            best_delta = FORBIDDEN
            bi = bj = -1
            if tabu.size:
                # delta is symmetric, so the tabu rows hold every swap that
                # involves a tabu element: check them for aspiration (a new
                # overall best is taken even if tabu), then mask them.
                sub = delta[tabu]
                flat = int(np.argmax(sub))
                top = sub.flat[flat]
                if top > FORBIDDEN / 2 and state.value + top > best_value + 1e-9:
                    best_kind, best_delta = 2, float(top)
                    bi, bj = int(tabu[flat // n]), flat % n
                delta[tabu, :] = FORBIDDEN
                delta[:, tabu] = FORBIDDEN
            flat = int(np.argmax(delta))
            top = delta.flat[flat]
            if top > FORBIDDEN / 2 and top > best_delta:
                best_kind, best_delta = 2, float(top)
                bi, bj = divmod(flat, n)

            if flexible:
                can_leave = (state.sizes > lo)[state.group]
                can_enter = state.sizes < hi
                mg = np.where(can_leave[:, None] & can_enter[None, :], move_gain, FORBIDDEN)
                mg[rows, state.group] = FORBIDDEN
                flat = int(np.argmax(mg))
                top = mg.flat[flat]
                if top > FORBIDDEN / 2 and state.value + top > best_value + 1e-9:
                    if top > best_delta:
                        best_kind, best_delta = 1, float(top)
                        bi, bj = divmod(flat, m)
                else:
                    if tabu.size:
                        mg[tabu, :] = FORBIDDEN
                    flat = int(np.argmax(mg))
                    top = mg.flat[flat]
                    if top > best_delta:
                        best_kind, best_delta = 1, float(top)
                        bi, bj = divmod(flat, m)

            if best_kind == 0:
                # Every candidate is tabu (tiny n): clear the tabu list.
                tabu_until[:] = 0
                since_improvement += 1
                continue
            if best_kind == 2:
                state.swap(bi, bj)
                tabu_until[bi] = iteration + tenures.next()
                tabu_until[bj] = iteration + tenures.next()
            else:
                state.move(bi, bj)
                tabu_until[bi] = iteration + tenures.next()

            if state.value > phase_best + 1e-9:
                phase_best = state.value
                phase_group[:] = state.group
                since_improvement = 0
                if state.value > best_value + 1e-9:
                    best_value = state.value
                    best_group = state.group.copy()
            else:
                since_improvement += 1

        if iteration >= iter_cap or time.perf_counter() >= deadline:
            break
        restarts += 1
        base = best_group if rng.random() < restart_from_best else phase_group
        strength = int(rng.integers(p_lo, p_hi + 1))
        state.reset(perturb(base, lo, hi, strength, rng, perturb_move_probability))
        tabu_until[:] = 0

    return SearchResult(
        assignment=best_group,
        objective=assignment_objective(d, best_group),
        iterations=iteration,
        restarts=restarts,
        runtime_s=time.perf_counter() - start,
    )
