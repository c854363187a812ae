"""The CP-SAT formation model: variables, constraints and objective, put together."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from ortools.sat.python import cp_model

from peermatch.rules import Rule
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.constraints import Constraints, Literal
from peermatch.solvers.cpsat.objective import Objective
from peermatch.solvers.cpsat.variables import Variables
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import FormationInstance

__all__ = ["FormationModel"]


class FormationModel:
    """A CP-SAT model of one formation instance.

    Parameters
    ----------
    inst
        The flat instance.
    cohorts
        How many cohort slots to create (the solver decides how many are used).
    allow_unassigned
        Let people stay out, at a cost above everything else.
    diagnose
        Build the diagnosis model instead: every rule instance is enforced by
        an assumption literal and there is no objective.
    disabled
        Rules left out of the model (for tests of the independent checker).
    placing
        With ``allow_unassigned``: minimise only the number of people left
        out (placement first). The diversity and size terms are not built: a
        neighbourhood that takes in people left out then finds who it can
        place in a fraction of the time (at n = 300 with every placement rule,
        a 54-person step placed 5 of 7 in 2.9 s; with the whole cost, 3 in 30 s).
    """

    def __init__(
        self,
        inst: FormationInstance,
        cohorts: int,
        *,
        allow_unassigned: bool = False,
        diagnose: bool = False,
        disabled: Collection[Rule] = (),
        placing: bool = False,
    ):
        self.inst = inst
        self.allow_unassigned = allow_unassigned
        self.model = cp_model.CpModel()
        #: Enforcement literal per rule instance (only when ``diagnose``).
        self.literals: dict[tuple[Rule, object], cp_model.IntVar] = {}
        self.v = Variables.create(self.model, inst, cohorts, allow_unassigned)
        self.objective: cp_model.LinearExprT = 0
        literal_for = self._literal if diagnose else _no_literal
        Constraints(self.model, inst, self.v, literal_for, disabled).add_all()
        if diagnose:
            self.model.add_assumptions(list(self.literals.values()))
        elif placing and allow_unassigned:
            self.objective = cp_model.LinearExpr.sum([1 - p for p in self.v.placed])
            self.model.minimize(self.objective)
        else:
            self.objective = Objective(self.model, inst, self.v, allow_unassigned).build()

    def _literal(self, rule: Rule, key: object) -> Literal:
        if (rule, key) not in self.literals:
            self.literals[rule, key] = self.model.new_bool_var(f"rule[{rule},{key}]")
        return self.literals[rule, key]

    def add_hint(
        self, cohorts: Sequence[Sequence[int]], facilitators: Sequence[int | None] | None = None
    ) -> None:
        """Hint a solution given as member lists (relabelled to respect cohort order)."""
        inst, v = self.inst, self.v
        order = sorted((c for c in cohorts if c), key=min)[: len(v.used)]
        where = {i: k for k, members in enumerate(order) for i in members}
        fac_of = {}
        if facilitators is not None:
            by_min = {min(c): f for c, f in zip(cohorts, facilitators, strict=True) if c}
            fac_of = {k: by_min.get(min(members)) for k, members in enumerate(order)}
        for (i, k), var in v.x.items():
            self.model.add_hint(var, where.get(i) == k)
        if self.allow_unassigned:
            for i, p in enumerate(v.placed):
                self.model.add_hint(p, i in where)
        for k, used in enumerate(v.used):
            self.model.add_hint(used, k < len(order))
            chosen = self._option_for(order[k], fac_of.get(k)) if k < len(order) else None
            for c in range(len(inst.options)):
                self.model.add_hint(v.opt[k, c], c == chosen)
            for j in range(len(inst.facilitator_capacity)):
                if (k, j) in v.fac:
                    self.model.add_hint(v.fac[k, j], fac_of.get(k) == j)

    def complete_hint(self, seed: int = 0, time_limit: float | None = None) -> bool:
        """Extend a partial hint to every variable (auxiliaries included).

        A partial hint forces CP-SAT to search for the missing values and it
        often gives up; fixing the hinted variables makes the rest a trivial
        propagation, after which the whole assignment is hinted. Returns
        whether the hint was feasible. ``time_limit``: wall-clock seconds at
        most (wall-clock runs; the deterministic cap of 10 s always holds,
        and took 21 s of wall clock on a whole program of 1,000 under load).
        """
        solver = cp_model.CpSolver()
        solver.parameters.fix_variables_to_their_hinted_value = True
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        solver.parameters.max_deterministic_time = 10.0
        if time_limit is not None:
            solver.parameters.max_time_in_seconds = max(0.01, time_limit)
        code = interrupt.run(solver, self.model)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False
        values = solver.response_proto.solution
        self.model.clear_hints()
        for index, value in enumerate(values):
            self.model.add_hint(self.model.get_int_var_from_proto_index(index), value)
        return True

    def _option_for(self, members: Sequence[int], facilitator: int | None = None) -> int | None:
        """The first option that admits ``members``, anchored where they meet, free for their
        facilitator when one is given (else the first that admits them).

        Regression: without the facilitator, the hint of a cohort whose facilitator is not
        free at that option was infeasible, ``complete_hint`` failed on three steps in ten
        at n = 300, and those steps started CP-SAT from a partial hint.
        """
        inst = self.inst
        need = 0
        for i in members:
            need |= 1 << i
        zones = {inst.tz_of[i] for i in members}
        anchor = zones.pop() if len(zones) == 1 else inst.program_zone
        fitting = [
            c for c, o in enumerate(inst.options) if o.mask & need == need and o.zone == anchor
        ]
        free = [
            c
            for c in fitting
            if facilitator is not None and inst.options[c].facilitator_mask >> facilitator & 1
        ]
        chosen = free or fitting
        return chosen[0] if chosen else None

    def extract(self, value: Callable[[cp_model.IntVar], int]) -> Grouping:
        """The grouping (member lists, their facilitators, the unplaced) from variable values.

        The facilitators are ``None`` for a program without facilitators (rather
        than a ``None`` per cohort, which would read as "nobody leads it").
        """
        v = self.v
        cohorts: list[list[int]] = [[] for _ in v.used]
        for (i, k), var in v.x.items():
            if value(var):
                cohorts[k].append(i)
        facs: list[int | None] = [None] * len(v.used)
        for (k, j), var in v.fac.items():
            if value(var):
                facs[k] = j
        keep = [k for k, c in enumerate(cohorts) if c]
        placed = {i for c in cohorts for i in c}
        unplaced = [i for i in range(self.inst.n) if i not in placed]
        leaders = [facs[k] for k in keep] if self.inst.problem.facilitators else None
        return Grouping([cohorts[k] for k in keep], leaders, unplaced)


def _no_literal(rule: Rule, key: object) -> Literal:
    return None
