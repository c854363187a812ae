"""A neighbourhood step offers its own leaders and at most ``facilitator_pool`` other facilitators."""

from __future__ import annotations

import pytest

from peermatch.generate import generate_population
from peermatch.params import NeighbourhoodParams
from peermatch.solvers.cpsat.step import make_step, solve_step
from peermatch.solvers.finish import assign_facilitators
from peermatch.solvers.greedy import greedy_cohorts
from peermatch.solvers.instance import FormationInstance, build_instance


@pytest.fixture(scope="module")
def program() -> tuple[FormationInstance, list[list[int]], list[int | None]]:
    problem = generate_population(1000, 1, planted=True).problem
    inst = build_instance(problem)
    start = greedy_cohorts(inst, 0)
    cohorts = [list(c) for c in start.cohorts]
    return inst, cohorts, assign_facilitators(inst, cohorts)


def test_a_step_keeps_its_leaders_and_a_bounded_pool(
    program: tuple[FormationInstance, list[list[int]], list[int | None]],
) -> None:
    inst, cohorts, facs = program
    pool = NeighbourhoodParams().facilitator_pool  # the default: make_step is given none
    assert len(inst.facilitator_capacity) > pool  # else the pool changes nothing
    chosen = [0, 5, 9, 14, 20, 31]
    step = make_step(inst, cohorts, facs, chosen, seed=3, limit=5.0, deterministic=True,
                     may_leave=False)  # fmt: skip
    leaders = {facs[k] for k in chosen} - {None}
    assert leaders and all(step.capacity[j] >= 1 for j in leaders)
    others = [j for j, c in enumerate(step.capacity) if c > 0 and j not in leaders]
    assert 0 < len(others) <= pool
    # Everyone offered is free at some option of the step's people.
    free = 0
    for i in step.people:
        for c in inst.options_of[i]:
            free |= inst.options[c].facilitator_mask
    assert all(free >> j & 1 for j in others)
    # The current grouping is still a solution of the step: it is found, nobody left out.
    found = solve_step(inst, step)
    assert found.found and found.unplaced == ()
    assert found.facilitators is not None
    assert all(f is not None and step.capacity[f] >= 1 for f in found.facilitators)


def test_different_seeds_offer_different_pools_and_small_programs_keep_everyone(
    program: tuple[FormationInstance, list[list[int]], list[int | None]],
) -> None:
    inst, cohorts, facs = program
    pools = []
    for seed in (1, 2, 3, 4):
        step = make_step(inst, cohorts, facs, [2, 3], seed=seed, limit=1.0, deterministic=True,
                         may_leave=False, facilitator_pool=4)  # fewer than the candidates  # fmt: skip
        pools.append(frozenset(j for j, c in enumerate(step.capacity) if c > 0))
    leaders = {facs[2], facs[3]} - {None}
    assert all(len(pool - leaders) <= 4 for pool in pools)
    assert len(set(pools)) > 1
    # With a pool larger than the facilitators with capacity left, nobody is dropped.
    step = make_step(inst, cohorts, facs, [2, 3], seed=1, limit=1.0, deterministic=True,
                     may_leave=False, facilitator_pool=len(inst.facilitator_capacity))  # fmt: skip
    outside = [0] * len(inst.facilitator_capacity)
    for k, f in enumerate(facs):
        if f is not None and k not in (2, 3):
            outside[f] += 1
    assert list(step.capacity) == [
        cap - used for cap, used in zip(inst.facilitator_capacity, outside, strict=True)
    ]
