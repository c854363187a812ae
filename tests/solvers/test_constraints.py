"""The CP-SAT model on tiny instances: each rule family, the objective, the bound, the LNS.

For every rule family a tiny program is built that the rule alone makes
infeasible. With the rule in, the model is infeasible; with it switched off
(``FormationModel(disabled={rule})``) the model finds cohorts, and the
independent checker, given exactly what the model chose (members, meeting
option, facilitator), reports that very rule. The objective, the bound and the
neighbourhood search are compared with optima brute-forced in the test.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence

import pytest
from ortools.sat.python import cp_model  # noqa: TID251 (the model itself is under test)

from helpers import make_participant
from peermatch.availability import parse_availability
from peermatch.metrics import diversity_cost
from peermatch.model import (
    CohortRules,
    Facilitator,
    HistoryLink,
    Participant,
    ProblemData,
    ProgramConfig,
    ScheduleRules,
)
from peermatch.params import SolveParams
from peermatch.rules import Rule
from peermatch.schedule import session_times
from peermatch.solution import Cohort, Solution
from peermatch.solvers.cpsat.bound import aggregate_bound
from peermatch.solvers.cpsat.model import FormationModel
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import FormationInstance, build_instance
from peermatch.solvers.search.lns import Search, improve
from peermatch.violations import violations

#: Cohorts of exactly two, two short sessions: small models, quick slot tables.
PAIRS = CohortRules(min_size=2, max_size=2, target_size=2)
SHORT = ScheduleRules(sessions=2, cadence_weeks=1, duration_minutes=60, slot_minutes=60)
MONDAY = parse_availability("Mon 09:00-11:00")


def _program(
    people: Sequence[Participant],
    cohort: CohortRules = PAIRS,
    **extra: object,
) -> ProblemData:
    config = ProgramConfig(cohort=cohort, schedule=SHORT, **extra.pop("config", {}))  # type: ignore[arg-type]
    return ProblemData(participants=tuple(people), config=config, **extra)  # type: ignore[arg-type]


def _solve(fm: FormationModel, seconds: float = 10.0) -> tuple[int, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = seconds
    return solver.solve(fm.model), solver


def _chosen(fm: FormationModel, solver: cp_model.CpSolver) -> Solution:
    """Exactly what the model chose, as a Solution: no repair or slot search afterwards."""
    inst, v = fm.inst, fm.v
    rules = inst.problem.config.schedule
    cohorts = []
    for k, used in enumerate(v.used):
        if not solver.boolean_value(used):
            continue
        members = [inst.ids[i] for i in v.members_of[k] if solver.boolean_value(v.x[i, k])]
        option = [c for c in range(len(inst.options)) if solver.boolean_value(v.opt[k, c])]
        slot = min(inst.options[option[0]].slots, key=lambda s: s.sort_key) if option else None
        leaders = [j for (kk, j), var in v.fac.items() if kk == k and solver.boolean_value(var)]
        cohorts.append(
            Cohort(
                id=f"C{k + 1}",
                members=tuple(members),
                slot=slot,
                facilitator_id=inst.problem.facilitators[leaders[0]].id if leaders else None,
                sessions=session_times(rules, slot) if slot is not None else (),
            )
        )
    return Solution(cohorts=tuple(cohorts))


def _same_zone_anchored_elsewhere(fm: FormationModel) -> None:
    """The anchor rule admits every option of two New Yorkers: force a London-anchored one."""
    inst = fm.inst
    london = [c for c, o in enumerate(inst.options) if o.zone == "Europe/London"]
    assert london, "the test needs a London-anchored option"
    fm.model.add(sum(fm.v.opt[0, c] for c in london) == 1)


def _cases() -> Iterator[tuple[Rule, ProblemData]]:
    p = make_participant
    yield Rule.SIZE, _program([p(0), p(1), p(2)])  # three people, cohorts of exactly two
    yield Rule.ORGANISATION, _program([p(0, organisation="Acme"), p(1, organisation="Acme")])
    yield Rule.NEUTRALITY, _program([p(0), p(1)], history=[HistoryLink(a="p00", b="p01")])
    yield Rule.LEVEL, _program([p(0, level=1), p(1, level=4)])
    yield (
        Rule.SIMILARITY,
        _program(
            [p(0, attributes={"language": "English"}), p(1, attributes={"language": "French"})],
            config={"similarity": ["language"]},
        ),
    )
    tuesday = parse_availability("Tue 09:00-11:00")
    # p0 and p2 meet only on Monday, p1 and p3 only on Tuesday; p0 and p1 share history,
    # and so do p2 and p3, so the pairs that could meet are linked: {p0, p2} and
    # {p1, p3} on availability alone, and only cross pairs on the links alone.
    yield (
        Rule.AVAILABILITY,
        _program(
            [
                p(0, availability=MONDAY),
                p(1, availability=tuesday),
                p(2, availability=MONDAY),
                p(3, availability=tuesday),
            ],
            history=[HistoryLink(a="p00", b="p02"), HistoryLink(a="p01", b="p03")],
        ),
    )
    new_york = "America/New_York"
    yield Rule.SCHEDULE, _program([p(0, timezone=new_york), p(1, timezone=new_york)])
    host = Facilitator(id="f0", name="F", email="f@x.org", organisation="Org p00")
    yield Rule.FACILITATOR, _program([p(0), p(1)], facilitators=[host])
    yield from _placement_cases()


def _placement_cases() -> Iterator[tuple[Rule, ProblemData]]:
    """The four program.toml placement rules, each alone making a tiny program infeasible."""
    p = make_participant
    # Two competitors (industry Bank) and cohorts of two: [limits] industry = 1 forbids it.
    yield (
        Rule.LIMITS,
        _program(
            [p(0, industry="Bank"), p(1, industry="Bank")], config={"limits": {"industry": 1}}
        ),
    )
    # One woman among four: she would be the only one in her pair.
    genders = ["Woman", "Man", "Man", "Man"]
    yield (
        Rule.PRESENCE,
        _program(
            [p(i, attributes={"gender": g}) for i, g in enumerate(genders)],
            config={"presence": {"gender": 2}},
        ),
    )
    # Two pairs, one member in Finance: the other pair has nobody from Finance.
    functions = ["Finance", "HR", "HR", "IT"]
    yield (
        Rule.REQUIRED,
        _program(
            [p(i, function=f) for i, f in enumerate(functions)],
            config={"required": {"function": ["Finance"]}},
        ),
    )
    # Company sizes 1 and 5 cannot share a band of 2.
    yield (
        Rule.CLOSENESS,
        _program(
            [p(0, attributes={"size": "1"}), p(1, attributes={"size": "5"})],
            config={"closeness": {"size": 2}},
        ),
    )


CASES = list(_cases())


@pytest.mark.parametrize(("rule", "problem"), CASES, ids=[str(rule) for rule, _ in CASES])
def test_switching_a_rule_off_lets_the_checker_catch_it(rule: Rule, problem: ProblemData) -> None:
    inst = build_instance(problem)
    cohorts = max(inst.max_cohorts, 2)  # room for a cohort the size rule would forbid
    if rule != Rule.SCHEDULE:
        code, _ = _solve(FormationModel(inst, cohorts))
        assert code == cp_model.INFEASIBLE, "the rule alone should make the program infeasible"
    loose = FormationModel(inst, cohorts, disabled={rule})
    if rule == Rule.SCHEDULE:
        _same_zone_anchored_elsewhere(loose)
        strict = FormationModel(inst, cohorts)
        _same_zone_anchored_elsewhere(strict)
        assert _solve(strict)[0] == cp_model.INFEASIBLE
    code, solver = _solve(loose)
    assert code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    found = {v.rule for v in violations(problem, _chosen(loose, solver))}
    assert rule in found, found


def _partitions(people: Sequence[int], sizes: range) -> Iterator[list[list[int]]]:
    """Every split of ``people`` into groups with sizes in ``sizes`` (unordered)."""
    if not people:
        yield []
        return
    first, rest = people[0], people[1:]
    for size in sizes:
        for others in itertools.combinations(rest, size - 1):
            group = [first, *others]
            left = [i for i in rest if i not in others]
            for tail in _partitions(left, sizes):
                yield [group, *tail]


def _brute_force(inst: FormationInstance, feasible: object = None) -> int:
    sizes = range(inst.min_size, inst.max_size + 1)
    return min(inst.cost(split) for split in _partitions(list(range(inst.n)), sizes))


def _diverse(n: int, orgs: int | None = None) -> ProblemData:
    people = [
        make_participant(
            i,
            organisation=f"Org {i % (orgs or n)}",
            industry=("Bank", "Retail", "Health")[i % 3],
            function=("HR", "IT")[(i // 3) % 2],
        )
        for i in range(n)
    ]
    return _program(people, CohortRules(min_size=3, max_size=4, target_size=3))


@pytest.mark.parametrize("n", [6, 7, 8])
def test_the_model_optimum_is_the_brute_forced_optimum(n: int) -> None:
    problem = _diverse(n)
    inst = build_instance(problem)
    fm = FormationModel(inst, inst.max_cohorts)
    code, solver = _solve(fm, 20.0)
    assert code == cp_model.OPTIMAL
    best = _brute_force(inst)
    assert solver.objective_value == best
    grouping = fm.extract(solver.boolean_value)
    assert inst.cost(grouping.cohorts) == best
    # The objective is the cost the metrics count, independently of the model.
    members = [[inst.ids[i] for i in c] for c in grouping.cohorts]
    solution = Solution(
        cohorts=tuple(Cohort(id=f"C{k}", members=tuple(m)) for k, m in enumerate(members))
    )
    assert diversity_cost(problem, solution) == best


@pytest.mark.parametrize("n", [6, 7, 8, 9])
def test_the_bounds_never_exceed_the_brute_forced_optimum(n: int) -> None:
    inst = build_instance(_diverse(n))
    best = _brute_force(inst)
    for bound in (inst.lower_bound(), aggregate_bound(inst, seed=0)):
        assert bound is None or bound <= best


def test_the_organisation_rule_changes_the_optimum_as_brute_force_says() -> None:
    # Two organisations of four: at most one of each per cohort of 3..4 is impossible, so
    # max_per_organisation = 2 is needed; the optimum then is the brute-forced one among
    # the splits that keep at most two of an organisation together.
    problem = _diverse(8, orgs=2)
    rules = CohortRules(min_size=3, max_size=4, target_size=3, max_per_organisation=2)
    problem = problem.replace(config=problem.config.model_copy(update={"cohort": rules}))
    inst = build_instance(problem)
    code, solver = _solve(FormationModel(inst, inst.max_cohorts), 20.0)
    assert code == cp_model.OPTIMAL
    ok = [
        split
        for split in _partitions(list(range(inst.n)), range(3, 5))
        if all(
            max(sum(inst.org_of[i] == o for i in c) for o in set(inst.org_of)) <= 2 for c in split
        )
    ]
    assert solver.objective_value == min(inst.cost(s) for s in ok)


def test_neighbourhood_search_reaches_the_brute_forced_optimum_from_a_bad_start() -> None:
    problem = _diverse(8)
    inst = build_instance(problem)
    best = _brute_force(inst)
    # The worst start: same industry together as far as possible.
    start = sorted(range(inst.n), key=lambda i: (problem.participants[i].industry, i))
    worst = Grouping([start[:4], start[4:]])
    assert inst.cost(worst.cohorts) > best
    search = Search(SolveParams(time_limit=5.0, workers=1), 1, 5.0, time.monotonic(), bound=best)
    found, stats = improve(inst, worst, search)
    assert inst.cost(found.cohorts) == best and not found.unplaced
    assert stats.iterations >= 1 and stats.improvements >= 1
    assert sorted(i for c in found.cohorts for i in c) == list(range(inst.n))
