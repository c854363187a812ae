"""Decision variables of the formation model.

``x[i, k]``  person i is in cohort k (only for k <= i: cohort k is opened by
             its lowest-numbered member, which breaks the symmetry between
             interchangeable cohorts);
``used[k]``  cohort k exists (``used[k] >= used[k+1]``);
``opt[k, c]`` cohort k meets in meeting option c (a set of people who share a slot);
``fac[k, j]`` facilitator j leads cohort k;
``placed[i]`` person i is in some cohort (fixed to 1 unless unassigned people are allowed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from peermatch.solvers.instance import FormationInstance

__all__ = ["Variables"]


@dataclass
class Variables:
    """All decision variables, created once per model."""

    x: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    used: list[cp_model.IntVar] = field(default_factory=list)
    opt: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    fac: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    placed: list[cp_model.IntVar] = field(default_factory=list)
    size: list[cp_model.IntVar] = field(default_factory=list)
    cohorts_of: list[list[int]] = field(default_factory=list)  # person -> cohorts they may join
    members_of: list[list[int]] = field(default_factory=list)  # cohort -> people who may join

    @classmethod
    def create(
        cls, model: cp_model.CpModel, inst: FormationInstance, cohorts: int, allow_unassigned: bool
    ) -> Variables:
        v = cls()
        v.used = [model.new_bool_var(f"used[{k}]") for k in range(cohorts)]
        v.members_of = [[] for _ in range(cohorts)]
        for i in range(inst.n):
            ks = [k for k in range(min(i + 1, cohorts)) if inst.options_of[i]]
            v.add_person(model, i, ks)
            if allow_unassigned:
                v.placed.append(model.new_bool_var(f"placed[{i}]"))
            else:
                v.placed.append(model.new_constant(1))
        v.add_cohorts(model, inst, cohorts)
        return v

    def add_person(self, model: cp_model.CpModel, i: int, cohorts: list[int]) -> None:
        """Person ``i``'s assignment variables, one per cohort they may join."""
        self.cohorts_of.append(cohorts)
        for k in cohorts:
            self.x[i, k] = model.new_bool_var(f"x[{i},{k}]")
            self.members_of[k].append(i)

    def add_cohorts(self, model: cp_model.CpModel, inst: FormationInstance, cohorts: int) -> None:
        """Each cohort's size, meeting option and facilitator variables."""
        for k in range(cohorts):
            self.size.append(model.new_int_var(0, inst.max_size, f"size[{k}]"))
            for c in range(len(inst.options)):
                self.opt[k, c] = model.new_bool_var(f"opt[{k},{c}]")
            for j, cap in enumerate(inst.facilitator_capacity):
                if cap > 0:
                    self.fac[k, j] = model.new_bool_var(f"fac[{k},{j}]")
