"""The configuration bound never exceeds a known feasible cost, and sees what the typed one misses."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import make_participant
from peermatch.generate import generate_population
from peermatch.generate.population import Population
from peermatch.generate.shapes import SHAPES, shaped_population
from peermatch.model import CohortRules, ProblemData, ProgramConfig, ScheduleRules
from peermatch.params import SolveParams
from peermatch.solvers import solve
from peermatch.solvers.cpsat import config_bound as module
from peermatch.solvers.cpsat.config_bound import configuration_bound, start_columns
from peermatch.solvers.cpsat.pricing import Column
from peermatch.solvers.cpsat.typed_bound import typed_bound
from peermatch.solvers.instance import FormationInstance, build_instance
from peermatch.solvers.search import run as run_module
from peermatch.solvers.search.run import lower_bound


def test_all_is_the_public_api() -> None:
    assert module.__all__ == [
        "MAX_PEOPLE",
        "ROUNDS",
        "configuration_bound",
        "generate",
        "start_columns",
    ]


def _planted_cost(pop: Population) -> tuple[FormationInstance, int]:
    assert pop.planted is not None
    inst = build_instance(pop.problem)
    index = {pid: i for i, pid in enumerate(inst.ids)}
    return inst, inst.cost([[index[m] for m in c.members] for c in pop.planted.cohorts])


@st.composite
def _populations(draw: st.DrawFn) -> Population:
    size, seed = draw(st.integers(20, 45)), draw(st.integers(0, 10_000))
    shape = draw(st.sampled_from([None, *SHAPES]))
    if shape is None:
        difficulty = draw(st.sampled_from(["easy", "normal", "hard"]))
        return generate_population(size, seed, planted=True, difficulty=difficulty)
    return shaped_population(shape, size, seed)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pop=_populations(), budget=st.sampled_from([0.05, 0.3, 1.0]))
def test_the_bound_never_exceeds_the_planted_cost(pop: Population, budget: float) -> None:
    # Any budget, even one that stops long before the columns are all found, gives a valid bound.
    inst, planted = _planted_cost(pop)
    found = configuration_bound(inst, budget, deterministic=True)
    assert found is None or found <= planted


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pop=_populations(), budget=st.sampled_from([0.05, 0.3, 1.0]))
def test_seeded_with_the_planted_cohorts_the_bound_stays_below_them(
    pop: Population, budget: float
) -> None:
    # The start's cohorts only steer the duals: the bound still holds, whatever the budget.
    inst, planted = _planted_cost(pop)
    assert pop.planted is not None
    index = {pid: i for i, pid in enumerate(inst.ids)}
    leaders = {f.id: j for j, f in enumerate(pop.problem.facilitators)}
    cohorts = [[index[m] for m in c.members] for c in pop.planted.cohorts]
    led = [leaders.get(c.facilitator_id or "") for c in pop.planted.cohorts]
    columns = start_columns(inst, cohorts, led if pop.problem.facilitators else None)
    assert len(columns) == len(cohorts)  # the planted cohorts are all feasible columns
    found = configuration_bound(inst, budget, deterministic=True, columns=columns)
    assert found is None or found <= planted


def test_start_columns_leave_out_what_is_no_cohort() -> None:
    inst = build_instance(_linked_trio())
    # A cohort of two is below min_size: no column.
    assert start_columns(inst, [[0, 3, 4], [1, 2]], None) == [Column((0, 3, 4), -1)]


@settings(max_examples=2, deadline=None)
@given(shape=st.sampled_from(sorted(SHAPES)), size=st.integers(25, 45), seed=st.integers(0, 999))
def test_the_bound_never_exceeds_the_cost_of_the_solution_found(
    shape: str, size: int, seed: int
) -> None:
    pop = shaped_population(shape, size, seed)
    inst = build_instance(pop.problem)
    found = configuration_bound(inst, 1.0, deterministic=True)
    result = solve(pop.problem, SolveParams(time_limit=3, workers=1, seed=seed))
    assert result.objective is not None
    assert found is None or found <= result.objective


def _linked_trio() -> ProblemData:
    """Six people in two cohorts of three, two of each industry, functions all different.

    Spread, every cohort would hold one of each industry (no pair). But p00 and p02 (both
    of Org X) may not meet, nor p01 and p02 (p02 manages p01): p02's cohort holds neither
    banker, so it repeats an industry. The typed bound sees neither link (an organisation of
    two and a single link are too small to count), the cohorts seen whole do.
    """
    industries = ["Bank", "Bank", "Retail", "Retail", "Tech", "Tech"]
    people = [
        make_participant(
            i,
            organisation="Org X" if i in (0, 2) else f"Org {i}",
            industry=industries[i],
            function=f"F{i}",
            manager_id="p02" if i == 1 else None,
            availability="Mon 09:00-11:00",
        )
        for i in range(6)
    ]
    config = ProgramConfig(
        cohort=CohortRules(min_size=3, max_size=3, target_size=3),
        schedule=ScheduleRules(sessions=2, cadence_weeks=1, duration_minutes=60, slot_minutes=60),
    )
    return ProblemData(participants=tuple(people), config=config)


def _brute_force(inst: FormationInstance) -> int:
    """The least cost of every split of six people into two cohorts of three."""
    costs = []
    for others in itertools.combinations(range(1, 6), 2):
        first = (0, *others)
        second = tuple(i for i in range(6) if i not in first)
        if all(not (i in c and j in c) for i, j in inst.conflicts for c in (first, second)) and all(
            len({inst.org_of[i] for i in c}) == 3 for c in (first, second)
        ):
            costs.append(inst.cost([first, second]))
    return min(costs)


def test_the_bound_sees_whole_cohorts_and_is_exact_on_a_tiny_program() -> None:
    problem = _linked_trio()
    inst = build_instance(problem)
    optimum = _brute_force(inst)
    assert optimum > 0
    typed = typed_bound(inst, deterministic=True)
    assert typed is not None and typed < optimum
    assert configuration_bound(inst, 5.0, deterministic=True) == optimum
    result = solve(problem, SolveParams(time_limit=5, workers=1))
    assert result.objective == optimum


def test_a_program_too_large_is_not_bounded(monkeypatch: object) -> None:
    inst = build_instance(_linked_trio())
    monkeypatch.setattr(module, "MAX_PEOPLE", 5)  # type: ignore[attr-defined]
    assert configuration_bound(inst) is None


def test_the_run_bound_takes_it_when_given_time() -> None:
    inst = build_instance(_linked_trio())
    optimum = _brute_force(inst)
    assert lower_bound(inst, 0) < optimum  # without it (config_limit 0) the link is unseen
    assert lower_bound(inst, 0, config_limit=2.0) == optimum
    assert lower_bound(inst, 0, 5.0, deterministic=False, config_limit=30.0) == optimum


def test_a_deterministic_budget_gives_the_same_bound_twice() -> None:
    inst = build_instance(shaped_population("locks-together", 40, 7).problem)
    first = configuration_bound(inst, 0.5, deterministic=True)
    assert first == configuration_bound(inst, 0.5, deterministic=True)


def test_a_run_too_short_for_it_to_converge_leaves_it_out(monkeypatch: object) -> None:
    # Wall-clock runs give it CONFIG_SHARE of the limit only when that is CONFIG_NEED a person.
    calls: list[int] = []

    def counted(inst: FormationInstance, *args: object, **kwargs: object) -> None:
        calls.append(inst.n)

    monkeypatch.setattr(run_module, "configuration_bound", counted)  # type: ignore[attr-defined]
    problem = _linked_trio()
    wall = SolveParams(time_limit=30, workers=1, deterministic=False)
    solve(problem, wall)  # 1.5 s < 0.4 s x 6 people (the run ends once optimal)
    assert calls == []
    monkeypatch.setattr(run_module, "CONFIG_NEED", 0.0)  # type: ignore[attr-defined]
    solve(problem, wall)
    assert calls == [6]
