"""The objective: spread every diversity attribute, keep sizes near the target.

Minimised (see :mod:`peermatch.solvers.instance` for the weights)::

    sum_a W_a * sum_{k,v} pairs[k,a,v] + SIZE_WEIGHT * sum_k dev[k] + UNASSIGNED_WEIGHT * left_out

``pairs[k,a,v]`` is the number of same-value pairs, ``C(count, 2)`` of the
``count[k,a,v]`` members of cohort k with value v of attribute a. It is
linearised exactly at integer counts by its tangent lines
``pairs >= j*count - j*(j+1)/2`` (j = 1..ub-1): the function is convex, so
minimisation makes ``pairs`` equal to the largest of them. Why this
formulation: its LP relaxation is the piecewise-linear interpolation of
``C(count, 2)``, whose minimum over fractional spreads equals the balanced
integer spread, so CP-SAT's root bound is already the classic
"perfectly balanced" bound for every attribute, and the gap it reports is
meaningful. Two redundant cuts strengthen it further: the total size
deviation is at least the least deviation any number of cohorts allows,
and the objective is at least :meth:`FormationInstance.lower_bound`.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from peermatch.solvers.cpsat.variables import Variables
from peermatch.solvers.instance import SIZE_WEIGHT, UNASSIGNED_WEIGHT, FormationInstance

__all__ = ["Objective"]


class Objective:
    """Builds the cost expression of the model."""

    def __init__(
        self, model: cp_model.CpModel, inst: FormationInstance, v: Variables, allow_unassigned: bool
    ):
        self.model, self.inst, self.v, self.allow_unassigned = model, inst, v, allow_unassigned
        self.terms: list[cp_model.LinearExprT] = []

    def build(self) -> cp_model.LinearExprT:
        self.diversity()
        self.sizes()
        self.unassigned()
        expr = sum(self.terms)
        if not self.allow_unassigned:
            bound = self.inst.lower_bound()
            if bound is not None:
                self.model.add(expr >= bound)
        self.model.minimize(expr)
        return expr

    def diversity(self) -> None:
        """Same-value pairs of every weighted attribute, weighted."""
        inst, v, model = self.inst, self.v, self.model
        for w, values, counts in zip(
            inst.attribute_weights, inst.value_of, inst.value_counts, strict=True
        ):
            if w <= 0:
                continue
            groups: dict[int, list[int]] = {}
            for i, val in enumerate(values):
                if val is not None and counts[val] >= 2:
                    groups.setdefault(val, []).append(i)
            for _, people in sorted(groups.items()):
                for k in range(len(v.used)):
                    xs = [v.x[i, k] for i in people if (i, k) in v.x]
                    ub = min(len(xs), inst.max_size)
                    if ub < 2:
                        continue
                    count = model.new_int_var(0, ub, "")
                    model.add(count == sum(xs))
                    pairs = model.new_int_var(0, ub * (ub - 1) // 2, "")
                    for j in range(1, ub):
                        model.add(pairs >= j * count - j * (j + 1) // 2)
                    self.terms.append(w * pairs)

    def sizes(self) -> None:
        """Absolute deviation of each cohort's size from the target."""
        inst, v, model = self.inst, self.v, self.model
        devs = []
        for k, used in enumerate(v.used):
            dev = model.new_int_var(
                0, max(inst.max_size - inst.target_size, inst.target_size), f"dev[{k}]"
            )
            model.add(dev >= v.size[k] - inst.target_size * used)
            model.add(dev >= inst.target_size * used - v.size[k])
            devs.append(dev)
        if not self.allow_unassigned:
            model.add(sum(devs) >= inst.min_size_deviation())
        self.terms.append(SIZE_WEIGHT * sum(devs))

    def unassigned(self) -> None:
        """People left out (only when allowed), weighted above everything else."""
        if self.allow_unassigned:
            self.terms.append(UNASSIGNED_WEIGHT * sum(1 - p for p in self.v.placed))
