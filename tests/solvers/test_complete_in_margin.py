"""A search that ends incomplete at the writing reserve goes on placing people (issue 25)."""

from __future__ import annotations

import time

from peermatch.deadline import Deadline
from peermatch.generate import generate_population
from peermatch.params import SolveParams
from peermatch.slots import slot_table
from peermatch.solution import SearchStatistics
from peermatch.solvers.cpsat import solving
from peermatch.solvers.greedy import greedy_cohorts
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import build_instance
from peermatch.solvers.search.run import Run


def _incomplete_start(facilitators: bool = False) -> tuple[object, Grouping]:
    problem = generate_population(160, 3, planted=True, facilitators=facilitators).problem
    inst = build_instance(problem, slot_table(problem))
    start = greedy_cohorts(inst, 0)
    assert not start.unplaced
    cohorts = [list(c) for c in start.cohorts]
    # Two people taken out of cohorts that stay above the minimum size.
    taken = []
    for c in cohorts:
        if len(c) > inst.min_size and len(taken) < 2:
            taken.append(c.pop())
    assert len(taken) == 2
    return inst, Grouping.of(cohorts, None, taken)


def _run(inst: object, clock: Deadline | None) -> Run:
    params = SolveParams(time_limit=30.0, seed=0, workers=1)
    started = time.monotonic() if clock is None else clock.start
    return Run(inst.problem, params, 1, started, None, clock=clock)  # type: ignore[attr-defined]


def test_people_left_at_the_reserve_are_placed_in_its_margin() -> None:
    # Regression: n = 100,000 at --time-limit 300 ended "no solution found" with about five
    # people unplaced and 116 s left, because the search stopped where the reserve began.
    inst, grouping = _incomplete_start()
    run = _run(inst, Deadline(limit=60.0))
    found, stats = solving._complete_in_margin(run, inst, grouping, SearchStatistics())  # type: ignore[arg-type]
    assert found.complete
    assert sorted(i for c in found.cohorts for i in c) == list(range(inst.n))  # type: ignore[attr-defined]
    assert stats.iterations > 0
    assert any("not yet placed" in note for note in run.notes)


def test_no_margin_left_or_no_clock_leaves_the_grouping_as_it_is() -> None:
    inst, grouping = _incomplete_start()
    spent = Deadline(limit=1.0, start=time.monotonic() - 5.0)  # already over
    for clock in (spent, None):
        run = _run(inst, clock)
        found, _ = solving._complete_in_margin(run, inst, grouping, SearchStatistics())  # type: ignore[arg-type]
        assert found is grouping
        assert not run.notes


def test_a_grouping_with_leaderless_cohorts_and_people_out_names_both() -> None:
    # Regression: cohorts nobody could lead hid who was left out: the "no solution"
    # message said neither (n = 100,000 at --time-limit 300, every facilitator seat needed).
    from peermatch.cli.common import _left_out

    inst, grouping = _incomplete_start(facilitators=True)
    led = Grouping.of(grouping.cohorts, [None] * len(grouping.cohorts), grouping.unplaced)
    run = _run(inst, None)
    result = solving._finish(run, inst, led, None, False, solving.Statistics(), None)  # type: ignore[arg-type]
    assert result.solution is None
    assert result.stats.cohorts_without_facilitator == len(grouping.cohorts)
    assert result.stats.unplaced == 2 and result.stats.not_placed is not None
    message = _left_out(result)
    assert f"{len(grouping.cohorts)} cohort(s) no free facilitator could lead" in message
    assert all(inst.ids[i] in message for i in grouping.unplaced)  # type: ignore[attr-defined]
