"""Iterated tabu search for the maximally diverse grouping problem (MDGP).

The search works on a plain assignment vector ``group[i]`` and keeps the
*gain matrix* ``G`` (n x m), ``G[i, g] = sum of d[i, j] over j in group g``.
With it every neighbourhood move is priced in O(1):

* **move** ``i: g -> h`` changes the objective by ``G[i, h] - G[i, g]``;
* **swap** ``i in g`` with ``j in h`` changes it by
  ``G[i, h] - G[i, g] + G[j, g] - G[j, h] - 2 d[i, j]``.

Applying a move or swap updates ``G`` with two column updates (O(n)).

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
from numpy.typing import NDArray

__all__ = [
    "SearchResult",
    "assignment_objective",
    "gain_matrix",
    "iterated_tabu_search",
    "random_feasible_assignment",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Large finite penalty (not -inf) so sums of masked entries stay finite and
# argmax never sees NaN from inf - inf.
_FORBIDDEN = -1.0e300


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


def gain_matrix(dist: FloatArray, assignment: IntArray, m: int) -> FloatArray:
    """Return ``G[i, g] = sum(dist[i, j] for j in group g)``.

    Parameters
    ----------
    dist : numpy.ndarray
        Symmetric n x n distance matrix with zero diagonal.
    assignment : numpy.ndarray
        Group of every element.
    m : int
        Number of groups.

    Returns
    -------
    numpy.ndarray
        The n x m gain matrix.
    """
    onehot = np.zeros((dist.shape[0], m), dtype=np.float64)
    onehot[np.arange(dist.shape[0]), assignment] = 1.0
    return np.asarray(dist @ onehot, dtype=np.float64)


def assignment_objective(dist: FloatArray, assignment: IntArray) -> float:
    """Return the MDGP objective of an assignment vector.

    Parameters
    ----------
    dist : numpy.ndarray
        Symmetric n x n distance matrix with zero diagonal.
    assignment : numpy.ndarray
        Group of every element.

    Returns
    -------
    float
        Sum of ``dist[i, j]`` over pairs ``i < j`` in the same group.
    """
    same = assignment[:, None] == assignment[None, :]
    return float(np.triu(np.where(same, dist, 0.0), k=1).sum())


def random_feasible_assignment(
    n: int,
    lower: Sequence[int] | IntArray,
    upper: Sequence[int] | IntArray,
    rng: np.random.Generator,
) -> IntArray:
    """Draw a random assignment whose group sizes lie within the bounds.

    Sizes start at the lower bounds; the remaining elements go one at a time
    to a random group that still has room, then elements are shuffled.

    Parameters
    ----------
    n : int
        Number of elements.
    lower, upper : sequence of int
        Per-group size bounds; ``sum(lower) <= n <= sum(upper)`` is required.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        Group of every element.

    Raises
    ------
    ValueError
        If the bounds admit no assignment.
    """
    lo = np.asarray(lower, dtype=np.int64)
    hi = np.asarray(upper, dtype=np.int64)
    if lo.sum() > n or hi.sum() < n or np.any(lo > hi) or np.any(lo < 0):
        raise ValueError(f"group size bounds admit no assignment of {n} elements")
    sizes = lo.copy()
    for _ in range(n - int(lo.sum())):
        room = np.flatnonzero(sizes < hi)
        sizes[room[rng.integers(room.size)]] += 1
    assignment = np.repeat(np.arange(lo.size, dtype=np.int64), sizes)
    rng.shuffle(assignment)
    return assignment


class _State:
    """Mutable search state: assignment, sizes, gain matrix and swap mask."""

    def __init__(
        self, dist: FloatArray, lower: IntArray, upper: IntArray, assignment: IntArray
    ) -> None:
        self.dist = dist
        self.lower = lower
        self.upper = upper
        self.m = lower.size
        self.reset(assignment)

    def reset(self, assignment: IntArray) -> None:
        # Rebuilding G from scratch on every restart also stops the slow
        # floating-point drift of the incremental updates.
        self.group = assignment.copy()
        self.sizes = np.bincount(self.group, minlength=self.m).astype(np.int64)
        self.gain = gain_matrix(self.dist, self.group, self.m)
        self.value = assignment_objective(self.dist, self.group)
        # pair_term[i, j] = -2 d_ij for pairs in different groups, and a huge
        # penalty for pairs in the same group (swapping them is a no-op), so
        # swap deltas are a single sum S + S.T + pair_term.
        same = self.group[:, None] == self.group[None, :]
        self.pair_term = np.where(same, _FORBIDDEN, -2.0 * self.dist)

    def _refresh_pairs(self, i: int) -> None:
        row = np.where(self.group == self.group[i], _FORBIDDEN, -2.0 * self.dist[i])
        self.pair_term[i, :] = row
        self.pair_term[:, i] = row

    def move(self, i: int, h: int) -> None:
        g = int(self.group[i])
        col = self.dist[:, i]
        self.value += self.gain[i, h] - self.gain[i, g]
        self.gain[:, g] -= col
        self.gain[:, h] += col
        self.group[i] = h
        self.sizes[g] -= 1
        self.sizes[h] += 1
        self._refresh_pairs(i)

    def swap(self, i: int, j: int) -> None:
        g = int(self.group[i])
        h = int(self.group[j])
        diff = self.dist[:, j] - self.dist[:, i]
        self.value += (
            self.gain[i, h] - self.gain[i, g] + self.gain[j, g] - self.gain[j, h]
        ) - 2.0 * self.dist[i, j]
        self.gain[:, g] += diff
        self.gain[:, h] -= diff
        self.group[i] = h
        self.group[j] = g
        self._refresh_pairs(i)
        self._refresh_pairs(j)


def iterated_tabu_search(
    dist: FloatArray,
    lower: Sequence[int],
    upper: Sequence[int],
    *,
    seed: int = 0,
    time_limit: float | None = None,
    max_iterations: int | None = None,
    initial: Sequence[int] | None = None,
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

    state = _State(d, lo, hi, x0)
    best_group = state.group.copy()
    best_value = state.value
    # Moves only matter when some group's size can change at all.
    flexible = bool(np.any(lo < hi))
    rows = np.arange(n)
    move_gain = np.empty((n, m), dtype=np.float64)
    delta = np.empty((n, n), dtype=np.float64)
    tabu_until = np.zeros(n, dtype=np.int64)
    tenures = _Draws(rng, t_lo, t_hi)
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
            best_delta = _FORBIDDEN
            bi = bj = -1
            if tabu.size:
                # delta is symmetric, so the tabu rows hold every swap that
                # involves a tabu element: check them for aspiration (a new
                # overall best is taken even if tabu), then mask them.
                sub = delta[tabu]
                flat = int(np.argmax(sub))
                top = sub.flat[flat]
                if top > _FORBIDDEN / 2 and state.value + top > best_value + 1e-9:
                    best_kind, best_delta = 2, float(top)
                    bi, bj = int(tabu[flat // n]), flat % n
                delta[tabu, :] = _FORBIDDEN
                delta[:, tabu] = _FORBIDDEN
            flat = int(np.argmax(delta))
            top = delta.flat[flat]
            if top > _FORBIDDEN / 2 and top > best_delta:
                best_kind, best_delta = 2, float(top)
                bi, bj = divmod(flat, n)

            if flexible:
                can_leave = (state.sizes > lo)[state.group]
                can_enter = state.sizes < hi
                mg = np.where(can_leave[:, None] & can_enter[None, :], move_gain, _FORBIDDEN)
                mg[rows, state.group] = _FORBIDDEN
                flat = int(np.argmax(mg))
                top = mg.flat[flat]
                if top > _FORBIDDEN / 2 and state.value + top > best_value + 1e-9:
                    if top > best_delta:
                        best_kind, best_delta = 1, float(top)
                        bi, bj = divmod(flat, m)
                else:
                    if tabu.size:
                        mg[tabu, :] = _FORBIDDEN
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
        state.reset(_perturb(base, lo, hi, strength, rng, perturb_move_probability))
        tabu_until[:] = 0

    return SearchResult(
        assignment=best_group,
        objective=assignment_objective(d, best_group),
        iterations=iteration,
        restarts=restarts,
        runtime_s=time.perf_counter() - start,
    )


class _Draws:
    """Integers from ``[lo, hi]`` drawn in batches (one Generator call per
    batch instead of one per tabu step, which was a visible cost)."""

    def __init__(self, rng: np.random.Generator, lo: int, hi: int, batch: int = 4096) -> None:
        self.rng, self.lo, self.hi, self.batch = rng, lo, max(lo, hi), batch
        self.values: list[int] = []
        self.pos = 0

    def next(self) -> int:
        if self.pos >= len(self.values):
            self.values = self.rng.integers(self.lo, self.hi + 1, size=self.batch).tolist()
            self.pos = 0
        self.pos += 1
        return self.values[self.pos - 1]


def _perturb(
    assignment: IntArray,
    lower: IntArray,
    upper: IntArray,
    strength: int,
    rng: np.random.Generator,
    move_probability: float,
) -> IntArray:
    """Apply ``strength`` random swaps (or feasible moves) to a copy."""
    x = assignment.copy()
    m = lower.size
    n = x.size
    sizes = np.bincount(x, minlength=m)
    for _ in range(strength):
        i = int(rng.integers(n))
        g = int(x[i])
        if rng.random() < move_probability and sizes[g] > lower[g]:
            room = np.flatnonzero(sizes < upper)
            room = room[room != g]
            if room.size:
                h = int(room[rng.integers(room.size)])
                x[i] = h
                sizes[g] -= 1
                sizes[h] += 1
                continue
        others = np.flatnonzero(x != g)
        if others.size:
            j = int(others[rng.integers(others.size)])
            x[i], x[j] = x[j], g
    return x
