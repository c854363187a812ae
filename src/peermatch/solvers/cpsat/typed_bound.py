"""A lower bound that keeps where cohorts can meet: cohort *types* of a level band and an option.

:func:`~peermatch.solvers.cpsat.bound.aggregate_bound` spreads every value
over the cohorts of a level band as if anyone of the band could meet anyone.
On the hard shapes what binds is elsewhere too: people can only meet in the
options (weekly slots) they can attend, an option anchored outside the
program's zone takes only people of that zone, a cohort needs a free
facilitator with capacity left, and a large organisation puts at most
``max_per_org`` people in each cohort. This relaxation keeps those and
forgets the rest (most links, similarity, placement rules):

- a cohort *type* ``t = (b, c)``: cohorts whose lowest level is ``b`` and
  that meet in option ``c`` (or its slot class, see below); ``n[t]`` is how
  many there are;
- a *class* ``g`` of people who are interchangeable here: same level, same
  value of every weighted attribute, same large organisation (or none), same
  clique (or none) and the same types they may join; ``y[g, t]`` is how many
  of them go to type-``t`` cohorts, and ``sum_t y[g, t] = |g|``. A *clique* is
  a set of people no two of whom may share a cohort: the alumni of one earlier
  cohort, a manager's reports linked to each other, people locked to
  different cohorts (found greedily from the links and locks);
- class ``g`` may join ``(b, c)`` only if its level lies in
  ``b .. b + max_level_gap``, option ``c`` admits them, and ``c`` is
  anchored in the program's zone or in their own zone;
- per type, sizes ``min_size*n[t] <= people <= max_size*n[t]``, the size term
  at least ``|people - target*n[t]|``, and for every attribute value with
  ``N`` people in the type, at least ``j*N - n[t]*j*(j+1)/2`` same-value pairs
  for every ``j`` (``C(x,2) >= j*x - j(j+1)/2`` summed over the cohorts);
- a *together group* (people who must share a cohort: ``together`` chains and
  people locked to one cohort id) that shares a value inside is a unit of its
  own: ``y[G, t]`` in ``[0, 1]`` with ``sum_t y[G, t] = 1``, ``G`` may join ``t``
  only if each member may, and it counts ``|G|`` toward ``t``'s size. For a
  value ``v`` a *lump* is a group's members with ``v`` (or one person with
  ``v``), ``F_G`` the pairs inside ``G``'s lump and ``A`` the lumps in the type
  (``sum`` of the ``y``, groups counting one): besides the cuts above, at least
  ``sum_G F_G*y[G, t] + j*A - n[t]*j*(j+1)/2`` same-value pairs for every
  ``j >= 0``. Groups sharing no value inside stay people of their classes, and
  so do the others once the groups would add more than :data:`MAX_CELLS` cells
  (largest inside pairs first);
- a large organisation has at most ``max_per_org * n[t]`` people in type ``t``,
  a clique at most ``n[t]``;
- with facilitators, ``f[j, c]`` cohorts of option ``c`` are led by ``j``
  (only if ``j`` is free in ``c``): ``sum_j f[j, c] = sum_b n[b, c]`` and
  ``sum_c f[j, c] <= capacity[j]``.

Proof that it is a relaxation. Take any complete solution that keeps the
rules. Each cohort meets at a weekly slot ``s`` that all its members (and its
facilitator) can attend, anchored in the members' common zone, else the
program's; the options are the Pareto-maximal (people, facilitators) sets of
the slots per anchor zone, so some option ``c`` of the slot's zone holds
every member and the facilitator. Count the cohort in type ``(b, c)``, ``b``
its lowest level; every member's level lies in ``b .. b + max_level_gap``;
if ``c`` is anchored outside the program's zone, every member lives in that
zone. Set ``n``, ``y``, ``f`` to these counts. Then each class only joins
types it may join; sizes per type are sums of sizes in ``[min, max]``; by the
triangle inequality ``sum_k |size_k - target| >= |sum_k size_k - target*n[t]|``;
the same-value pairs of a type are ``sum_k C(x_k, 2)`` with ``sum_k x_k = N``,
at least every cut; for the lump cuts, a cohort holding ``x`` people of
value ``v`` in ``a`` lumps of sizes ``s_1 .. s_a`` has ``C(x, 2) = sum_i
C(s_i, 2) + sum_{i<l} s_i*s_l >= sum_i C(s_i, 2) + C(a, 2)`` pairs (every
``s_i >= 1``) and ``C(a, 2) >= j*a - j(j+1)/2`` for every whole ``j >= 0``;
this holds for any split of the ``x`` people into parts, so groups left as
people (lumps of one) keep it valid; summed over the type's cohorts that is the cut, as the inside pairs of a type
are the ``F_G`` of the groups it holds (``y[G, t]`` is 1 for the type holding
``G`` whole, each member may join that type, so ``G`` may); an organisation has at most ``max_per_org`` in each of
the ``n[t]`` cohorts, a clique at most one; each cohort has one facilitator
free in ``c`` who leads at most ``capacity`` cohorts. So the point is
feasible and its objective is at most the solution's cost. The optimum of
this model, even over real numbers, is therefore a lower bound on the cost of
every complete solution (a solution that leaves people out costs more).

Types nobody can fill (fewer than ``min_size`` people may join) are dropped,
and so is a type whose people and free facilitators are a subset of another
type's (its cohorts are counted in the other one; the proof holds unchanged).
To keep the model small, options of one zone may be merged into *slot
classes* (:func:`~peermatch.solvers.cpsat.cohort_types.slot_classes`) that stand for the option in the types: a
class admits whoever one of its options admits and frees whoever one of them
frees, so a cohort of option ``c`` counts in ``c``'s class and the proof holds
with the class in place of the option (merging only weakens the bound).

It is solved as a linear program (GLOP), with the same-value cuts added as
the solution violates them: each LP along the way relaxes the full one, so
its optimum is a bound too. Every cost is a multiple of the gcd ``u`` of the
cost coefficients, so the LP value (less a floating-point margin) is rounded
up to a multiple of ``u``. The model grows with classes x types, so
:func:`typed_bound` gives up (``None``) above :data:`MAX_CELLS` class-type
cells or :data:`MAX_TYPES` types, and when the LP is not solved in time; the
caller then keeps the aggregate bound.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from ortools.linear_solver import pywraplp

from peermatch.solvers.cpsat.cohort_types import (
    MAX_CELLS,
    MAX_TYPES,
    SHARES,
    Key,
    Slots,
    Type,
    cliques,
    group_units,
    person_classes,
    slot_classes,
)
from peermatch.solvers.instance import SIZE_WEIGHT, UNASSIGNED_WEIGHT, FormationInstance

__all__ = ["DETERMINISTIC_ROUNDS", "MAX_CELLS", "MAX_PEOPLE", "MAX_TYPES", "typed_bound"]

#: Above this many people not even one slot class per zone keeps the model small (at n =
#: 100,000 finding that out took 2.4 s): the model is not tried.
MAX_PEOPLE = 20_000

#: Rounds of cuts at most in deterministic mode (each gets an equal share of the time).
DETERMINISTIC_ROUNDS = 4
#: Without presolve GLOP starts again from the last basis after cuts are added
#: (measured at n = 120: a round of cuts re-solved in a third of the first solve's time).
_GLOP = "use_preprocessing: false"


class _Lp:
    """The linear relaxation in GLOP, written row by row (the natural API is slow to build)."""

    def __init__(self) -> None:
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.objective = self.solver.Objective()
        self.objective.SetMinimization()

    def var(self, hi: float, cost: float = 0.0) -> Any:
        var = self.solver.NumVar(0.0, hi, "")
        if cost:
            self.objective.SetCoefficient(var, cost)
        return var

    def row(self, lo: float, hi: float, terms: list[tuple[Any, float]]) -> None:
        """``lo <= sum(coef * var) <= hi``; a variable may appear once only."""
        ct = self.solver.Constraint(lo, hi)
        for var, coef in terms:
            ct.SetCoefficient(var, coef)


def typed_bound(
    inst: FormationInstance, time_limit: float = 5.0, *, deterministic: bool = False
) -> float | None:
    """The cohort-type relaxation's optimum (see the module): no complete solution costs less.

    Parameters
    ----------
    inst
        The instance to bound (whole program, or a part of one).
    time_limit
        Wall-clock seconds for building and solving the linear programs, or
        with ``deterministic`` GLOP's deterministic seconds for solving them.
    deterministic
        Measure the limit in deterministic time (and at most
        :data:`DETERMINISTIC_ROUNDS` rounds of cuts), so that the same
        instance always gives the same bound.

    Returns
    -------
    float or None
        The bound, or ``None`` when the model would be too large, some person
        fits no type, or the linear program was not solved to optimality in time.
    """
    started = time.monotonic()
    if inst.n == 0 or inst.n > MAX_PEOPLE or not inst.options:
        return None
    apart, classes, slots = cliques(inst), None, None
    for share in SHARES:
        # The finest slot classes whose model is small enough.
        slots = slot_classes(inst, share)
        classes = person_classes(inst, slots, apart)
        if classes is not None:
            break
    if classes is None or slots is None or any(not key[3] for key in classes):
        return None  # too large, or someone fits no cohort at all (nothing to bound)
    classes, groups = group_units(inst, slots, apart, classes, MAX_CELLS)
    lp, max_k = _Lp(), inst.n // inst.min_size
    members: dict[Type, list[_Unit]] = defaultdict(list)
    for key in sorted(classes):
        ys = [lp.var(classes[key]) for _ in key[3]]
        for t, y in zip(key[3], ys, strict=True):
            members[t].append(_Unit.of_class(y, key, classes[key]))
        lp.row(classes[key], classes[key], [(y, 1.0) for y in ys])
    for keys, types in groups:
        ys = [lp.var(1.0) for _ in types]
        for t, y in zip(types, ys, strict=True):
            members[t].append(_Unit.of_group(y, keys))
        lp.row(1.0, 1.0, [(y, 1.0) for y in ys])
    n = {t: lp.var(max_k) for t in sorted(members)}
    lp.row(-(-inst.n // inst.max_size), max_k, [(var, 1.0) for var in n.values()])
    pairs: list[_Pairs] = []
    for t, units in sorted(members.items()):
        pairs += _type_rows(lp, inst, n[t], units)
    _facilitator_rows(lp, inst, n, slots)
    limit = Limit(time_limit, started, deterministic)
    found = _solve(lp, pairs, limit, _unit(inst))
    return None if found is None else _rounded(inst, found)


@dataclass(frozen=True)
class _Pairs:
    """The same-value pairs of one value in one type: ``pairs >= j*count - j(j+1)/2 * cohorts``."""

    count: Any
    pairs: Any
    cohorts: Any
    top: int  # cuts for j = 1 .. top - 1
    #: With lumps (``count`` then counts lumps): their inside pairs, which come on top.
    inside: Any = None

    def cut(self, lp: _Lp, j: int) -> None:
        terms = [(self.count, j), (self.cohorts, -j * (j + 1) / 2), (self.pairs, -1.0)]
        lp.row(-math.inf, 0.0, terms if self.inside is None else [*terms, (self.inside, 1.0)])

    def violated(self) -> int | None:
        """The deepest cut the LP's point violates (``j = floor(count / cohorts)``), if any."""
        count, cohorts = self.count.solution_value(), self.cohorts.solution_value()
        if self.top < 2 or count <= 1e-9:
            return None
        # With lumps j = 0 counts (their inside pairs alone), else it is the trivial cut.
        low = 1 if self.inside is None else 0
        j = self.top - 1 if cohorts <= 1e-9 else max(low, min(self.top - 1, int(count / cohorts)))
        inside = 0.0 if self.inside is None else self.inside.solution_value()
        if j * count - j * (j + 1) / 2 * cohorts + inside > self.pairs.solution_value() + 1e-6:
            return j
        return None


@dataclass(frozen=True)
class Limit:
    """How long the rounds of cuts may take: a wall-clock deadline, or deterministic time."""

    seconds: float
    started: float
    deterministic: bool

    def params(self, round_: int) -> str | None:
        """GLOP's parameters for one more round, ``None`` when time is up."""
        if self.deterministic:
            if round_ >= DETERMINISTIC_ROUNDS:
                return None
            return f"{_GLOP} max_deterministic_time: {self.seconds / DETERMINISTIC_ROUNDS}"
        left = self.started + self.seconds - time.monotonic()
        return None if left <= 0 else f"{_GLOP} max_time_in_seconds: {left}"


def _solve(lp: _Lp, pairs: list[_Pairs], limit: Limit, unit: int) -> float | None:
    """Solve, add the violated cuts, solve again until none is violated or time is up.

    Every LP along the way relaxes the one with every cut, so its optimum is a
    bound too: the last one solved to optimality is returned (``None`` if none was).
    It also stops when a round gained less than a tenth of ``unit`` (the cost's
    granularity): the last cuts then barely move what is reported.
    """
    best = None
    for round_ in itertools.count():
        params = limit.params(round_)
        if params is None:
            return best
        lp.solver.SetSolverSpecificParametersAsString(params)
        if lp.solver.Solve() != pywraplp.Solver.OPTIMAL:
            return best
        value = lp.objective.Value()
        if best is not None and value - best < unit / 10:
            return value
        best = value
        cuts = [(p, j) for p in pairs if (j := p.violated()) is not None]
        if not cuts:
            return best
        for p, j in cuts:
            p.cut(lp, j)
    return best  # pragma: no cover - the loop above only ends by returning


def _unit(inst: FormationInstance) -> int:
    """The gcd of every cost coefficient: every cost is a multiple of it."""
    return math.gcd(SIZE_WEIGHT, UNASSIGNED_WEIGHT, *(w for w in inst.attribute_weights if w > 0))


def _rounded(inst: FormationInstance, value: float) -> float:
    """``value`` less the LP's tolerance, rounded up to a multiple of every cost coefficient's gcd.

    Every cost is such a multiple (pairs and deviations are whole numbers), so the rounding
    keeps the bound valid; the tolerance guards against GLOP's floating-point slack.
    """
    unit = _unit(inst)
    safe = value - 1e-6 * abs(value) - 1e-3
    return float(unit * math.ceil(safe / unit))


@dataclass(frozen=True)
class _Unit:
    """A class's people (``y`` counts them) or a together group (``y`` in [0, 1]) in a type."""

    y: Any
    size: int  # people per unit of y
    most: int  # the largest y
    apart: dict[tuple[int, int], int]  # (kind, number) -> its people per unit of y
    values: tuple[dict[int, int], ...]  # per attribute: value -> its people per unit of y
    group: bool

    @classmethod
    def of_class(cls, y: Any, key: Key, count: int) -> _Unit:
        apart = {(kind, number): 1 for kind, number in enumerate(key[2]) if number >= 0}
        values = tuple({v: 1} if v >= 0 else {} for v in key[1])
        return cls(y, 1, count, apart, values, False)

    @classmethod
    def of_group(cls, y: Any, keys: list[Key]) -> _Unit:
        apart: Counter[tuple[int, int]] = Counter()
        for key in keys:
            apart.update((kind, number) for kind, number in enumerate(key[2]) if number >= 0)
        values = tuple(
            dict(Counter(key[1][a] for key in keys if key[1][a] >= 0))
            for a in range(len(keys[0][1]))
        )
        return cls(y, len(keys), 1, dict(apart), values, True)


def _type_rows(lp: _Lp, inst: FormationInstance, cohorts: Any, units: list[_Unit]) -> list[_Pairs]:
    """Size, organisation and same-value rows of one type, with its cost terms.

    Returns the same-value terms, each with its first cuts only (the others are added when
    violated, see :func:`_solve`).
    """
    people = [(u.y, float(u.size)) for u in units]
    reach = max(1, sum(u.size * u.most for u in units))
    lp.row(0.0, math.inf, [*people, (cohorts, -inst.min_size)])
    lp.row(-math.inf, 0.0, [*people, (cohorts, -inst.max_size)])
    dev = lp.var(inst.n, SIZE_WEIGHT)
    lp.row(-math.inf, 0.0, [*people, (cohorts, -inst.target_size), (dev, -1.0)])
    lp.row(0.0, math.inf, [*people, (cohorts, -inst.target_size), (dev, 1.0)])
    apart: dict[tuple[int, int], list[tuple[Any, float]]] = defaultdict(list)
    for u in units:
        for (kind, number), count in u.apart.items():
            apart[kind, number].append((u.y, float(count)))
    for (kind, _), terms in apart.items():
        most = inst.max_per_org if kind == 0 else 1
        lp.row(-math.inf, 0.0, [*terms, (cohorts, -most)])
    out: list[_Pairs] = []
    for a, weight in enumerate(inst.attribute_weights):
        if weight <= 0:
            continue
        holders: dict[int, list[tuple[_Unit, int]]] = defaultdict(list)
        for u in units:
            for v, count in u.values[a].items():
                holders[v].append((u, count))
        for held in holders.values():
            out += _value_rows(lp, inst, cohorts, held, weight, reach)
    return out


def _value_rows(
    lp: _Lp,
    inst: FormationInstance,
    cohorts: Any,
    held: list[tuple[_Unit, int]],
    weight: int,
    reach: int,
) -> list[_Pairs]:
    """The same-value pairs of one value in one type, bounded by its people and by its lumps.

    A *lump* is a together group's members with the value, or one person with it. In a
    cohort holding ``x`` such people in ``a`` lumps, ``C(x, 2)`` is the lumps' inside pairs
    plus the pairs between lumps, at least ``C(a, 2) >= j*a - j(j+1)/2`` for every ``j``.
    """
    total = sum(count * u.most for u, count in held)
    if total < 2:
        return []
    pairs = lp.var(total * (total - 1) // 2, weight)
    # The cuts go through one count variable: three terms each keeps the LP sparse.
    count = lp.var(total)
    lp.row(0.0, 0.0, [*((u.y, float(c)) for u, c in held), (count, -1.0)])
    out = [_Pairs(count, pairs, cohorts, min(total, inst.max_size))]
    if any(u.group and c > 1 for u, c in held):
        lumps = lp.var(sum(u.most * (1 if u.group else c) for u, c in held))
        lp.row(0.0, 0.0, [*((u.y, 1.0 if u.group else c) for u, c in held), (lumps, -1.0)])
        inside = lp.var(total * (total - 1) // 2)
        fixed = [(u.y, c * (c - 1) / 2) for u, c in held if u.group and c > 1]
        lp.row(0.0, 0.0, [*fixed, (inside, -1.0)])
        out.append(_Pairs(lumps, pairs, cohorts, min(total, inst.max_size), inside))
    for pair in out:
        # j = 1 and the cuts around the balanced share; the others are added when violated.
        share = total * inst.target_size // reach
        low = 1 if pair.inside is None else 0
        for j in {low, 1, *range(max(1, share - 1), min(pair.top, share + 2))}:
            pair.cut(lp, j)
    return out


def _facilitator_rows(lp: _Lp, inst: FormationInstance, n: dict[Type, Any], slots: Slots) -> None:
    """Every cohort of option ``c`` is led by a facilitator free in ``c``, within capacity."""
    if not inst.problem.facilitators:
        return
    by_option: dict[int, list[Any]] = defaultdict(list)
    for (_, c), var in n.items():
        by_option[c].append(var)
    led: dict[int, list[Any]] = defaultdict(list)
    for c, cohorts in sorted(by_option.items()):
        free = slots.free[c]
        fs = []
        for j, cap in enumerate(inst.facilitator_capacity):
            if cap > 0 and free >> j & 1:
                f = lp.var(cap)
                fs.append((f, 1.0))
                led[j].append((f, 1.0))
        lp.row(0.0, 0.0, [*fs, *((var, -1.0) for var in cohorts)])
    for j, fs in led.items():
        lp.row(-math.inf, inst.facilitator_capacity[j], fs)
