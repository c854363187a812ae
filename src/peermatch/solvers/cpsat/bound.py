"""A level-aware lower bound from an aggregate relaxation.

The whole model's LP bound (and :meth:`FormationInstance.lower_bound`) sees
each attribute spread over *all* cohorts. But seniority splits a program
into bands: a cohort's members lie within ``max_level_gap`` levels, so a
value that is common among directors can only be spread over the cohorts
that take directors. This relaxation keeps exactly that structure and
forgets the rest (organisations, links, slots, similarity):

- ``n[b]``: the number of cohorts whose level band starts at ``b``;
- ``y[g, b]``: how many people of class ``g`` (same level and same values of
  every weighted attribute) go to band-``b`` cohorts;
- for each attribute value, its people in band ``b`` (``N``) over ``n[b]``
  cohorts make at least ``j*N - n[b]*j*(j+1)/2`` same-value pairs for every
  j (summing ``C(c,2) >= j*c - j(j+1)/2`` over the cohorts; exact at the
  balanced spread);
- sizes: band ``b`` holds between ``min_size*n[b]`` and ``max_size*n[b]``
  people and contributes at least ``|people - target*n[b]|`` to the size term.

Every real solution maps onto a feasible point of this model with no
higher cost (count each cohort in the band starting at its lowest level),
so its optimum, or CP-SAT's bound on it, is a valid lower bound for the
formation problem. It is tiny (a few hundred integer variables), so it
solves in well under a second.
"""

from __future__ import annotations

from collections import Counter

from ortools.sat.python import cp_model

from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.instance import SIZE_WEIGHT, FormationInstance

__all__ = ["aggregate_bound"]


def _or_blank(value: int | None) -> int:
    return -1 if value is None else value


def aggregate_bound(
    inst: FormationInstance, time_limit: float = 5.0, seed: int = 0
) -> float | None:
    """A lower bound on the cost of any complete solution (``None`` if none was proven).

    Parameters
    ----------
    inst
        The flat instance.
    time_limit
        Deterministic seconds for the small bounding model.
    """
    if inst.n == 0:
        return None
    gap = inst.max_level_gap
    levels = sorted(set(inst.levels))
    starts = levels  # a cohort is counted in the band that starts at its lowest level
    # -1 stands for a blank value (never equal to anything, so it never makes a pair).
    classes: Counter[tuple[int, tuple[int, ...]]] = Counter(
        (inst.levels[i], tuple(_or_blank(values[i]) for values in inst.value_of))
        for i in range(inst.n)
    )
    m = cp_model.CpModel()
    max_k = inst.n // inst.min_size
    n = {b: m.new_int_var(0, max_k, f"n[{b}]") for b in starts}
    m.add(sum(n.values()) >= -(-inst.n // inst.max_size))
    y: dict[tuple[int, int], cp_model.IntVar] = {}
    for g, (key, count) in enumerate(sorted(classes.items())):
        level = key[0]
        bands = [b for b in starts if b <= level <= b + gap]
        for b in bands:
            y[g, b] = m.new_int_var(0, count, "")
        m.add(sum(y[g, b] for b in bands) == count)
    keys = sorted(classes)
    terms: list[cp_model.LinearExprT] = []
    for b in starts:
        people = sum(y[g, bb] for (g, bb) in y if bb == b)
        m.add(people >= inst.min_size * n[b])
        m.add(people <= inst.max_size * n[b])
        dev = m.new_int_var(0, inst.n, "")
        m.add(dev >= people - inst.target_size * n[b])
        m.add(dev >= inst.target_size * n[b] - people)
        terms.append(SIZE_WEIGHT * dev)
        for a, weight in enumerate(inst.attribute_weights):
            if weight <= 0:
                continue
            values = sorted({key[1][a] for key in keys if key[1][a] >= 0})
            for v in values:
                members = [y[g, b] for g, key in enumerate(keys) if key[1][a] == v and (g, b) in y]
                if not members:
                    continue
                total = sum(
                    classes[keys[g]] for g, key in enumerate(keys) if key[1][a] == v and (g, b) in y
                )
                top = min(total, inst.max_size)
                pairs = m.new_int_var(0, total * (total - 1) // 2, "")
                in_band = cp_model.LinearExpr.sum(members)
                for j in range(1, top):
                    m.add(pairs >= j * in_band - (j * (j + 1) // 2) * n[b])
                terms.append(weight * pairs)
    m.minimize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = time_limit
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    code = interrupt.run(solver, m)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return float(solver.best_objective_bound)
    return None
