"""CP-SAT model of the maximally diverse grouping problem (MDGP).

Formulation
-----------
Variables

* ``x[i, g]`` (bool): element ``i`` is in group ``g``;
* ``y[i, j]`` (bool, ``i < j``): ``i`` and ``j`` share a group;
* ``s_g``, ``p_g`` (int): size of group ``g`` and its number of pairs.

Constraints

* assignment: ``sum_g x[i, g] = 1`` for every ``i``;
* sizes: ``a_g <= sum_i x[i, g] <= b_g``;
* linking, for every group ``g``:

  - ``d_ij > 0``: ``x[i, g] and y[i, j] => x[j, g]`` (clause
    ``not x_ig or not y_ij or x_jg``). With ``i`` in ``g`` and ``j`` not,
    this forces ``y = 0``; nothing forces ``y = 1``, which maximisation does
    on its own. This is the linearisation ``y_ij <= 1 - x_ig + x_jg``; one
    direction suffices because ``i`` lies in some group.
  - ``d_ij < 0``: ``x[i, g] and x[j, g] => y[i, j]``
    (``y_ij >= x_ig + x_jg - 1``), the only direction that binds.

  The negative-d clause is only needed for the objective's sake; the
  counting constraints below make ``y`` exact anyway.
* sizes and counts (redundant, they strengthen propagation a lot):
  ``s_g = sum_i x[i, g]``, ``p_g = s_g (s_g - 1) / 2`` (table constraint),
  ``sum_{i<j} y[i, j] = sum_g p_g``, and ``x[i, g] => sum_j y[i, j] = s_g - 1``.
  Because ``y`` only has upper links, the total count forces every ``y`` to
  equal its same-group indicator.
* symmetry breaking: groups with identical bounds are interchangeable, so
  within each such class they are ordered by their smallest element:
  element ``i`` may join the next group of the class only if an element
  ``k < i`` is already in the previous one
  (``x[i, g'] <= sum_{k < i} x[k, g]``). Empty groups (possible only when
  ``a_g = 0``) are thereby pushed to the end of their class.

Objective: maximise ``sum d_ij y_ij``. CP-SAT needs integer coefficients, so
distances are scaled by the smallest power of ten (at most ``10^6``) that
makes them integral; when none does they are rounded at ``10^6`` and the
reported bound is widened by the worst-case rounding error so it stays a
valid bound on the true objective.

This is the only module of the MDGP code that imports ortools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

__all__ = ["CpsatMdgpResult", "build_mdgp_model", "distance_scale", "solve_mdgp_cpsat"]


@dataclass(frozen=True)
class CpsatMdgpResult:
    """Outcome of :func:`solve_mdgp_cpsat`.

    Attributes
    ----------
    assignment : numpy.ndarray or None
        Group of every element, ``None`` when no solution was found.
    objective : float or None
        Objective of ``assignment`` in the original (unscaled) units.
    best_bound : float or None
        Valid upper bound on the optimum, ``None`` when unavailable.
    optimal : bool
        Whether CP-SAT proved optimality.
    status : str
        CP-SAT status name.
    """

    assignment: NDArray[np.int64] | None
    objective: float | None
    best_bound: float | None
    optimal: bool
    status: str


@dataclass
class _Model:
    model: cp_model.CpModel
    x: list[list[cp_model.IntVar]]
    y: dict[tuple[int, int], cp_model.IntVar]
    scale: int
    exact: bool


def distance_scale(dist: NDArray[np.float64], max_digits: int = 6) -> tuple[int, bool]:
    """Return the power of ten that makes all distances integral.

    Parameters
    ----------
    dist : numpy.ndarray
        Distance matrix.
    max_digits : int, default 6
        Largest number of decimals tried.

    Returns
    -------
    (int, bool)
        The scale factor and whether scaling is exact (else values are
        rounded at ``10**max_digits``).
    """
    for k in range(max_digits + 1):
        scaled = dist * 10**k
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6):
            return 10**k, True
    return 10**max_digits, False


def build_mdgp_model(
    dist: NDArray[np.float64],
    lower: Sequence[int],
    upper: Sequence[int],
    *,
    symmetry_breaking: bool = True,
) -> _Model:
    """Build the CP-SAT model described in the module docstring.

    Parameters
    ----------
    dist : numpy.ndarray
        Symmetric n x n distance matrix.
    lower, upper : sequence of int
        Per-group size bounds.
    symmetry_breaking : bool, default True
        Add the group-ordering constraints.

    Returns
    -------
    _Model
        The model with its variables and objective scale.
    """
    n = dist.shape[0]
    m = len(lower)
    scale, exact = distance_scale(dist)
    coef = np.round(dist * scale).astype(np.int64)
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x_{i}_{g}") for g in range(m)] for i in range(n)]
    for i in range(n):
        model.add_exactly_one(x[i])
    for g in range(m):
        model.add_linear_constraint(sum(x[i][g] for i in range(n)), lower[g], upper[g])

    # Group sizes and pair counts: with y[i, j] defined for every pair, the
    # number of true y's must equal sum_g C(s_g, 2), and an element in group
    # g has exactly s_g - 1 partners. Together with the upper linking these
    # force y to be exactly the same-group indicator, which gives CP-SAT much
    # stronger propagation than the clauses alone (ds instances, where sizes
    # vary, are not proved within minutes without them).
    sizes = [model.new_int_var(lower[g], upper[g], f"s_{g}") for g in range(m)]
    pair_counts = []
    for g in range(m):
        model.add(sizes[g] == sum(x[i][g] for i in range(n)))
        p = model.new_int_var(
            lower[g] * (lower[g] - 1) // 2, upper[g] * (upper[g] - 1) // 2, f"p_{g}"
        )
        model.add_allowed_assignments(
            [sizes[g], p], [(k, k * (k - 1) // 2) for k in range(lower[g], upper[g] + 1)]
        )
        pair_counts.append(p)

    y: dict[tuple[int, int], cp_model.IntVar] = {}
    partners: list[list[cp_model.IntVar]] = [[] for _ in range(n)]
    objective = []
    for i in range(n):
        for j in range(i + 1, n):
            v = model.new_bool_var(f"y_{i}_{j}")
            y[i, j] = v
            partners[i].append(v)
            partners[j].append(v)
            c = int(coef[i, j])
            if c != 0:
                objective.append(c * v)
            for g in range(m):
                model.add_bool_or([~x[i][g], ~v, x[j][g]])
                if c < 0:
                    model.add_bool_or([~x[i][g], ~x[j][g], v])
    model.add(sum(y.values()) == sum(pair_counts))
    for i in range(n):
        for g in range(m):
            model.add(sum(partners[i]) == sizes[g] - 1).only_enforce_if(x[i][g])

    if symmetry_breaking:
        classes: dict[tuple[int, int], list[int]] = {}
        for g in range(m):
            classes.setdefault((lower[g], upper[g]), []).append(g)
        for members in classes.values():
            for g, h in pairwise(members):
                for i in range(n):
                    model.add(x[i][h] <= sum(x[k][g] for k in range(i)))

    model.maximize(sum(objective))
    return _Model(model=model, x=x, y=y, scale=scale, exact=exact)


def solve_mdgp_cpsat(
    dist: NDArray[np.float64],
    lower: Sequence[int],
    upper: Sequence[int],
    *,
    time_limit: float,
    seed: int = 0,
    workers: int = 1,
    hint: Sequence[int] | NDArray[np.int64] | None = None,
) -> CpsatMdgpResult:
    """Solve (or bound) an MDGP instance with CP-SAT.

    Parameters
    ----------
    dist, lower, upper
        The instance, as for :func:`build_mdgp_model`.
    time_limit : float
        CP-SAT time limit in seconds.
    seed : int, default 0
        CP-SAT random seed.
    workers : int, default 1
        CP-SAT search workers; with 1 the run is deterministic.
    hint : sequence of int, optional
        Assignment used as a solution hint (e.g. from local search).

    Returns
    -------
    CpsatMdgpResult
        Solution, bound and status.
    """
    d = np.array(dist, dtype=np.float64)
    np.fill_diagonal(d, 0.0)
    n = d.shape[0]
    m = len(lower)
    built = build_mdgp_model(d, lower, upper)
    if hint is not None:
        h = np.asarray(hint, dtype=np.int64)
        # The symmetry breaking may exclude the hint's labelling; relabel the
        # groups of each class in order of their smallest element so the hint
        # stays feasible.
        h = _canonical_labels(h, lower, upper)
        for i in range(n):
            for g in range(m):
                built.model.add_hint(built.x[i][g], bool(h[i] == g))
        for (i, j), v in built.y.items():
            built.model.add_hint(v, bool(h[i] == h[j]))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, float(time_limit))
    solver.parameters.num_workers = max(1, int(workers))
    solver.parameters.random_seed = int(seed)
    status = solver.solve(built.model)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return CpsatMdgpResult(None, None, None, False, name)

    assignment = np.array(
        [next(g for g in range(m) if solver.boolean_value(built.x[i][g])) for i in range(n)],
        dtype=np.int64,
    )
    same = assignment[:, None] == assignment[None, :]
    value = float(np.triu(np.where(same, d, 0.0), k=1).sum())
    bound = solver.best_objective_bound / built.scale
    if not built.exact:
        # Each rounded coefficient is off by at most 0.5/scale; at most
        # sum_g C(b_g, 2) pairs can count.
        pairs = sum(b * (b - 1) // 2 for b in upper)
        bound += pairs * 0.5 / built.scale
    bound = max(bound, value) if status == cp_model.OPTIMAL else bound
    return CpsatMdgpResult(
        assignment=assignment,
        objective=value,
        best_bound=float(bound),
        optimal=status == cp_model.OPTIMAL and built.exact,
        status=name,
    )


def _canonical_labels(
    assignment: NDArray[np.int64], lower: Sequence[int], upper: Sequence[int]
) -> NDArray[np.int64]:
    m = len(lower)
    relabel = np.arange(m)
    classes: dict[tuple[int, int], list[int]] = {}
    for g in range(m):
        classes.setdefault((lower[g], upper[g]), []).append(g)
    n = assignment.size
    for members in classes.values():
        # Order this class's groups by smallest element (empty groups last).
        first = [
            (int(np.flatnonzero(assignment == g)[0]) if np.any(assignment == g) else n, g)
            for g in members
        ]
        for slot, (_, g) in zip(members, sorted(first), strict=True):
            relabel[g] = slot
    return relabel[assignment]
