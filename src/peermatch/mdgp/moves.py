"""MDGP move evaluation: the gain matrix and the incremental search state.

The search works on a plain assignment vector ``group[i]`` and keeps the
*gain matrix* ``G`` (n x m), ``G[i, g] = sum of d[i, j] over j in group g``.
With it every neighbourhood move is priced in O(1):

* **move** ``i: g -> h`` changes the objective by ``G[i, h] - G[i, g]``;
* **swap** ``i in g`` with ``j in h`` changes it by
  ``G[i, h] - G[i, g] + G[j, g] - G[j, h] - 2 d[i, j]``.

Applying a move or swap updates ``G`` with two column updates (O(n)).
numpy only; this module must not import ortools.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "FORBIDDEN",
    "FloatArray",
    "IntArray",
    "IntDraws",
    "SearchState",
    "assignment_objective",
    "gain_matrix",
    "most_pairs_sizes",
    "perturb",
    "random_assignment_with_sizes",
    "random_feasible_assignment",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Large finite penalty (not -inf) so sums of masked entries stay finite and
# argmax never sees NaN from inf - inf.
FORBIDDEN = -1.0e300


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
    dist, assignment : numpy.ndarray
        As for :func:`gain_matrix`.

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


def most_pairs_sizes(
    n: int,
    lower: Sequence[int] | IntArray,
    upper: Sequence[int] | IntArray,
    rng: np.random.Generator,
    *,
    fewest: bool = False,
) -> IntArray:
    """Return group sizes within the bounds with the most (or fewest) pairs.

    The objective sums one distance per same-group pair, so on instances
    with positive distances the size vector sets how many terms the sum has:
    on the ``ds`` instances the best solutions use a size vector with the
    most pairs ``sum s_g (s_g - 1) / 2``, reached from a balanced start only
    by a long chain of moves that each lose value (observed on the n = 120
    ``ds`` instances: runs that stayed at 709 pairs ended 0.65 % below the
    runs that found the 713-pair vector). A knapsack-style dynamic program
    over the groups finds such a vector; ties are broken at random.

    Parameters
    ----------
    n : int
        Number of elements.
    lower, upper : sequence of int
        Per-group size bounds; ``sum(lower) <= n <= sum(upper)``.
    rng : numpy.random.Generator
        Breaks ties between equally good sizes.
    fewest : bool, default False
        Minimise the number of pairs instead (distances mostly negative).

    Returns
    -------
    numpy.ndarray
        Size of every group.
    """
    lo = np.asarray(lower, dtype=np.int64)
    hi = np.asarray(upper, dtype=np.int64)
    m = lo.size
    sign = -1.0 if fewest else 1.0
    # value[g][k]: best pair count of groups g.. holding exactly k elements.
    value = np.full((m + 1, n + 1), -np.inf)
    value[m, 0] = 0.0
    for g in range(m - 1, -1, -1):
        for s in range(int(lo[g]), min(int(hi[g]), n) + 1):
            pairs = sign * s * (s - 1) / 2.0
            cand = value[g + 1, : n + 1 - s] + pairs
            np.maximum(value[g, s:], cand, out=value[g, s:])
    if not np.isfinite(value[0, n]):
        raise ValueError(f"group size bounds admit no assignment of {n} elements")
    sizes = np.empty(m, dtype=np.int64)
    left = n
    for g in range(m):
        options = [
            s
            for s in range(int(lo[g]), min(int(hi[g]), left) + 1)
            if value[g + 1, left - s] + sign * s * (s - 1) / 2.0 >= value[g, left] - 1e-9
        ]
        sizes[g] = options[int(rng.integers(len(options)))]
        left -= int(sizes[g])
    return sizes


def random_assignment_with_sizes(sizes: IntArray, rng: np.random.Generator) -> IntArray:
    """Return a random assignment with exactly ``sizes[g]`` elements in group ``g``."""
    assignment = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    rng.shuffle(assignment)
    return assignment


class SearchState:
    """Mutable search state: assignment, sizes, gain matrix and objective."""

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

    def move(self, i: int, h: int) -> None:
        g = int(self.group[i])
        col = self.dist[:, i]
        self.value += self.gain[i, h] - self.gain[i, g]
        self.gain[:, g] -= col
        self.gain[:, h] += col
        self.group[i] = h
        self.sizes[g] -= 1
        self.sizes[h] += 1

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


class IntDraws:
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


def perturb(
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
