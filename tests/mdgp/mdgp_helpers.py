"""Shared helpers of the MDGP tests: a small-instance strategy, brute force, validity."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

__all__ = ["brute_force", "instances", "is_valid"]


@st.composite
def instances(draw: st.DrawFn, max_n: int = 9) -> tuple[np.ndarray, list[int], list[int]]:
    """Random small instance: distances (some may be negative), feasible bounds."""
    n = draw(st.integers(2, max_n))
    m = draw(st.integers(1, min(4, n)))
    # A feasible size vector, then bounds loosened around it.
    cuts = sorted(draw(st.lists(st.integers(0, n), min_size=m - 1, max_size=m - 1)))
    sizes = [b - a for a, b in itertools.pairwise([0, *cuts, n])]
    lower = [max(0, s - draw(st.integers(0, 2))) for s in sizes]
    upper = [s + draw(st.integers(0, 2)) for s in sizes]
    integral = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if integral:
        vals = rng.integers(-3, 10, size=(n, n)).astype(float)
    else:
        vals = np.round(rng.random((n, n)) * 100, 3)
    d = np.triu(vals, 1)
    return d + d.T, lower, upper


def brute_force(d: np.ndarray, lower: list[int], upper: list[int]) -> float:
    n, m = d.shape[0], len(lower)
    assign = np.array(list(itertools.product(range(m), repeat=n)), dtype=np.int64)
    sizes = np.stack([(assign == g).sum(axis=1) for g in range(m)], axis=1)
    ok = np.all((sizes >= lower) & (sizes <= upper), axis=1)
    assign = assign[ok]
    iu, ju = np.triu_indices(n, 1)
    same = assign[:, iu] == assign[:, ju]
    return float((same * d[iu, ju]).sum(axis=1).max())


def is_valid(x: np.ndarray, n: int, lower: list[int], upper: list[int]) -> bool:
    sizes = np.bincount(x, minlength=len(lower))
    return (
        x.shape == (n,)
        and sizes.size == len(lower)
        and bool(np.all(sizes >= lower))
        and bool(np.all(sizes <= upper))
    )
