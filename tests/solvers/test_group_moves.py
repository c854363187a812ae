"""Whole groups move in the swap descent: whole, or exchanged for as many people in no group."""

from __future__ import annotations

import random

import pytest

from helpers import make_participant
from peermatch.availability import parse_availability
from peermatch.generate.shapes import shaped_population
from peermatch.model import (
    CohortRules,
    HistoryLink,
    Lock,
    PairRequest,
    ProblemData,
    ProgramConfig,
    ScheduleRules,
)
from peermatch.slots import slot_table
from peermatch.solvers import group_moves
from peermatch.solvers.cohort_state import CohortState
from peermatch.solvers.finish import assign_facilitators, finish_solution
from peermatch.solvers.group_moves import group_move, set_delta
from peermatch.solvers.instance import FormationInstance, build_instance
from peermatch.solvers.swaps import SwapBudget, descend
from peermatch.violations import violations

FOURS = CohortRules(min_size=4, max_size=4, target_size=4)
SHORT = ScheduleRules(sessions=2, cadence_weeks=1, duration_minutes=60, slot_minutes=60)
MONDAY = parse_availability("Mon 09:00-11:00")
#: g1, g2 (together), a1, a2 in cohort A; b1..b4 in cohort B.
NAMES = ("g1", "g2", "a1", "a2", "b1", "b2", "b3", "b4")
INDUSTRY = ("X", "Y", "X", "Y", "Z", "W", "Z", "W")


def test_all_is_the_public_api() -> None:
    assert group_moves.__all__ == ["GROUP_COHORTS", "group_move", "hot_groups", "set_delta"]


def _problem(locks: tuple[Lock, ...] = ()) -> ProblemData:
    """Two cohorts of four; only the group's exchange for b1 and b2 lowers the cost.

    A = {g1, g2, a1, a2} holds an X pair and a Y pair, B = {b1, b2, b3, b4} a Z
    and a W pair. a1 and a2 have history with b3 and b4, so every single swap
    puts a1 or a2 with one of them: no move of one person is allowed. Exchanging
    the group for b1 and b2 gives {a1, a2, b1, b2} and {g1, g2, b3, b4}: no pair.
    """
    people = [
        make_participant(name, industry=value, function=f"F{k}", availability=MONDAY)
        for k, (name, value) in enumerate(zip(NAMES, INDUSTRY, strict=True))
    ]
    history = [HistoryLink(a=a, b=b) for a in ("a1", "a2") for b in ("b3", "b4")]
    config = ProgramConfig(cohort=FOURS, schedule=SHORT)
    return ProblemData(
        participants=tuple(people),
        config=config,
        history=tuple(history),
        pairs=(PairRequest(a="g1", b="g2", rule="together"),),
        locks=locks,
    )


def _start(problem: ProblemData) -> tuple[FormationInstance, list[list[int]]]:
    inst = build_instance(problem, slot_table(problem))
    index = {pid: i for i, pid in enumerate(inst.ids)}
    return inst, [[index[p] for p in NAMES[:4]], [index[p] for p in NAMES[4:]]]


@pytest.mark.parametrize("locked", [False, True])
def test_the_descent_exchanges_a_group_when_no_single_move_helps(locked: bool) -> None:
    # Regression (issue 25): people of a group never moved, so a group stayed where the
    # start seated it; here the old descent found no move at all (cost 4,000).
    locks = (Lock(participant_id="g1", cohort_id="Alpha"),) if locked else ()
    problem = _problem(locks)
    inst, cohorts = _start(problem)
    assert inst.cost(cohorts) == 4000
    assert finish_problems(problem, inst, cohorts) == []
    found, improved = descend(inst, cohorts, None, random.Random(0), SwapBudget(limit=1.0))
    assert improved == 1 and inst.cost(found) == 0
    ids = [sorted(inst.ids[i] for i in c) for c in found]
    assert ids == [["a1", "a2", "b1", "b2"], ["b3", "b4", "g1", "g2"]]
    assert finish_problems(problem, inst, found) == []


def test_a_group_locked_to_one_id_never_joins_a_group_locked_to_another() -> None:
    locks = (
        Lock(participant_id="g1", cohort_id="Alpha"),
        Lock(participant_id="b3", cohort_id="Beta"),
    )
    problem = _problem(locks)
    inst, cohorts = _start(problem)
    state = CohortState(inst, [list(c) for c in cohorts])
    g = inst.group_of[inst.ids.index("g1")]
    movable = {i for i in range(inst.n) if i not in inst.group_of}
    delta, priced = group_move(state, g, movable, random.Random(0))
    assert delta == 0 and priced > 0
    assert state.cohorts == cohorts


def test_set_delta_is_the_exact_change_in_cost() -> None:
    inst, cohorts = _start(_problem())
    state = CohortState(inst, [list(c) for c in cohorts])
    for outs, ins in (([0, 1], [4, 5]), ([0], []), ([], [6]), ([2, 3], [6, 7])):
        after = [i for i in cohorts[0] if i not in outs] + ins
        assert set_delta(state, 0, outs, ins) == inst.cost([after]) - inst.cost([cohorts[0]])


def finish_problems(
    problem: ProblemData, inst: FormationInstance, cohorts: list[list[int]]
) -> list[object]:
    """What the independent checker finds in ``cohorts`` as a solution."""
    return list(violations(problem, finish_solution(inst, cohorts, [], None)))


def test_descents_on_a_locks_together_population_keep_every_rule_and_every_group() -> None:
    pop = shaped_population("locks-together", 120, 1)
    problem = pop.problem
    inst = build_instance(problem, slot_table(problem))
    index = {pid: i for i, pid in enumerate(inst.ids)}
    assert pop.planted is not None and inst.groups
    cohorts = [sorted(index[m] for m in c.members) for c in pop.planted.cohorts]
    facs = assign_facilitators(inst, cohorts)
    assert None not in facs
    moved = []
    budget = SwapBudget(limit=2.0, stall=400, on_improve=moved.append)
    found, improved = descend(inst, cohorts, facs, random.Random(5), budget)
    assert improved == len(moved) > 0 and inst.cost(found) == inst.cost(cohorts) + sum(moved)
    where = {i: k for k, c in enumerate(found) for i in c}
    assert all(len({where[i] for i in g}) == 1 for g in inst.groups)
    assert list(violations(problem, finish_solution(inst, found, [], facs))) == []
