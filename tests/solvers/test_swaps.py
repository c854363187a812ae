"""The swap descent: every move keeps the rules, the cost never rises, and it is reproducible."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peermatch.generate import generate_population
from peermatch.slots import slot_table
from peermatch.solvers import swaps
from peermatch.solvers.finish import assign_facilitators, finish_solution
from peermatch.solvers.greedy import greedy_cohorts
from peermatch.solvers.instance import FormationInstance, build_instance
from peermatch.solvers.swaps import SwapBudget, descend
from peermatch.violations import violations


def test_all_is_the_public_api() -> None:
    assert swaps.__all__ == [
        "CHECK_COST",
        "EVAL_COST",
        "GROUP_EVAL_COST",
        "STAGGER_COST",
        "SwapBudget",
        "descend",
    ]


def _start(size: int, seed: int, difficulty: str = "normal"):  # type: ignore[no-untyped-def]
    pop = generate_population(size, seed, planted=True, difficulty=difficulty)
    inst = build_instance(pop.problem, slot_table(pop.problem))
    index = {pid: i for i, pid in enumerate(inst.ids)}
    assert pop.planted is not None
    # The planted grouping is feasible and far from diverse: much for the descent to do.
    cohorts = [sorted(index[m] for m in c.members) for c in pop.planted.cohorts]
    facs = assign_facilitators(inst, cohorts) if pop.problem.facilitators else None
    return pop, inst, cohorts, facs


def _sound(pop, inst: FormationInstance, cohorts, facs) -> list[object]:  # type: ignore[no-untyped-def]
    solution = finish_solution(inst, cohorts, [], facs)
    return list(violations(pop.problem, solution))


@pytest.fixture(scope="module")
def planted():  # type: ignore[no-untyped-def]
    pop, inst, cohorts, facs = _start(160, 3)
    assert facs is not None and None not in facs
    assert _sound(pop, inst, cohorts, facs) == []
    return pop, inst, cohorts, facs


def test_descent_lowers_the_cost_and_breaks_no_rule(planted) -> None:  # type: ignore[no-untyped-def]
    pop, inst, cohorts, facs = planted
    budget = SwapBudget(limit=5.0, stall=400)
    found, improved = descend(inst, cohorts, facs, random.Random(0), budget)
    assert improved > 0
    assert inst.cost(found) < inst.cost(cohorts)
    assert sorted(i for c in found for i in c) == sorted(i for c in cohorts for i in c)
    assert _sound(pop, inst, found, facs) == []
    assert 0 < budget.spent <= budget.limit + 0.01


def test_descent_is_reproducible_and_leaves_its_input_alone(planted) -> None:  # type: ignore[no-untyped-def]
    _, inst, cohorts, facs = planted
    before = [list(c) for c in cohorts]
    a = descend(inst, cohorts, facs, random.Random(7), SwapBudget(limit=1.0, stall=300))
    b = descend(inst, cohorts, facs, random.Random(7), SwapBudget(limit=1.0, stall=300))
    assert a == b
    assert cohorts == before


def test_an_exhausted_budget_changes_nothing(planted) -> None:  # type: ignore[no-untyped-def]
    _, inst, cohorts, facs = planted
    found, improved = descend(inst, cohorts, facs, random.Random(0), SwapBudget(limit=0.0))
    assert improved == 0 and found == [list(c) for c in cohorts]


def test_a_longer_budget_does_no_worse(planted) -> None:  # type: ignore[no-untyped-def]
    _, inst, cohorts, facs = planted
    short, _ = descend(inst, cohorts, facs, random.Random(1), SwapBudget(limit=0.002, stall=10**6))
    long, _ = descend(inst, cohorts, facs, random.Random(1), SwapBudget(limit=0.2, stall=10**6))
    assert inst.cost(long) <= inst.cost(short) < inst.cost(cohorts)


def test_grouped_people_never_move(planted) -> None:  # type: ignore[no-untyped-def]
    _, inst, cohorts, facs = planted
    # Pretend the first cohort's members must stay together: the descent leaves them there.
    fixed = tuple(cohorts[0])
    grouped = replace(inst, groups=(fixed,), group_locks=(None,))
    found, _ = descend(grouped, cohorts, facs, random.Random(0), SwapBudget(limit=2.0, stall=400))
    assert set(fixed) <= set(found[0])


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(30, 120),
    seed=st.integers(0, 10_000),
    difficulty=st.sampled_from(["easy", "normal", "hard"]),
)
def test_descent_from_any_planted_or_greedy_start_is_sound(
    size: int, seed: int, difficulty: str
) -> None:
    pop, inst, cohorts, _ = _start(size, seed, difficulty)
    greedy = greedy_cohorts(inst, seed)
    for start in (cohorts, [list(c) for c in greedy.cohorts] if not greedy.unplaced else None):
        if start is None:
            continue
        leaders = assign_facilitators(inst, start) if pop.problem.facilitators else None
        if leaders is not None and None in leaders:
            continue
        found, _ = descend(inst, start, leaders, random.Random(seed), SwapBudget(limit=0.5))
        assert inst.cost(found) <= inst.cost(start)
        assert _sound(pop, inst, found, leaders) == []


def test_a_stop_request_ends_the_descent_at_once(planted) -> None:  # type: ignore[no-untyped-def]
    _, inst, cohorts, facs = planted
    asked = SwapBudget(limit=5.0, stall=10**6, stop=lambda: True)
    found, improved = descend(inst, cohorts, facs, random.Random(0), asked)
    assert improved == 0 and found == [list(c) for c in cohorts]


def test_every_improving_move_is_reported_with_its_exact_cost_change(planted) -> None:  # type: ignore[no-untyped-def]
    _, inst, cohorts, facs = planted
    deltas: list[int] = []
    budget = SwapBudget(limit=2.0, stall=400, on_improve=deltas.append)
    found, improved = descend(inst, cohorts, facs, random.Random(3), budget)
    assert len(deltas) == improved > 0 and all(d < 0 for d in deltas)
    assert inst.cost(cohorts) + sum(deltas) == inst.cost(found)
