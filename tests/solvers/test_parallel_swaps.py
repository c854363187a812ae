"""Swap descents side by side: parts that keep a facilitator's cohorts together, sound merges."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peermatch.executor import LocalExecutor, SerialExecutor
from peermatch.generate import generate_population
from peermatch.params import SolveParams
from peermatch.slots import slot_table
from peermatch.solvers import parallel_swaps
from peermatch.solvers.finish import assign_facilitators, finish_solution
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import build_instance
from peermatch.solvers.parallel_swaps import SwapTask, descend_part, swap_parts
from peermatch.solvers.search import parallel_lns
from peermatch.solvers.search.lns import Search, Walk
from peermatch.violations import violations


def test_all_is_the_public_api() -> None:
    assert parallel_swaps.__all__ == ["SwapTask", "descend_part", "swap_parts"]


class _Levels:
    def __init__(self, levels: list[int]) -> None:
        self.levels = levels


@settings(max_examples=50, deadline=None)
@given(
    k=st.integers(1, 30),
    parts=st.integers(1, 5),
    leaders=st.data(),
    seed=st.integers(0, 1000),
)
def test_parts_are_disjoint_cover_everything_and_keep_a_facilitators_cohorts_together(
    k: int, parts: int, leaders: st.DataObject, seed: int
) -> None:
    cohorts = [[2 * j, 2 * j + 1] for j in range(k)]
    inst = _Levels([(i // 2) % 5 for i in range(2 * k)])
    facs = leaders.draw(st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=k, max_size=k))
    out = swap_parts(inst, cohorts, facs, parts, random.Random(seed))  # type: ignore[arg-type]
    assert 1 <= len(out) <= parts
    assert sorted(c for part in out for c in part) == list(range(k))
    part_of = {c: p for p, part in enumerate(out) for c in part}
    for f in {f for f in facs if f is not None}:
        assert len({part_of[c] for c in range(k) if facs[c] == f}) == 1


@pytest.fixture(scope="module")
def planted():  # type: ignore[no-untyped-def]
    # 400 people, about 50 cohorts: enough for two parts of SWAP_PARTS_MIN cohorts.
    pop = generate_population(400, 4, planted=True)
    inst = build_instance(pop.problem, slot_table(pop.problem))
    index = {pid: i for i, pid in enumerate(inst.ids)}
    assert pop.planted is not None
    cohorts = [sorted(index[m] for m in c.members) for c in pop.planted.cohorts]
    return pop, inst, cohorts, assign_facilitators(inst, cohorts)


def _round(planted, executor, seed: int = 0):  # type: ignore[no-untyped-def]
    _, inst, cohorts, facs = planted
    search = Search(SolveParams(time_limit=4.0), workers=1, time_limit=4.0, started=0.0)
    walk = Walk(inst, Grouping.of(cohorts, facs, ()), search.params.neighbourhood)
    tasks = parallel_lns._swap_tasks(walk, random.Random(seed), search, 2)
    return tasks, parallel_lns._swap_round(cohorts, tasks, executor, inst)


def test_a_round_of_parts_lowers_the_cost_and_breaks_no_rule(planted) -> None:  # type: ignore[no-untyped-def]
    pop, inst, cohorts, facs = planted
    tasks, (found, gained, charged) = _round(planted, SerialExecutor())
    assert len(tasks) == 2 and gained > 0 and 0 < charged <= tasks[0].limit + 0.01
    assert inst.cost(found) < inst.cost(cohorts)
    assert sorted(i for c in found for i in c) == sorted(i for c in cohorts for i in c)
    assert list(violations(pop.problem, finish_solution(inst, found, [], facs))) == []


def test_a_round_gives_the_same_cohorts_in_this_process_and_on_worker_processes(planted) -> None:  # type: ignore[no-untyped-def]
    _, here = _round(planted, SerialExecutor())
    with LocalExecutor(2) as pool:
        _, there = _round(planted, pool)
    assert here[0] == there[0] and here[1] == there[1]


def test_a_part_alone_is_reproducible(planted) -> None:  # type: ignore[no-untyped-def]
    _, inst, cohorts, facs = planted
    task = SwapTask(tuple(map(tuple, cohorts[:20])), tuple(facs[:20]), 3, 0.5, True, 300)
    assert descend_part(inst, task) == descend_part(inst, task)
