"""The configuration bound: a set-partitioning relaxation solved by column generation.

Where the typed bound (:mod:`peermatch.solvers.cpsat.typed_bound`) counts
people and cohorts by type, this one works with whole cohorts. A *column* is
a cohort that keeps every rule one cohort keeps on its own (see
:mod:`peermatch.solvers.cpsat.pricing`) with the facilitator who leads it;
its cost ``c_k`` is the cohort's own share of the objective (its same-value
pairs and ``SIZE_WEIGHT * |size - target|``). The master linear program::

    min sum_k c_k l_k   s.t.  sum_{k holds i} l_k = 1        (every person i)
                              sum_{k led by j} l_k <= cap_j  (every facilitator j)
                              l >= 0

is relaxed once more by its Lagrangian: for any ``p`` (one per person) and
any ``q <= 0`` (one per facilitator),

    L(p, q) = sum_i p_i + sum_j q_j cap_j + K * min(0, min_k (c_k - sum_{i in k} p_i - q_{j(k)}))

with ``K = n // min_size``.

Proof that ``L(p, q)`` bounds every complete solution. A complete solution
that keeps the rules is a set ``S`` of cohorts, each a column (each keeps
the rules of one cohort), that holds every person once and gives facilitator
``j`` at most ``cap_j`` cohorts; its cost is ``sum_{k in S} c_k`` (placement
rules and similarity add nothing here, so leaving them out only weakens the
bound). Write ``r_k`` for the reduced cost in brackets and ``r*`` for its
minimum over all columns. Then

    sum_{k in S} c_k = sum_{k in S} r_k + sum_i p_i + sum_j q_j |S_j|
                    >= |S| * min(0, r*) + sum_i p_i + sum_j q_j cap_j,

because every person is in exactly one cohort of ``S``, ``q_j <= 0`` and
``|S_j| <= cap_j``, and ``|S| <= K`` since every cohort holds at least
``min_size`` people. Any lower bound on ``r*`` may stand in for it: CP-SAT's
proved bound on the pricing problem (never the column it found), so an
unfinished pricing still gives a valid bound. ``p`` and ``q`` are the master
LP's duals over the columns found so far (or a point between them and the
best so far, which steadies the duals), rounded down to multiples of
``1/SCALE`` (any values would do; multiples of ``1/SCALE`` keep the pricing
model integral, costs times ``SCALE``, and the bound exact in integers), and
the best ``L`` over all rounds is kept. So the bound is valid at every round
and the loop may stop on a time budget. Costs are multiples of the gcd ``u``
of the cost weights, so the bound is rounded up to one.

The master LP starts with no column but an *artificial* one per person (that
person alone, at a modest cost): its cost caps the duals, so the first rounds
price at sensible values; when the LP is solved but still uses an artificial,
the cost is doubled. Artificials only change which duals are tried, never
the proof (they are not columns of ``L``).

When the pricing proves ``r* >= 0`` at the LP's duals and no artificial is
used, the bound is the master LP's optimum over all columns: the LP
relaxation of the set-partitioning model, at least the typed bound's LP
(every column maps onto a point of it) and stronger where whole cohorts
matter (links, together groups and locks, each cohort's own facilitator).
It grows with the number of people (each pricing is a CP-SAT model over
everyone), so it is tried up to :data:`MAX_PEOPLE` people.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from ortools.linear_solver import pywraplp

from peermatch.solvers.cpsat.pricing import Column, Pricing
from peermatch.solvers.instance import SIZE_WEIGHT, FormationInstance

__all__ = ["MAX_PEOPLE", "ROUNDS", "configuration_bound", "generate", "start_columns"]

_log = logging.getLogger(__name__)

#: Above this many people the bound is not tried.
MAX_PEOPLE = 300
#: Rounds of pricing at most.
ROUNDS = 400
#: Smoothing: the share of the best duals so far in the point a round prices at.
ALPHA = 0.5
#: The artificials' first cost per person, times the average cost per person of a cohort at
#: target size with one same-value pair per attribute (the duals stay below it: it boxes them).
BIG_START = 4
#: They are doubled (the box widened) up to this cost.
BIG_MAX = 1e7
#: The duals are priced as integers in 1/SCALE of a cost unit (rounded down: any multipliers
#: give a valid bound, and finer ones lose less than a cost unit over all people).
SCALE = 64
#: Deterministic mode charges a round at least this many seconds: CP-SAT's deterministic time
#: leaves out most of a small solve's wall time (n = 45: 0.01 charged for about 0.05 s).
ROUND_COST = 0.05
#: A round's pricing gets at most this share of the budget (deterministic or wall seconds).
ROUND_SHARE = 0.1


class Master:
    """The master LP over the columns found so far (GLOP), with one artificial per person."""

    def __init__(self, inst: FormationInstance, big: float) -> None:
        self.inst = inst
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        objective = self.solver.Objective()
        objective.SetMinimization()
        self.people = [self.solver.Constraint(1.0, 1.0) for _ in range(inst.n)]
        self.big = big
        self.artificial = []
        self.uses_artificial = True
        for row in self.people:
            art = self.solver.NumVar(0.0, math.inf, "")
            objective.SetCoefficient(art, big)
            row.SetCoefficient(art, 1.0)
            self.artificial.append(art)
        self.caps = {
            j: self.solver.Constraint(-math.inf, cap)
            for j, cap in enumerate(inst.facilitator_capacity)
            if inst.problem.facilitators
        }
        self.columns: set[Column] = set()

    def add(self, column: Column) -> bool:
        if column in self.columns:
            return False
        self.columns.add(column)
        var = self.solver.NumVar(0.0, math.inf, "")
        self.solver.Objective().SetCoefficient(var, self.inst.cost([column.members]))
        for i in column.members:
            self.people[i].SetCoefficient(var, 1.0)
        if column.leader >= 0:
            self.caps[column.leader].SetCoefficient(var, 1.0)
        return True

    def widen(self) -> bool:
        """Double the artificials' cost if the LP still uses one (the duals' box was too
        tight); ``False`` when it uses none, or the cost is already past :data:`BIG_MAX`."""
        if self.big >= BIG_MAX or not self.uses_artificial:
            return False
        self.big *= 2
        for art in self.artificial:
            self.solver.Objective().SetCoefficient(art, self.big)
        return True

    def solve(self) -> tuple[float, _Duals] | None:
        """The LP value and its duals rounded down (facilitators' at most 0)."""
        if self.solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        self.uses_artificial = any(a.solution_value() > 1e-9 for a in self.artificial)
        person = [math.floor(SCALE * row.dual_value() + 1e-6) for row in self.people]
        leader = {
            j: min(0, math.floor(SCALE * row.dual_value() + 1e-6)) for j, row in self.caps.items()
        }
        return self.solver.Objective().Value(), _Duals(person, leader)


@dataclass(frozen=True)
class _Duals:
    """Multipliers times :data:`SCALE`, integers: one per person, one (at most 0) per facilitator."""

    person: list[int]
    leader: dict[int, int]

    def towards(self, other: _Duals, alpha: float) -> _Duals:
        """``alpha * self + (1 - alpha) * other``, rounded down (facilitators' kept <= 0)."""
        person = [
            math.floor(alpha * a + (1 - alpha) * b)
            for a, b in zip(self.person, other.person, strict=True)
        ]
        leader = {
            j: math.floor(alpha * q + (1 - alpha) * other.leader[j]) for j, q in self.leader.items()
        }
        return _Duals(person, leader)

    def lagrangian(self, inst: FormationInstance, k_max: int, least: int) -> int:
        """``L`` of the module for these multipliers times :data:`SCALE`, given ``least <= r*``
        (``least`` is a bound on the reduced cost with costs times :data:`SCALE` too)."""
        caps = sum(q * inst.facilitator_capacity[j] for j, q in self.leader.items())
        return sum(self.person) + caps + k_max * min(0, least)


def _unit(inst: FormationInstance) -> int:
    return reduce(math.gcd, [w for w in inst.attribute_weights if w > 0], SIZE_WEIGHT)


def configuration_bound(
    inst: FormationInstance,
    time_limit: float = 5.0,
    *,
    deterministic: bool = False,
    columns: Sequence[Column] = (),
) -> float | None:
    """The best Lagrangian bound of the configuration LP found in the budget (see the module).

    Parameters
    ----------
    inst
        The instance to bound.
    time_limit
        Wall-clock seconds, or with ``deterministic`` CP-SAT's deterministic
        seconds summed over the pricing rounds, each charged at least
        :data:`ROUND_COST` (so that the same instance always gives the same bound).
    deterministic
        Measure the budget in deterministic time.
    columns
        Cohorts to begin with (e.g. a start's): they only steer the duals, so
        the bound holds whatever they are.

    Returns
    -------
    float or None
        The bound, or ``None`` above :data:`MAX_PEOPLE` people, when no cohort is
        feasible, or when no round finished in time.
    """
    if inst.n == 0 or inst.n > MAX_PEOPLE or not inst.options:
        return None
    return generate(inst, time_limit, deterministic, columns)[0]


def start_columns(
    inst: FormationInstance,
    cohorts: Sequence[Sequence[int]],
    leaders: Sequence[int | None] | None,
) -> list[Column]:
    """A start's cohorts as columns to begin with: their duals are near the LP's at once.

    Cohorts outside the size limits, or without a facilitator where one is needed, are
    left out (they are no columns); the bound holds whatever columns are given.
    """
    out = []
    for k, members in enumerate(cohorts):
        leader = None if leaders is None else leaders[k]
        if not inst.min_size <= len(members) <= inst.max_size:
            continue
        if inst.problem.facilitators and leader is None:
            continue
        out.append(Column(tuple(sorted(members)), -1 if leader is None else leader))
    return out


def generate(
    inst: FormationInstance, time_limit: float, deterministic: bool, columns: Sequence[Column]
) -> tuple[float | None, Master]:
    """Column generation: the best bound (rounded up to the cost unit) and the master LP."""
    started = time.monotonic()
    pricing = Pricing(inst)
    big = BIG_START * max(SIZE_WEIGHT, sum(inst.attribute_weights)) / inst.target_size
    master = Master(inst, big)
    for column in columns:
        master.add(column)
    k_max, best, spent = inst.n // inst.min_size, None, 0.0
    centre: _Duals | None = None
    alpha = ALPHA
    for _ in range(ROUNDS):
        solved = master.solve()
        left = time_limit - (spent if deterministic else time.monotonic() - started)
        if solved is None or left <= 0:
            break
        value, duals = solved
        # Smoothing (Wentges): price at a point between the best duals so far and the LP's.
        at = duals if centre is None or not alpha else centre.towards(duals, alpha)
        priced = pricing.price(
            at.person,
            at.leader,
            min(left, ROUND_SHARE * time_limit),
            deterministic=deterministic,
            scale=SCALE,
        )
        spent += max(priced.spent, ROUND_COST)
        if priced.bound is None:
            break
        if math.isinf(priced.bound):
            return None, master
        low = math.floor(priced.bound + 1e-6)
        lagrangian = at.lagrangian(inst, k_max, low)
        if best is None or lagrangian > best:
            best, centre = lagrangian, at
        added = sum(master.add(c) for c in priced.columns)
        _log.debug(
            "lp=%.0f L=%d best=%d +%d %.1fs",
            value,
            lagrangian,
            best,
            added,
            time.monotonic() - started,
        )
        settled = best >= SCALE * value - 1e-3 or (at is duals and low >= 0)
        if settled or not (added or alpha):
            # The LP is solved over every column (or nothing new comes): done, unless its
            # artificials were used, whose box on the duals is widened and the loop goes on.
            if not master.widen():
                break
            alpha = ALPHA
        else:
            alpha = ALPHA if added else 0.0  # mispriced: the next round prices at the LP's duals
    if best is None:
        return None, master
    unit = _unit(inst)
    return float(-(-best // (unit * SCALE)) * unit), master
