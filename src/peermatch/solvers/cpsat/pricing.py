"""The pricing problem of the configuration bound: the cheapest feasible cohort under duals.

:mod:`peermatch.solvers.cpsat.config_bound` proves why the bound holds; this
module builds the CP-SAT model of one cohort once and re-prices it every round.
A *column* is a cohort (its members) with the facilitator who leads it (-1
without facilitators). The model admits every cohort a complete solution can
hold (it keeps only rules every cohort keeps, and forgets the rest):

- ``min_size <= size <= max_size``, at most ``max_per_org`` of an organisation;
- one level band: every member's level in ``b .. b + max_level_gap``;
- one meeting option ``c`` that admits every member, anchored in the program's
  zone or in each member's own zone (as in the typed bound), and with
  facilitators one ``j`` free in ``c`` with capacity who may lead every member;
- an option of the program's zone holds someone outside each other zone among
  its people (a cohort all of one other zone is anchored there);
- no linked pair (reporting lines, earlier cohorts), together groups whole, and
  groups locked to two different cohort ids never together;
- members share the value of every similarity attribute.

Its objective is the cohort's own cost (same-value pairs by the tangent lines
of ``C(x, 2)``, exact at integers when minimised, and ``|size - target|``)
less the integer duals of its members and its facilitator.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.instance import SIZE_WEIGHT, FormationInstance

__all__ = ["Column", "Priced", "Pricing"]


@dataclass(frozen=True)
class Column:
    """A feasible cohort: its members (sorted positions) and its facilitator (-1: none)."""

    members: tuple[int, ...]
    leader: int


@dataclass(frozen=True)
class Priced:
    """One pricing round: the columns found, and CP-SAT's proved bound on the least
    reduced cost (``None`` when not even that was found; ``inf`` when no cohort exists)."""

    columns: list[Column]
    bound: float | None
    spent: float = 0.0  # CP-SAT's deterministic seconds


class _Collect(cp_model.CpSolverSolutionCallback):
    """Keeps every solution CP-SAT finds on the way: each is a column with a low reduced cost."""

    def __init__(self, pricing: Pricing) -> None:
        super().__init__()
        self.pricing, self.found = pricing, []  # type: ignore[var-annotated]

    def on_solution_callback(self) -> None:
        self.found.append(self.pricing.column(self))


class Pricing:
    """The pricing model of one instance, built once (see the module)."""

    def __init__(self, inst: FormationInstance) -> None:
        self.inst = inst
        m = self.model = cp_model.CpModel()
        self.z = [m.new_bool_var(f"z{i}") for i in range(inst.n)]
        self.cost: list[cp_model.LinearExprT] = []
        self._sizes()
        self._bands()
        self._options()
        self._apart()
        self._similar()
        self._anchors()
        self._pairs()

    def _sizes(self) -> None:
        inst, m, z = self.inst, self.model, self.z
        size = sum(z)
        m.add(size >= inst.min_size)
        m.add(size <= inst.max_size)
        dev = m.new_int_var(0, max(inst.max_size, inst.target_size), "dev")
        m.add(dev >= size - inst.target_size)
        m.add(dev >= inst.target_size - size)
        self.cost.append(SIZE_WEIGHT * dev)
        by_org: dict[int, list[int]] = defaultdict(list)
        for i, org in enumerate(inst.org_of):
            by_org[org].append(i)
        for people in by_org.values():
            if len(people) > inst.max_per_org:
                m.add(sum(z[i] for i in people) <= inst.max_per_org)

    def _bands(self) -> None:
        inst, m = self.inst, self.model
        starts = sorted(set(inst.levels))
        band = {b: m.new_bool_var(f"band{b}") for b in starts}
        m.add_exactly_one(band.values())
        for i, level in enumerate(inst.levels):
            m.add_bool_or(
                [band[b] for b in starts if b <= level <= b + inst.max_level_gap]
            ).only_enforce_if(self.z[i])

    def _options(self) -> None:
        """One (option, facilitator) choice ``w``; each member admitted by it."""
        inst, m = self.inst, self.model
        use_fac = bool(inst.problem.facilitators)
        self.w: dict[tuple[int, int], cp_model.IntVar] = {}
        for c, option in enumerate(inst.options):
            if use_fac:
                for j, cap in enumerate(inst.facilitator_capacity):
                    if cap > 0 and option.facilitator_mask >> j & 1:
                        self.w[c, j] = m.new_bool_var("")
            else:
                self.w[c, -1] = m.new_bool_var("")
        m.add_exactly_one(self.w.values())
        for i in range(inst.n):
            zone = inst.tz_of[i]
            fits = [
                var
                for (c, _), var in self.w.items()
                if inst.options[c].admits(i) and inst.options[c].zone in (inst.program_zone, zone)
            ]
            m.add_bool_or(fits).only_enforce_if(self.z[i])
        self.lead: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for (_, j), var in self.w.items():
            if j >= 0:
                self.lead[j].append(var)
        for j, bad in enumerate(inst.facilitator_conflicts):
            for i in sorted(bad):
                if self.lead.get(j):
                    m.add(self.z[i] + sum(self.lead[j]) <= 1)

    def _apart(self) -> None:
        inst, m, z = self.inst, self.model, self.z
        for i, j in inst.conflicts:
            m.add_at_most_one(z[i], z[j])
        locks: dict[str, list[int]] = defaultdict(list)
        for members, lock in zip(inst.groups, inst.group_locks, strict=True):
            for k in members[1:]:
                m.add(z[k] == z[members[0]])
            if lock:
                locks[lock].append(members[0])
        if len(locks) > 1:
            held = {lock: m.new_bool_var("") for lock in locks}
            m.add_at_most_one(held.values())
            for lock, firsts in locks.items():
                for i in firsts:
                    m.add_implication(z[i], held[lock])

    def _similar(self) -> None:
        """Members share the value of every similarity attribute (a blank shares none)."""
        m, z = self.model, self.z
        for values in self.inst.similarity:
            pick = {v: m.new_bool_var("") for v in sorted({v for v in values if v is not None})}
            m.add(sum(pick.values()) <= 1)
            for i, v in enumerate(values):
                m.add(z[i] <= (pick[v] if v is not None else 0))

    def _anchors(self) -> None:
        """An option of the program's zone holds someone outside each other zone it admits."""
        inst, m = self.inst, self.model
        chosen: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for (c, _), var in self.w.items():
            chosen[c].append(var)
        for c, vars_ in chosen.items():
            option = inst.options[c]
            if option.zone != inst.program_zone:
                continue
            people = [i for i in range(inst.n) if option.admits(i)]
            for zone in sorted({inst.tz_of[i] for i in people} - {inst.program_zone}):
                outside = [self.z[i] for i in people if inst.tz_of[i] != zone]
                m.add(sum(outside) >= sum(vars_))

    def _pairs(self) -> None:
        inst, m, z = self.inst, self.model, self.z
        for w, values in zip(inst.attribute_weights, inst.value_of, strict=True):
            if w <= 0:
                continue
            groups: dict[int, list[int]] = defaultdict(list)
            for i, v in enumerate(values):
                if v is not None:
                    groups[v].append(i)
            for _, people in sorted(groups.items()):
                top = min(len(people), inst.max_size)
                if top < 2:
                    continue
                count = sum(z[i] for i in people)
                pairs = m.new_int_var(0, top * (top - 1) // 2, "")
                for j in range(1, top):
                    m.add(pairs >= j * count - j * (j + 1) // 2)
                self.cost.append(w * pairs)

    def column(self, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback) -> Column:
        members = tuple(i for i, var in enumerate(self.z) if solver.boolean_value(var))
        leader = next((j for (_, j), var in self.w.items() if solver.boolean_value(var)), -1)
        return Column(members, leader)

    def price(
        self,
        person: list[int],
        leader: dict[int, int],
        limit: float,
        *,
        deterministic: bool,
        scale: int = 1,
    ) -> Priced:
        """The cohorts of least ``scale * cost - sum person[i] - leader[j]`` (integer duals).

        ``limit`` is CP-SAT's deterministic seconds (``deterministic``) or wall seconds.
        """
        terms: list[cp_model.LinearExprT] = [scale * term for term in self.cost]
        terms += [-p * z for p, z in zip(person, self.z, strict=True) if p]
        for j, p in leader.items():
            terms += [-p * var for var in self.lead.get(j, ())] if p else []
        self.model.minimize(cp_model.LinearExpr.sum(terms))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        # A small model solved many times: presolve took most of each solve's wall time and
        # is not charged in deterministic time (measured at n = 45: 0.23 s a solve).
        solver.parameters.cp_model_presolve = False
        if deterministic:
            solver.parameters.max_deterministic_time = limit
        else:
            solver.parameters.max_time_in_seconds = limit
        found = _Collect(self)
        code = interrupt.run(solver, self.model, found)
        spent = solver.deterministic_time
        if code == cp_model.INFEASIBLE:
            return Priced([], float("inf"), spent)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return Priced([], None, spent)
        return Priced(found.found, float(solver.best_objective_bound), spent)
