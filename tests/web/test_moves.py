"""The move check on two cohorts agrees with the whole-solution checker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peermatch.metrics import diversity_cost
from peermatch.violations import violations
from peermatch.web import moves
from peermatch.web.moves import RunState, apply_move, assignment_of, check_move, solution_of


@pytest.fixture(scope="module")
def state(solved_data: Path) -> RunState:
    return RunState(solved_data / "runs" / "1" / "out")


def _key(v: Any) -> tuple[str, str | None, tuple[str, ...], str]:
    return (str(v.rule), v.cohort, v.people, v.message)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_move_is_allowed_exactly_when_the_whole_checker_finds_nothing_new(
    state: RunState, data: st.DataObject
) -> None:
    problem, base = state.problem, state.base
    pid = data.draw(st.sampled_from([p.id for p in problem.participants]))
    to = data.draw(st.sampled_from([None, *[c.id for c in base.cohorts]]))
    result = check_move(problem, base, pid, to, graph=state.graph)
    moved = solution_of(base, apply_move(assignment_of(base), pid, to))
    if base.cohort_of().get(pid) == to:
        assert result.allowed and result.objective_delta == 0
        return
    before = {_key(v) for v in violations(problem, base)}
    new = {_key(v) for v in violations(problem, moved)} - before
    assert result.allowed == (not new)
    # Every rule the check names is one the whole checker finds broken after the move.
    assert {_key(v) for v in result.violations} <= {_key(v) for v in violations(problem, moved)}
    assert result.objective_delta == diversity_cost(problem, moved) - diversity_cost(problem, base)


def test_a_move_check_looks_at_two_cohorts_only(
    state: RunState, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real = moves.cohort_violations

    def spy(problem: Any, cohort: Any, graph: Any = None) -> Any:
        seen.append(cohort.id)
        return real(problem, cohort, graph)

    monkeypatch.setattr(moves, "cohort_violations", spy)
    first, second = state.base.cohorts[0], state.base.cohorts[-1]
    check_move(state.problem, state.base, first.members[0], second.id, graph=state.graph)
    assert set(seen) == {first.id, second.id}


def test_board_locks_are_named(state: RunState) -> None:
    first, second = state.base.cohorts[0], state.base.cohorts[1]
    pid = first.members[0]
    locked = check_move(
        state.problem, state.base, pid, second.id, graph=state.graph, locked_members={pid}
    )
    assert [str(v.rule) for v in locked.violations][-1] == "lock"
    assert locked.violations[-1].people == (pid,)
    closed = check_move(
        state.problem, state.base, pid, None, graph=state.graph, locked_cohorts={first.id}
    )
    assert any(str(v.rule) == "lock" and v.cohort == first.id for v in closed.violations)


def test_unknown_people_and_cohorts_are_refused(state: RunState) -> None:
    with pytest.raises(moves.UnknownTarget):
        check_move(state.problem, state.base, "NOBODY", None)
    with pytest.raises(moves.UnknownTarget):
        check_move(state.problem, state.base, state.base.cohorts[0].members[0], "C999")
