"""The flat formation instance: cost, lower bound, links and meeting options."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import participant_links
from peermatch.generate import generate_population
from peermatch.metrics import diversity_cost
from peermatch.model import CohortRules, Participant, ProblemData, ProgramConfig
from peermatch.slots import SlotTable
from peermatch.solution import Cohort, Solution
from peermatch.solvers.instance import (
    SIZE_WEIGHT,
    UNASSIGNED_WEIGHT,
    balanced_pairs,
    build_instance,
)
from strategies import planted_problems


def _brute_balanced(count: int, groups: int) -> int:
    best = None
    for split in itertools.product(range(count + 1), repeat=groups):
        if sum(split) == count:
            pairs = sum(c * (c - 1) // 2 for c in split)
            best = pairs if best is None else min(best, pairs)
    assert best is not None
    return best


@pytest.mark.parametrize(
    ("count", "groups"), [(0, 1), (1, 3), (5, 2), (7, 3), (10, 3), (4, 4), (9, 1)]
)
def test_balanced_pairs_is_the_fewest_same_value_pairs(count: int, groups: int) -> None:
    assert balanced_pairs(count, groups) == _brute_balanced(count, groups)
    assert balanced_pairs(10, 3) == 12  # 4+3+3: 6+3+3
    assert balanced_pairs(4, 0) == 6  # no groups: everyone together


def test_cost_matches_the_metric_and_the_formula_by_hand() -> None:
    people = [
        Participant(id=f"p{i}", name="P", email=f"p{i}@x.org", organisation=f"O{i}", level=1,
                    industry=ind, function=fn)
        for i, (ind, fn) in enumerate(
            [("Bank", "HR"), ("Bank", "HR"), ("Bank", "IT"), ("Energy", None), ("Energy", None)]
        )
    ]  # fmt: skip
    config = ProgramConfig(
        cohort=CohortRules(min_size=2, max_size=4, target_size=3),
        diversity={"industry": 1.0, "function": 0.5},
    )
    problem = ProblemData(participants=tuple(people), config=config)
    inst = build_instance(problem)
    cohorts = [[0, 1, 2], [3, 4]]
    # Cohort 1: industry 3 Bank pairs (x1000), function 1 HR pair (x500); size on target.
    # Cohort 2: industry 1 Energy pair (x1000); blank functions never count; size 1 off.
    expected = 3 * 1000 + 1 * 500 + 1 * 1000 + SIZE_WEIGHT * 1
    assert inst.cost(cohorts) == expected
    assert inst.cost(cohorts, unassigned=2) == expected + 2 * UNASSIGNED_WEIGHT
    solution = Solution(
        cohorts=(Cohort(id="A", members=("p0", "p1", "p2")), Cohort(id="B", members=("p3", "p4")))
    )
    assert diversity_cost(problem, solution) == expected
    # K=2 is the only count for 5 people of sizes 2..4: industry 3+2 Bank/Energy -> >= 1+0,
    # function HR 2 -> 0, IT 1 -> 0; sizes 5-6 -> 1.
    assert inst.lower_bound() == 1000 * balanced_pairs(3, 2) + SIZE_WEIGHT * 1
    assert inst.lower_bound() <= inst.cost(cohorts)


def test_cost_equals_the_metric_on_random_cohorts_of_a_generated_population() -> None:
    problem = generate_population(60, 5, planted=True).problem
    inst = build_instance(problem)
    rng = random.Random(1)
    for _ in range(5):
        order = list(range(inst.n))
        rng.shuffle(order)
        cuts = [0, 8, 17, 27, 40, 52, 60]
        cohorts = [order[a:b] for a, b in itertools.pairwise(cuts)]
        solution = Solution(
            cohorts=tuple(
                Cohort(id=f"C{k}", members=tuple(inst.ids[i] for i in c))
                for k, c in enumerate(cohorts)
            )
        )
        assert inst.cost(cohorts) == diversity_cost(problem, solution)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_problems())
def test_lower_bound_never_exceeds_a_feasible_cost(case: tuple) -> None:  # type: ignore[type-arg]
    problem, planted = case
    inst = build_instance(problem)
    cohorts = [[problem.index[m] for m in c.members] for c in planted.cohorts]
    bound = inst.lower_bound()
    assert bound is not None
    assert bound <= inst.cost(cohorts)
    assert inst.cost(cohorts) == diversity_cost(problem, planted)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_problems())
def test_links_and_meeting_options(case: tuple) -> None:  # type: ignore[type-arg]
    problem, planted = case
    inst = build_instance(problem)
    ids = inst.ids
    assert {
        (ids[i], ids[j]) if ids[i] < ids[j] else (ids[j], ids[i]) for i, j in inst.conflicts
    } == set(participant_links(problem))
    for i, j in inst.conflicts:
        assert j in inst.conflict_sets[i] and i in inst.conflict_sets[j]
    table = inst.table
    use_fac = bool(problem.facilitators)
    for c, opt in enumerate(inst.options):
        # Every slot of an option admits exactly its people (and facilitators).
        for slot in opt.slots:
            k = table.slots.index(slot)
            assert slot.zone == opt.zone
            assert table.masks[k] == opt.mask
            assert (table.facilitator_masks[k] if use_fac else 0) == opt.facilitator_mask
        # Pareto-maximal within its zone.
        for d, other in enumerate(inst.options):
            if d != c and other.zone == opt.zone:
                dominated = (opt.mask & other.mask == opt.mask) and (
                    opt.facilitator_mask & other.facilitator_mask == opt.facilitator_mask
                )
                assert not dominated
        for i in range(inst.n):
            assert opt.admits(i) == (c in inst.options_of[i])
    # Every planted cohort fits some option anchored in its slot's zone, with its facilitator.
    for cohort in planted.cohorts:
        need = sum(1 << problem.index[m] for m in cohort.members)
        fbit = 1 << problem.facilitator_index[cohort.facilitator_id] if cohort.facilitator_id else 0
        assert any(
            o.zone == cohort.slot.zone
            and o.mask & need == need
            and o.facilitator_mask & fbit == fbit
            for o in inst.options
        )


# The cohort-count test needs no calendar: an empty table keeps it fast.
_EMPTY_TABLE = SlotTable((), (), ())


@given(st.integers(7, 200))
def test_cohort_counts_respect_sizes(n: int) -> None:
    people = tuple(
        Participant(id=f"p{i}", name="P", email="p@x.org", organisation=f"O{i}", level=1)
        for i in range(n)
    )
    inst = build_instance(ProblemData(participants=people), table=_EMPTY_TABLE)
    for k in inst.cohort_counts():
        assert k * 7 <= n <= k * 12
    assert list(inst.cohort_counts()) == [k for k in range(1, n + 1) if k * 7 <= n <= k * 12]
    assert inst.min_size_deviation() == min(
        (abs(n - 8 * k) for k in inst.cohort_counts()), default=0
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_problems(), st.randoms(use_true_random=False))
def test_restrict_equals_the_definition(case: tuple, rnd: random.Random) -> None:  # type: ignore[type-arg]
    # Regression (issue 11): restrict() remapped every option's mask bit by bit over all n
    # people and scanned every link, per part; it now reads the people's own lists.
    problem, _ = case
    inst = build_instance(problem)
    people = rnd.sample(range(inst.n), rnd.randint(1, inst.n))
    sub = inst.restrict(people)
    new = {old: k for k, old in enumerate(people)}
    want_options = []
    for o in inst.options:
        m = sum(1 << k for old, k in new.items() if o.mask >> old & 1)
        if m and (o.zone, m, o.facilitator_mask) not in want_options:
            want_options.append((o.zone, m, o.facilitator_mask))
    assert [(o.zone, o.mask, o.facilitator_mask) for o in sub.options] == want_options
    assert sub.conflicts == tuple(
        sorted(
            (min(new[i], new[j]), max(new[i], new[j]))
            for i, j in inst.conflicts
            if i in new and j in new
        )
    )
    assert sub.facilitator_conflicts == tuple(
        frozenset(new[i] for i in bad if i in new) for bad in inst.facilitator_conflicts
    )
    assert sub.ids == tuple(inst.ids[i] for i in people)
