"""The hard rules of the formation model, one small method per rule family.

Each method may be given an *enforcement literal*: the diagnosis model adds
one per rule family (or per organisation, person or pair) as an assumption,
so that when CP-SAT proves infeasibility its sufficient set of assumptions
names the rules and the people involved. In a normal solve the literal is
``None`` and the constraints are plain, which presolves better.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection

from ortools.sat.python import cp_model

from peermatch.rules import Rule
from peermatch.schedule import session_times
from peermatch.solvers.cpsat.placement import PlacementConstraints
from peermatch.solvers.cpsat.variables import Variables
from peermatch.solvers.instance import FormationInstance

__all__ = ["Constraints", "Literal"]

Literal = cp_model.IntVar | None
LiteralFor = Callable[[Rule, object], Literal]


def _enforce(ct: cp_model.Constraint, lit: Literal) -> None:
    if lit is not None:
        ct.only_enforce_if(lit)


class Constraints(PlacementConstraints):
    """Adds each rule family of ``inst`` to ``model`` over ``v``.

    ``literal_for(rule, key)`` returns the enforcement literal of one rule
    instance (``None`` in a normal solve). The rules in ``disabled`` are left
    out of the model (tests use it to check that :func:`peermatch.violations`
    catches what the model no longer prevents).
    """

    #: The first cohort of those opened in order (the repair's earlier cohorts keep their place).
    ordered_from = 0

    def __init__(
        self,
        model: cp_model.CpModel,
        inst: FormationInstance,
        v: Variables,
        literal_for: LiteralFor,
        disabled: Collection[Rule] = (),
    ):
        self.model, self.inst, self.v, self.lit = model, inst, v, literal_for
        self.disabled = frozenset(disabled)

    def add_all(self) -> None:
        """Add every rule family (the structural ones always, the others unless disabled)."""
        self.assignment()
        self.cohort_order()
        families: list[tuple[Rule, Callable[[], None]]] = [
            (Rule.SIZE, self.size),
            (Rule.ORGANISATION, self.organisation),
            (Rule.NEUTRALITY, self.neutrality),
            (Rule.LEVEL, self.level),
            (Rule.SIMILARITY, self.similarity),
            (Rule.AVAILABILITY, self.availability),
            (Rule.SCHEDULE, self.anchor_zone),
            (Rule.FACILITATOR, self.facilitators),
            (Rule.TOGETHER, self.together),
            (Rule.LOCK, self.locks),
            # The placement rules of program.toml (solvers/cpsat/placement.py).
            (Rule.LIMITS, self.limits),
            (Rule.PRESENCE, self.presence),
            (Rule.REQUIRED, self.required),
            (Rule.CLOSENESS, self.closeness),
        ]
        for rule, add in families:
            if rule not in self.disabled:
                add()

    def assignment(self) -> None:
        """Each person is in exactly one cohort (or none, when unassigned is allowed)."""
        for i in range(self.inst.n):
            self.model.add(sum(self.v.x[i, k] for k in self.v.cohorts_of[i]) == self.v.placed[i])
            for k in self.v.cohorts_of[i]:
                self.model.add_implication(self.v.x[i, k], self.v.used[k])

    def cohort_order(self) -> None:
        """Cohorts are opened in order (symmetry breaking), each meets in one option.

        Only the cohorts from :attr:`ordered_from` on are interchangeable, hence ordered.
        """
        used = self.v.used
        for k in range(self.ordered_from, len(used) - 1):
            self.model.add(used[k] >= used[k + 1])
        for k in range(len(used)):
            self.model.add(sum(self.v.opt[k, c] for c in range(len(self.inst.options))) == used[k])
            self.model.add(self.v.size[k] == sum(self.v.x[i, k] for i in self.v.members_of[k]))

    def size(self) -> None:
        """Every cohort that exists has min_size..max_size members."""
        inst, v = self.inst, self.v
        lo, hi = self.lit(Rule.SIZE, "min"), self.lit(Rule.SIZE, "max")
        for k, used in enumerate(v.used):
            _enforce(self.model.add(v.size[k] >= inst.min_size * used), lo)
            _enforce(self.model.add(v.size[k] <= inst.max_size * used), hi)

    def organisation(self) -> None:
        """At most max_per_organisation members of one organisation per cohort."""
        inst, v = self.inst, self.v
        by_org: dict[int, list[int]] = defaultdict(list)
        for i, o in enumerate(inst.org_of):
            by_org[o].append(i)
        for o, people in sorted(by_org.items()):
            if len(people) <= inst.max_per_org:
                continue
            lit = self.lit(Rule.ORGANISATION, o)
            for k in range(len(v.used)):
                xs = [v.x[i, k] for i in people if (i, k) in v.x]
                if len(xs) > inst.max_per_org:
                    _enforce(self.model.add(sum(xs) <= inst.max_per_org), lit)

    def neutrality(self) -> None:
        """No two people linked by a reporting line or shared history share a cohort."""
        inst, v = self.inst, self.v
        for i, j in inst.conflicts:
            if (
                inst.max_per_org == 1
                and inst.org_of[i] == inst.org_of[j]
                and Rule.ORGANISATION not in self.disabled
                and self.lit(Rule.ORGANISATION, inst.org_of[i]) is None
            ):
                continue  # already kept apart by the organisation rule
            lit = self.lit(Rule.NEUTRALITY, (i, j))
            for k in range(min(i, j) + 1):
                if (i, k) in v.x and (j, k) in v.x:
                    clause = [v.x[i, k].Not(), v.x[j, k].Not()]
                    if lit is not None:
                        clause.append(lit.Not())
                    self.model.add_bool_or(clause)

    def level(self) -> None:
        """Most senior minus most junior is at most max_level_gap (a band per cohort)."""
        inst, v = self.inst, self.v
        levels = sorted(set(inst.levels))
        if not levels or levels[-1] - levels[0] <= inst.max_level_gap:
            return
        starts = [
            b
            for b in range(levels[0], levels[-1] + 1)
            if b <= levels[-1] - inst.max_level_gap or b == levels[0]
        ]
        for k in range(len(v.used)):
            band = {b: self.model.new_bool_var(f"band[{k},{b}]") for b in starts}
            self.model.add(sum(band.values()) == v.used[k])
            for i in v.members_of[k]:
                ok = [band[b] for b in starts if b <= inst.levels[i] <= b + inst.max_level_gap]
                _enforce(self.model.add(v.x[i, k] <= sum(ok)), self.lit(Rule.LEVEL, i))

    def similarity(self) -> None:
        """Members share the value of every similarity attribute."""
        v = self.v
        for a, values in enumerate(self.inst.similarity):
            names = sorted({x for x in values if x is not None})
            lit = self.lit(Rule.SIMILARITY, a)
            for k in range(len(v.used)):
                pick = {val: self.model.new_bool_var(f"sim[{a},{k},{val}]") for val in names}
                self.model.add(sum(pick.values()) <= 1)
                for i in v.members_of[k]:
                    value = values[i]
                    if value is None:
                        _enforce(self.model.add(v.x[i, k] == 0), lit)
                    else:
                        _enforce(self.model.add(v.x[i, k] <= pick[value]), lit)

    def availability(self) -> None:
        """Every member can attend the cohort's weekly slot on every session date."""
        inst, v = self.inst, self.v
        for i in range(inst.n):
            lit = self.lit(Rule.AVAILABILITY, i)
            for k in v.cohorts_of[i]:
                _enforce(
                    self.model.add(v.x[i, k] <= sum(v.opt[k, c] for c in inst.options_of[i])), lit
                )

    def anchor_zone(self) -> None:
        """A cohort whose members all live in one zone meets on a slot anchored there.

        An option anchored in the program's zone therefore needs, for every other
        zone Z among its people, at least one member outside Z.
        """
        inst, v = self.inst, self.v
        for c, option in enumerate(inst.options):
            if option.zone != inst.program_zone:
                continue
            zones = sorted(
                {inst.tz_of[i] for i in range(inst.n) if option.admits(i)} - {inst.program_zone}
            )
            for z in zones:
                for k in range(len(v.used)):
                    outside = [v.x[i, k] for i in v.members_of[k] if inst.tz_of[i] != z]
                    self.model.add(sum(outside) >= 1).only_enforce_if(v.opt[k, c])

    def together(self) -> None:
        """Everyone of a group (a lock or together pairs) is in the cohort of its first member.

        Cohort k only exists for people numbered k or above, so the others of a
        group can never be in a cohort the first member cannot join.
        """
        v = self.v
        for g, members in enumerate(self.inst.groups):
            lit = self.lit(Rule.TOGETHER, g)
            first = members[0]
            for i in members[1:]:
                _enforce(self.model.add(v.placed[i] == v.placed[first]), lit)
                for k in v.cohorts_of[i]:
                    same = v.x.get((first, k), 0)
                    _enforce(self.model.add(v.x[i, k] == same), lit)

    def locks(self) -> None:
        """Locked people are placed, and groups locked to different ids never meet."""
        inst, v = self.inst, self.v
        locked = [
            (g, m[0])
            for g, (m, lock) in enumerate(zip(inst.groups, inst.group_locks, strict=True))
            if lock
        ]
        for g, first in locked:
            _enforce(self.model.add(v.placed[first] == 1), self.lit(Rule.LOCK, g))
        by_id: dict[str, int] = {}
        for g, first in locked:
            by_id.setdefault(inst.group_locks[g] or "", first)
        firsts = sorted(set(by_id.values()))
        if len(firsts) < 2:
            return
        for k in range(len(v.used)):
            xs = [v.x[i, k] for i in firsts if (i, k) in v.x]
            if len(xs) > 1:
                self.model.add(sum(xs) <= 1)

    def facilitators(self) -> None:
        """One free, external, neutral facilitator per cohort, within capacity."""
        inst, v = self.inst, self.v
        if not inst.problem.facilitators:
            return
        lit = self.lit(Rule.FACILITATOR, "all")
        # Only the facilitators who may lead some cohort here: a neighbourhood of a large
        # program sees a few dozen of its thousands, and every loop below is per facilitator.
        eligible = sorted({j for (_, j) in v.fac})
        for k, used in enumerate(v.used):
            fs = [v.fac[k, j] for j in eligible if (k, j) in v.fac]
            _enforce(self.model.add(sum(fs) == used), lit)
            for j in eligible:
                if (k, j) not in v.fac:
                    continue
                free = [
                    v.opt[k, c] for c, o in enumerate(inst.options) if o.facilitator_mask >> j & 1
                ]
                self.model.add(v.fac[k, j] <= sum(free))
                for i in inst.facilitator_conflicts[j]:
                    if (i, k) in v.x:
                        self.model.add_bool_or([v.fac[k, j].Not(), v.x[i, k].Not()])
        for j in eligible:
            fs = [v.fac[k, j] for k in range(len(v.used)) if (k, j) in v.fac]
            if fs:
                cap = inst.facilitator_capacity[j]
                _enforce(self.model.add(sum(fs) <= cap), self.lit(Rule.FACILITATOR, j))
        self.facilitator_clashes(eligible)

    def facilitator_clashes(self, eligible: list[int]) -> None:
        """A facilitator never leads two sessions at once.

        Cohorts led by facilitator j in option c need series that never
        overlap: their number is capped by how many such series the option
        holds for j. Two different options whose slots free for j all fall on
        one and the same day, too close to hold two sessions, admit only one
        of j's cohorts between them. Slots are then picked to match after the
        solve (and the independent check rejects anything that slipped by).
        ``eligible`` are the facilitators who may lead some cohort of the model.
        """
        inst, v, rules = self.inst, self.v, self.inst.problem.config.schedule
        cohorts = len(v.used)
        led: dict[tuple[int, int], list[cp_model.IntVar]] = {}

        def leads_in(j: int, c: int) -> list[cp_model.IntVar]:
            if (j, c) not in led:
                both = []
                for k in range(cohorts):
                    if (k, j) in v.fac:
                        b = self.model.new_bool_var("")
                        self.model.add_bool_and([v.fac[k, j], v.opt[k, c]]).only_enforce_if(b)
                        self.model.add_bool_or([v.fac[k, j].Not(), v.opt[k, c].Not(), b])
                        both.append(b)
                led[j, c] = both
            return led[j, c]

        free = inst.facilitator_mask_of
        for j in eligible:
            cap = inst.facilitator_capacity[j]
            if cap < 2:
                continue
            mine = [c for c, o in enumerate(inst.options) if o.facilitator_mask >> j & 1]
            starts: dict[int, tuple[float, float]] = {}  # earliest and latest first session
            for c in mine:
                room = inst.parallel_series(j, c, min(cap, cohorts))
                if room < min(cap, cohorts):
                    self.model.add(sum(leads_in(j, c)) <= room)
                firsts = [
                    session_times(rules, slot)[0].start.timestamp()
                    for slot in inst.options[c].slots
                    if free.get(slot, 0) >> j & 1
                ]
                starts[c] = (min(firsts), max(firsts))
            duration = 60 * rules.duration_minutes
            for x, c1 in enumerate(mine):
                for c2 in mine[x + 1 :]:
                    (lo1, hi1), (lo2, hi2) = starts[c1], starts[c2]
                    # Some pair of slots lies a whole session apart: no clash forced.
                    if hi2 - lo1 >= duration or hi1 - lo2 >= duration:
                        continue
                    self.model.add(sum(leads_in(j, c1)) + sum(leads_in(j, c2)) <= 1)
