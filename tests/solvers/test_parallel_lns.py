"""Parallel neighbourhood search: disjoint neighbourhoods on worker processes or a Dask cluster."""

from __future__ import annotations

import pytest

from peermatch.generate import generate_population
from peermatch.params import SolveParams
from peermatch.solution import Result, Status
from peermatch.solvers.cpsat import solve
from peermatch.solvers.cpsat.step import Step, solve_step
from peermatch.solvers.search import parallel_lns
from peermatch.violations import violations

N = 110  # above the default lns_threshold: the neighbourhood search path


def _cohorts(result: Result) -> list[tuple[tuple[str, ...], str | None, object]]:
    assert result.solution is not None
    return sorted(
        (tuple(sorted(c.members)), c.facilitator_id, c.slot) for c in result.solution.cohorts
    )


def test_all_is_the_public_api() -> None:
    assert parallel_lns.__all__ == [
        "SWAP_PARTS_MIN",
        "SWAP_ROUND_MAX",
        "Rounds",
        "disjoint_neighbourhoods",
        "improve_parallel",
        "step_round",
        "swap_round",
    ]


@pytest.fixture(scope="module")
def planted():  # type: ignore[no-untyped-def]
    assert SolveParams().lns_threshold < N
    return generate_population(N, 2, planted=True)


@pytest.fixture(scope="module")
def two_workers(planted) -> Result:  # type: ignore[no-untyped-def]
    return solve(planted.problem, SolveParams(time_limit=2, seed=0, workers=2))


def test_parallel_solve_breaks_no_rule(planted, two_workers: Result) -> None:  # type: ignore[no-untyped-def]
    assert two_workers.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert two_workers.solution is not None
    assert list(violations(planted.problem, two_workers.solution)) == []
    lns = two_workers.stats.lns
    assert lns is not None and lns.batch == 2
    assert lns.rounds is not None and lns.rounds >= 1
    assert two_workers.stats.as_dict()["lns_parallel_batch"] == 2
    assert two_workers.best_bound is not None and two_workers.objective is not None
    assert two_workers.best_bound <= two_workers.objective


def test_local_cluster_gives_the_same_cohorts_in_deterministic_mode(  # type: ignore[no-untyped-def]
    planted, two_workers: Result
) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_cluster = solve(
            planted.problem, SolveParams(time_limit=2, seed=0, workers=2), scheduler=client
        )
    assert on_cluster.objective == two_workers.objective
    assert _cohorts(on_cluster) == _cohorts(two_workers)


def test_a_step_keeps_every_hard_rule_of_its_people(planted) -> None:  # type: ignore[no-untyped-def]
    from peermatch.slots import slot_table
    from peermatch.solvers.instance import build_instance

    problem = planted.problem
    inst = build_instance(problem, slot_table(problem))
    index = {pid: i for i, pid in enumerate(inst.ids)}
    # The planted cohorts of two cohorts' people, as the hint; no facilitator constraint.
    first = [tuple(index[m] for m in c.members) for c in planted.planted.cohorts[:2]]
    people = tuple(sorted(i for c in first for i in c))
    step = Step(
        people=people,
        capacity=inst.facilitator_capacity,
        cohorts=tuple(first),
        facilitators=None,
        may_leave=False,
        seed=0,
        time_limit=1.0,
    )
    res = solve_step(inst, step)
    assert res.found
    assert sorted(i for c in res.cohorts for i in c) == list(people)
    for c in res.cohorts:
        assert inst.min_size <= len(c) <= inst.max_size
        orgs = [inst.org_of[i] for i in c]
        assert max(orgs.count(o) for o in orgs) <= inst.max_per_org
        levels = [inst.levels[i] for i in c]
        assert max(levels) - min(levels) <= inst.max_level_gap
    assert inst.cost([list(c) for c in res.cohorts]) <= inst.cost([list(c) for c in first])


def test_an_organisation_in_every_cohort_still_solved_in_parallel(planted) -> None:  # type: ignore[no-untyped-def]
    # One person of every planted cohort joins one organisation: with
    # max_per_organisation = 1 every cohort must hold exactly one of them, so
    # neighbourhoods (or parts) that gathered them would make the rule fail.
    problem = planted.problem
    assert problem.config.cohort.max_per_organisation == 1
    firsts = {c.members[0] for c in planted.planted.cohorts}
    people = tuple(
        p.model_copy(update={"organisation": "BigCo"}) if p.id in firsts else p
        for p in problem.participants
    )
    tight = problem.model_copy(update={"participants": people})
    result = solve(tight, SolveParams(time_limit=2, seed=0, workers=2))
    assert result.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert result.solution is not None
    assert list(violations(tight, result.solution)) == []
    big = [sum(m in firsts for m in c.members) for c in result.solution.cohorts]
    assert max(big) == 1
    assert result.stats.lns is not None and result.stats.lns.batch == 2  # the parallel rounds ran
