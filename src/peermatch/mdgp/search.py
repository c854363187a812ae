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
    rng = np.random.default_rng(seed)
    if initial is None:
        x0 = random_feasible_assignment(n, lo, hi, rng)
    else:
        x0 = np.asarray(initial, dtype=np.int64).copy()
        sizes0 = np.bincount(x0, minlength=lo.size)
        if x0.shape != (n,) or sizes0.size != lo.size or np.any(sizes0 < lo) or np.any(sizes0 > hi):
            raise ValueError("initial assignment violates the group size bounds")
    if tenure is None:
        # Short tenures won in tuning on n = 120 (3..6 beat 6..15 and 12..24).
        t_lo = min(3, max(1, n // 20))
        tenure = (t_lo, max(t_lo + 1, n // 20))
    run = _TabuRun(SearchState(d, lo, hi, x0), rng, tenure)
    iter_cap = max_iterations if max_iterations is not None else np.iinfo(np.int64).max
    if n < 2 or lo.size < 2:
        iter_cap = 0
    run.search(
        deadline=start + time_limit if time_limit is not None else float("inf"),
        iter_cap=iter_cap,
        stall=stall_iterations if stall_iterations is not None else max(50, 2 * n),
        perturbation=perturbation or (max(1, n // 20), max(2, n // 8)),
        restart_from_best=restart_from_best,
        move_probability=perturb_move_probability,
    )
    return SearchResult(
        assignment=run.best_group,
        objective=assignment_objective(d, run.best_group),
        iterations=run.iteration,
        restarts=run.restarts,
        runtime_s=time.perf_counter() - start,
    )


# The candidate matrices are float32: half the memory traffic of float64 per
# step (the step streams n x n values; at n = 480 that is most of its time),
# and choosing the best candidate needs no more precision than that. The
# state itself (gains, objective) stays float64 and every applied move is
# priced exactly by it.
_CAND = np.float32
# Masked candidates, within float32 range so that sums of two stay finite:
# an element's own group (a no-op move, and a swap inside one group)...
_OWN = np.float32(-1.0e36)
# ... below it, a forbidden candidate (tabu, or a size bound) ...
_MASKED = np.float32(-1.0e37)
# ... and every real objective change lies above this.
_VALID = -1.0e35


class _TabuRun:
    """One iterated tabu search: the state, tabu list, buffers and best found."""

    def __init__(
        self, state: SearchState, rng: np.random.Generator, tenure: tuple[int, int]
    ) -> None:
        self.state = state
        self.rng = rng
        n, m = state.group.size, state.m
        self.n, self.m = n, m
        self.tenures = IntDraws(rng, *tenure)
        self.tabu_until = np.zeros(n, dtype=np.int64)
        self.rows = np.arange(n)
        # Preallocated buffers: large fresh temporaries can be served by mmap
        # and page-faulted in on every step (about 20 % of the step at n = 240).
        # move_gain[h, i]: objective change of moving element i to group h.
        # Groups by rows, so that gathering the rows of the elements' groups
        # (below) copies whole contiguous rows: a column gather from an
        # n x m matrix took twice as long.
        self.move_gain = np.empty((m, n), dtype=_CAND)
        self.masked_moves = np.empty((m, n), dtype=_CAND)
        self.delta = np.empty((n, n), dtype=_CAND)
        self.half = np.empty((n, n), dtype=_CAND)
        self.neg2d = (-2.0 * state.dist).astype(_CAND)
        # Moves only matter when some group's size can change at all.
        self.flexible = bool(np.any(state.lower < state.upper))
        self.best_group = state.group.copy()
        self.best_value = state.value
        self.iteration = 0
        self.restarts = 0

    def _best_swap(self, tabu: IntArray) -> tuple[int, float, int, int]:
        """Best admissible swap as (kind 2 or 0, delta, i, j)."""
        st, mg, delta = self.state, self.move_gain, self.delta
        np.subtract(st.gain.T, st.gain[self.rows, st.group][None, :], out=mg)
        mg[st.group, self.rows] = _OWN
        # half[i, j] = move_gain[g_i, j], the gain of moving j into i's
        # group; half + half.T - 2 d prices swapping i and j.
        half = np.take(mg, st.group, axis=0, out=self.half)
        np.add(half, half.T, out=delta)
        np.add(delta, self.neg2d, out=delta)
        kind, best, bi, bj = 0, float(_MASKED), -1, -1
        if tabu.size:
            # delta is symmetric, so the tabu rows hold every swap that
            # involves a tabu element: check them for aspiration (a new
            # overall best is taken even if tabu), then mask them.
            sub = delta[tabu]
            flat = int(np.argmax(sub))
            top = float(sub.flat[flat])
            if top > _VALID and st.value + top > self.best_value + 1e-9:
                kind, best, bi, bj = 2, top, int(tabu[flat // self.n]), flat % self.n
            delta[tabu, :] = _MASKED
            delta[:, tabu] = _MASKED
        flat = int(np.argmax(delta))
        top = float(delta.flat[flat])
        if top > _VALID and top > best:
            kind, best = 2, top
            bi, bj = divmod(flat, self.n)
        return kind, best, bi, bj

    def _best_move(self, tabu: IntArray, best: float) -> tuple[int, float, int, int] | None:
        """Best admissible move if it beats ``best``, as (1, delta, i, h)."""
        st = self.state
        mg = self.masked_moves
        np.copyto(mg, self.move_gain)  # already _OWN on every element's own group
        mg[:, (st.sizes <= st.lower)[st.group]] = _MASKED  # cannot leave
        mg[st.sizes >= st.upper, :] = _MASKED  # cannot enter
        flat = int(np.argmax(mg))
        top = float(mg.flat[flat])
        if not (top > _VALID and st.value + top > self.best_value + 1e-9):
            # No aspiration: tabu elements may not move.
            if tabu.size:
                mg[:, tabu] = _MASKED
            flat = int(np.argmax(mg))
            top = float(mg.flat[flat])
        if top > _VALID and top > best:
            h, i = divmod(flat, self.n)
            return 1, top, i, h
        return None

    def step(self) -> None:
        """One tabu iteration: apply the best admissible swap or move."""
        self.iteration += 1
        tabu = np.flatnonzero(self.tabu_until >= self.iteration)
        kind, best, bi, bj = self._best_swap(tabu)
        if self.flexible:
            move = self._best_move(tabu, best)
            if move is not None:
                kind, best, bi, bj = move
        if kind == 0:
            # Every candidate is tabu (tiny n): clear the tabu list.
            self.tabu_until[:] = 0
        elif kind == 2:
            self.state.swap(bi, bj)
            self.tabu_until[bi] = self.iteration + self.tenures.next()
            self.tabu_until[bj] = self.iteration + self.tenures.next()
        else:
            self.state.move(bi, bj)
            self.tabu_until[bi] = self.iteration + self.tenures.next()

    def search(
        self,
        *,
        deadline: float,
        iter_cap: int,
        stall: int,
        perturbation: tuple[int, int],
        restart_from_best: float,
        move_probability: float,
    ) -> None:
        """Tabu phases until a limit; each stalled phase ends in a perturbation."""
        st = self.state
        while self.iteration < iter_cap and time.perf_counter() < deadline:
            phase_best = st.value
            phase_group = st.group.copy()
            since = 0
            while since < stall and self.iteration < iter_cap and time.perf_counter() < deadline:
                self.step()
                if st.value > phase_best + 1e-9:
                    phase_best = st.value
                    phase_group[:] = st.group
                    since = 0
                    if st.value > self.best_value + 1e-9:
                        self.best_value = st.value
                        self.best_group = st.group.copy()
                else:
                    since += 1
            if self.iteration >= iter_cap or time.perf_counter() >= deadline:
                return
            self.restarts += 1
            base = self.best_group if self.rng.random() < restart_from_best else phase_group
            strength = int(self.rng.integers(perturbation[0], perturbation[1] + 1))
            st.reset(perturb(base, st.lower, st.upper, strength, self.rng, move_probability))
            self.tabu_until[:] = 0
