"""Placement first under the placement rules (issue 28): who is in the way, and who could host.

At n = 300 and 1,000 with ``[limits] market = 1``, ``[presence] gender = 2``,
``[required] gender = ["Woman"]`` and ``[closeness] company_size = 1`` the
search never placed the 8-12 people the greedy start left out in 60 s. The
ejection chain counted no placement rule among the members in the way, the
steps that take people in spent their second on the whole cost instead of on
placing them, and no neighbourhood gathered the cohorts that hold a left-out
person's possible cohort-mates. These tests pin each of those pieces; the
end-to-end check is in test_placement_search.py.
"""

from __future__ import annotations

import random

from helpers import make_participant
from peermatch.model import CohortRules, ProblemData, ProgramConfig
from peermatch.solvers.cohort_state import CohortState
from peermatch.solvers.cpsat.model import FormationModel
from peermatch.solvers.instance import build_instance
from peermatch.solvers.placement import around_compatible, blockers, compatible
from peermatch.solvers.settle import settle

RULES = CohortRules(min_size=3, max_size=5, target_size=4)


def _problem(people: list, **tables: object) -> ProblemData:  # type: ignore[type-arg]
    return ProblemData(
        participants=tuple(people),
        config=ProgramConfig(cohort=RULES, **tables),  # type: ignore[arg-type]
    )


def _people(rows: list[tuple[str, str, int]]) -> list:  # type: ignore[type-arg]
    """One participant per (gender, market, company size), numbered from 0."""
    return [
        make_participant(i, attributes={"gender": g, "market": m, "company_size": str(s)})
        for i, (g, m, s) in enumerate(rows)
    ]


def test_blockers_name_the_members_outside_the_band_and_the_same_market() -> None:
    rows = [("Woman", "Bank", 1), ("Woman", "Retail", 4), ("Man", "Energy", 4), ("Man", "Media", 3)]
    rows += [("Man", "Bank", 4)]  # the person to place: company size 4, market Bank
    problem = _problem(_people(rows), limits={"market": 1}, closeness={"company_size": 1})
    inst = build_instance(problem)
    # p00 is both out of the band (1 against 4) and in the same market; p03 is within
    # the band 3-4; nobody else is in the way.
    assert blockers(inst, 4, [0, 1, 2, 3]) == (0,)
    assert blockers(inst, 4, [1, 2, 3]) == ()


def test_compatible_people_could_share_a_cohort_as_a_pair() -> None:
    rows = [("Man", "Bank", 4), ("Woman", "Retail", 5), ("Woman", "Bank", 4), ("Man", "Media", 6)]
    problem = _problem(_people(rows), limits={"market": 1}, closeness={"company_size": 1})
    inst = build_instance(problem)
    assert compatible(inst, 0, 1)
    assert not compatible(inst, 0, 2)  # the same market under [limits] market = 1
    assert not compatible(inst, 0, 3)  # company sizes two apart under a band of 1


def test_the_compatible_neighbourhood_frees_the_cohorts_holding_possible_mates() -> None:
    # Sizes 1-2 in cohorts 0 and 2, 5-6 in cohort 1: the person left out (size 2) can
    # only ever meet the people of cohorts 0 and 2.
    sizes = [1, 2, 1, 5, 6, 5, 2, 1, 2, 2]
    rows = [("Woman", f"M{i}", s) for i, s in enumerate(sizes)]
    problem = _problem(_people(rows), closeness={"company_size": 1})
    inst = build_instance(problem)
    current = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    chosen, extra = around_compatible(inst, current, [9], 2, rng=random.Random(0), max_extra=4)
    assert chosen == [0, 2]
    assert extra == [9]


def test_settle_places_two_men_together_where_either_alone_would_be_the_only_one() -> None:
    # One cohort of three women; two men left out. Either man alone would be the only
    # man there ([presence] gender = 2); together they keep the rule.
    rows = [("Woman", f"M{i}", 3) for i in range(3)] + [("Man", "M3", 3), ("Man", "M4", 3)]
    problem = _problem(_people(rows), presence={"gender": 2}, required={"gender": ["Woman"]})
    inst = build_instance(problem)
    state = CohortState(inst, [[0, 1, 2]])
    assert settle(state, [3, 4]) == []
    assert sorted(state.cohorts[0]) == [0, 1, 2, 3, 4]


def test_a_placing_model_counts_only_the_people_left_out() -> None:
    rows = [("Woman", f"M{i}", 3) for i in range(4)]
    inst = build_instance(_problem(_people(rows)))
    fm = FormationModel(inst, 2, allow_unassigned=True, placing=True)
    assert str(fm.objective).count("placed") == inst.n


def test_the_hint_meets_where_its_facilitator_is_free() -> None:
    # Regression: the hint's meeting option was the first that admits the members, even
    # where the cohort's facilitator is not free; complete_hint then failed (three steps
    # in ten at n = 300) and CP-SAT started from a partial hint.
    from peermatch.generate import generate_population
    from peermatch.solvers.finish import assign_facilitators
    from peermatch.solvers.greedy import greedy_cohorts

    inst = build_instance(generate_population(40, 1, planted=True).problem)
    cohorts = [list(c) for c in greedy_cohorts(inst, 0).cohorts]
    facs = assign_facilitators(inst, cohorts)
    fm = FormationModel(inst, inst.max_cohorts, allow_unassigned=True)
    first = [fm._option_for(c) for c in cohorts]
    assert any(
        f is not None and c is not None and not inst.options[c].facilitator_mask >> f & 1
        for c, f in zip(first, facs, strict=True)
    )  # the case: some cohort's first option is one its facilitator cannot attend
    fm.add_hint(cohorts, facs)
    assert fm.complete_hint(0)
