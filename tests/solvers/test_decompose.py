"""Large programs solved in parts (forced on a few hundred people by a low threshold)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import pytest

from peermatch.generate import generate_population
from peermatch.metrics import diversity_cost
from peermatch.model import Participant, ProblemData
from peermatch.params import GreedyParams, SolveParams
from peermatch.solution import Status
from peermatch.solvers import partition
from peermatch.solvers.cpsat import solve
from peermatch.solvers.instance import build_instance
from peermatch.solvers.search import decompose
from peermatch.violations import violations

#: Parts forced above 150 people, of about 100 each (the settings of [solver.greedy]).
SMALL = GreedyParams(part_size=100, parts_threshold=150, parts_share=0.4)


def test_all_is_the_public_api() -> None:
    assert decompose.__all__ == [
        "DecomposedStart", "PartResult", "PartTask", "decomposed_start",
    ]  # fmt: skip
    assert partition.__all__ == [
        "balance_organisations", "fewest_cohorts", "planned_cohorts", "split_parts",
    ]  # fmt: skip


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the parts solved (decomposition forced above 150 people by SMALL)."""
    calls: list[int] = []
    real = decompose.solve_part

    def spy(inst, task):  # type: ignore[no-untyped-def]
        calls.append(len(task.people))
        return real(inst, task)

    monkeypatch.setattr(decompose, "solve_part", spy)
    return calls


def test_decomposed_solve_of_a_planted_population_breaks_no_rule(counted: list[int]) -> None:
    population = generate_population(240, 0, planted=True)
    problem, planted = population.problem, population.planted
    assert planted is not None and problem.facilitators
    result = solve(problem, SolveParams(time_limit=4, seed=0, workers=1, greedy=SMALL))
    assert len(counted) >= 2 and sum(counted) == 240  # the parts ran, everyone in one
    assert result.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert result.solution is not None and result.solution.unassigned == ()
    assert [str(v) for v in violations(problem, result.solution)] == []
    # The bound is the whole program's: it stays below the planted (feasible) cost.
    assert result.best_bound is not None and result.objective is not None
    assert result.best_bound <= diversity_cost(problem, planted)
    assert result.best_bound <= result.objective


def _concentrated() -> ProblemData:
    # 240 people at levels 1 and 2; "Big" has 20 people, all junior and first in order,
    # so a plain level-band split puts all of them into one part of 80 people, which
    # can form at most 11 cohorts: with max_per_organisation = 1 that part is unsolvable.
    people = []
    for i in range(240):
        org = "Big" if i < 20 else f"Org {i % 60}"
        people.append(
            Participant(
                id=f"p{i:03d}",
                name=f"P {i}",
                email=f"p{i}@x.org",
                organisation=org,
                level=1 if i < 120 else 2,
                industry=f"I{i % 7}",
                function=f"F{i % 5}",
            )
        )
    return ProblemData(participants=tuple(people))


def test_split_balances_an_organisation_concentrated_in_one_band() -> None:
    problem = _concentrated()
    inst = build_instance(problem)
    big = inst.org_of[problem.index["p000"]]
    parts = partition.split_parts(inst, 3)
    assert sorted(i for p in parts for i in p) == list(range(inst.n))
    for p in parts:
        seats = inst.max_per_org * partition.fewest_cohorts(inst, len(p))
        assert max(Counter(inst.org_of[i] for i in p).values()) <= seats
    # Without the balancing the first band would hold all 20 of "Big".
    first = sorted(range(inst.n), key=lambda i: (inst.levels[i], inst.tz_of[i], i))[:80]
    assert sum(inst.org_of[i] == big for i in first) == 20
    assert partition.fewest_cohorts(inst, 80) < 20


def test_split_evens_out_a_sponsor_with_a_seat_in_every_cohort() -> None:
    # Regression (issue 25): a sponsor with one person per cohort, all junior, is over
    # every part's fewest cohorts, so the first balancing pass gave up with 16 of them in
    # the first part; its greedy start then planned 16 cohorts instead of 10, and at
    # n = 100,000 the parts planned 12,816 cohorts for 12,500 facilitator seats.
    people = [
        Participant(
            id=f"p{i:03d}",
            name=f"P {i}",
            email=f"p{i}@x.org",
            organisation="Sponsor" if i < 30 else f"Org {i % 70}",
            level=1 if i < 120 else 2,
            industry=f"I{i % 7}",
            function=f"F{i % 5}",
        )
        for i in range(240)
    ]
    inst = build_instance(ProblemData(participants=tuple(people)))
    sponsor = inst.org_of[0]
    parts = partition.split_parts(inst, 3)
    assert sorted(i for p in parts for i in p) == list(range(inst.n))
    planned = [partition.planned_cohorts(inst, len(p)) for p in parts]
    assert sum(planned) == 30
    held = [sum(inst.org_of[i] == sponsor for i in p) for p in parts]
    assert held == [inst.max_per_org * k for k in planned]
    for p in parts:  # every other organisation still within the fewest cohorts' seats
        seats = inst.max_per_org * partition.fewest_cohorts(inst, len(p))
        assert (
            max(n for o, n in Counter(inst.org_of[i] for i in p).items() if o != sponsor) <= seats
        )


def test_concentrated_organisation_is_still_solved(counted: list[int]) -> None:
    problem = _concentrated()
    result = solve(problem, SolveParams(time_limit=3, seed=0, workers=1, greedy=SMALL))
    assert len(counted) >= 2
    assert result.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert result.solution is not None and result.solution.unassigned == ()
    assert [str(v) for v in violations(problem, result.solution)] == []
    big = [
        c
        for c in result.solution.cohorts
        if any(m in {f"p{i:03d}" for i in range(20)} for m in c.members)
    ]
    assert len(big) == 20  # one of "Big" per cohort


def test_wall_clock_parts_share_the_time_left_per_round_of_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Regression (issue 11): every part got 40% of the whole limit, so nine parts on one
    # worker took 9 x 24 s of a 60 s run at n = 10,000 (259 s of wall clock).
    tasks: list[decompose.PartTask] = []
    real = decompose.solve_part

    def spy(inst, task):  # type: ignore[no-untyped-def]
        tasks.append(task)
        return real(inst, task)

    monkeypatch.setattr(decompose, "solve_part", spy)
    problem = generate_population(240, 0, planted=True).problem
    # People may stay out, so that a loaded machine still gets a solution to check.
    result = solve(
        problem,
        SolveParams(
            time_limit=8,
            seed=0,
            workers=1,
            deterministic=False,
            allow_unassigned=True,
            greedy=SMALL,
        ),
    )
    assert len(tasks) >= 2
    # One worker: the parts run one after another, so together they get at most the share.
    assert sum(t.time_limit for t in tasks) <= SMALL.parts_share * 8 + 1e-9
    assert all(not t.deterministic and t.start_by is not None for t in tasks)
    assert result.solution is not None
    assert [str(v) for v in violations(problem, result.solution)] == []


def test_a_part_not_started_in_time_gets_its_greedy_start_alone_on_its_worker() -> None:
    # Issue 25: late parts were handed back empty and built one after another in the
    # parent (most of the warm start at n = 100,000); the worker now builds them.
    problem = generate_population(240, 0, planted=True).problem
    inst = build_instance(problem)
    people = tuple(range(0, 240, 3))
    late = decompose.PartTask(
        people, tuple(inst.facilitator_capacity), 0, 1.0, False, False,
        start_by=time.time() - 1,
    )  # fmt: skip
    found = decompose.solve_part(inst, late)
    assert found.skipped and found.cohorts and found.solver_time == 0.0
    placed = sorted(i for c in found.cohorts for i in c)
    assert sorted(placed + list(found.unplaced)) == sorted(people)
    alone = decompose._greedy_only(inst, late)
    assert (found.cohorts, found.unplaced) == (alone.cohorts, alone.unplaced)
    on_time = decompose.solve_part(inst, replace(late, start_by=time.time() + 60))
    assert not on_time.skipped and on_time.cohorts


def test_parts_skipped_for_want_of_time_still_get_a_greedy_start() -> None:
    # Regression (issue 25): at n = 100,000 and --time-limit 300 the parts not started in
    # time left their people out and the run ended with "no solution", 116 s unused.
    from peermatch.deadline import Deadline

    inst = build_instance(generate_population(240, 0, planted=True).problem)
    params = SolveParams(time_limit=1.0, seed=0, workers=1, deterministic=False, greedy=SMALL)
    # The reserve takes all that is left: no part may start its own search.
    got = decompose.decomposed_start(inst, params, workers=1, deadline=Deadline(1.0), reserve=5.0)
    assert got.skipped >= 2
    placed = sorted(i for c in got.start.cohorts for i in c)
    assert len(placed) == len(set(placed)) and len(placed) >= 200
    assert sorted(placed + list(got.start.unplaced)) == list(range(240))
