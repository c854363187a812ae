"""The bound by cohort types never exceeds a known feasible cost, and sees what the others miss."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import make_participant
from peermatch.generate import generate_population
from peermatch.generate.population import Population
from peermatch.generate.shapes import SHAPES, shaped_population
from peermatch.model import CohortRules, ProblemData, ProgramConfig, ScheduleRules
from peermatch.params import SolveParams
from peermatch.solvers import solve
from peermatch.solvers.cpsat import cohort_types
from peermatch.solvers.cpsat import typed_bound as module
from peermatch.solvers.cpsat.bound import aggregate_bound
from peermatch.solvers.cpsat.typed_bound import typed_bound
from peermatch.solvers.instance import FormationInstance, build_instance
from peermatch.solvers.search.run import lower_bound

#: A larger budget for a local hunt: PEERMATCH_BOUND_EXAMPLES=200 python -m pytest tests/solvers/test_typed_bound.py
EXAMPLES = int(os.environ.get("PEERMATCH_BOUND_EXAMPLES", "6"))


def test_all_is_the_public_api() -> None:
    assert module.__all__ == [
        "DETERMINISTIC_ROUNDS",
        "MAX_CELLS",
        "MAX_PEOPLE",
        "MAX_TYPES",
        "typed_bound",
    ]


def _planted_cost(pop: Population) -> tuple[FormationInstance, int]:
    assert pop.planted is not None
    inst = build_instance(pop.problem)
    index = {pid: i for i, pid in enumerate(inst.ids)}
    return inst, inst.cost([[index[m] for m in c.members] for c in pop.planted.cohorts])


@st.composite
def _populations(draw: st.DrawFn) -> Population:
    size, seed = draw(st.integers(30, 130)), draw(st.integers(0, 10_000))
    shape = draw(st.sampled_from([None, *SHAPES]))
    if shape is None:
        difficulty = draw(st.sampled_from(["easy", "normal", "hard"]))
        return generate_population(size, seed, planted=True, difficulty=difficulty)
    return shaped_population(shape, size, seed)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pop=_populations(), deterministic=st.booleans())
def test_the_bound_never_exceeds_the_planted_cost(pop: Population, deterministic: bool) -> None:
    inst, planted = _planted_cost(pop)
    found = typed_bound(inst, 10.0, deterministic=deterministic)
    assert found is None or found <= planted
    combined = lower_bound(inst, 0, deterministic=deterministic)
    assert combined is not None and combined <= planted


@settings(max_examples=max(2, EXAMPLES // 2), deadline=None)
@given(shape=st.sampled_from(sorted(SHAPES)), size=st.integers(40, 90), seed=st.integers(0, 999))
def test_the_bound_never_exceeds_the_cost_of_the_solution_found(
    shape: str, size: int, seed: int
) -> None:
    pop = shaped_population(shape, size, seed)
    inst = build_instance(pop.problem)
    found = typed_bound(inst, 10.0, deterministic=True)
    result = solve(pop.problem, SolveParams(time_limit=3, workers=1, seed=seed))
    assert result.objective is not None
    assert found is None or found <= result.objective
    # The run's own bound (with the typed one in it) stays below what it found too.
    assert result.best_bound is not None and result.best_bound <= result.objective


def _two_slot_classes() -> ProblemData:
    """Four bankers free on Monday only, four retailers on Tuesday only: cohorts of 3..4.

    Only two cohorts fit (8 // 3), and availability forces them to be the four bankers and
    the four retailers: 6 + 6 same-industry pairs. Blind to slots, a bound spreads each
    industry over both cohorts (2 + 2 pairs).
    """
    people = [
        make_participant(
            i,
            industry="Bank" if i < 4 else "Retail",
            function=("HR", "IT", "Law", "Ops")[i % 4],
            availability="Mon 09:00-11:00" if i < 4 else "Tue 09:00-11:00",
        )
        for i in range(8)
    ]
    config = ProgramConfig(
        cohort=CohortRules(min_size=3, max_size=4, target_size=4),
        schedule=ScheduleRules(sessions=2, cadence_weeks=1, duration_minutes=60, slot_minutes=60),
    )
    return ProblemData(participants=tuple(people), config=config)


def test_two_slot_classes_with_disjoint_people_give_a_strictly_stronger_bound() -> None:
    problem = _two_slot_classes()
    inst = build_instance(problem)
    weight = inst.attribute_weights[inst.attributes.index("industry")]
    old = max(b for b in (inst.lower_bound(), aggregate_bound(inst)) if b is not None)
    assert old == 4 * weight
    found = typed_bound(inst, deterministic=True)
    assert found == 12 * weight  # the only feasible split's cost: the bound is exact here
    result = solve(problem, SolveParams(time_limit=5, workers=1))
    assert result.objective == found
    assert lower_bound(inst, 0) == found


def test_a_model_too_large_is_not_built(monkeypatch: object) -> None:
    inst = build_instance(_two_slot_classes())
    monkeypatch.setattr(module, "MAX_PEOPLE", 7)  # type: ignore[attr-defined]
    assert typed_bound(inst) is None
    monkeypatch.setattr(module, "MAX_PEOPLE", 8)  # type: ignore[attr-defined]
    assert typed_bound(inst) is not None
    monkeypatch.setattr(cohort_types, "MAX_CELLS", 1)  # type: ignore[attr-defined]
    assert typed_bound(inst) is None
    # The run's bound then falls back on the others.
    assert lower_bound(inst, 0) == max(
        b for b in (inst.lower_bound(), aggregate_bound(inst)) if b is not None
    )


def test_the_alumni_of_earlier_cohorts_raise_the_bound_as_cliques(monkeypatch: object) -> None:
    # alumni-wave, n = 120, seed 1: eleven first-wave cohorts whose alumni may not meet again.
    inst, planted = _planted_cost(shaped_population("alumni-wave", 120, 1))
    with_cliques = typed_bound(inst, 30.0, deterministic=True)
    monkeypatch.setattr(module, "cliques", lambda inst: {})  # type: ignore[attr-defined]
    without = typed_bound(inst, 30.0, deterministic=True)
    assert with_cliques is not None and without is not None
    assert without < with_cliques <= planted


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(30, 160), seed=st.integers(0, 10_000), deterministic=st.booleans())
def test_with_together_groups_the_bound_never_exceeds_the_planted_cost(
    size: int, seed: int, deterministic: bool
) -> None:
    # Together groups and shared locks are units of the model: drawn on every example here.
    inst, planted = _planted_cost(shaped_population("locks-together", size, seed))
    assert any(len(group) > 1 for group in inst.groups)
    found = typed_bound(inst, 10.0, deterministic=deterministic)
    assert found is None or found <= planted


def test_together_groups_raise_the_bound_by_their_inside_pairs(monkeypatch: object) -> None:
    # locks-together, n = 120, seed 1: 10,000 of weighted same-value pairs inside groups.
    inst, planted = _planted_cost(shaped_population("locks-together", 120, 1))
    with_groups = typed_bound(inst, 30.0, deterministic=True)
    monkeypatch.setattr(  # type: ignore[attr-defined]
        module, "group_units", lambda inst, slots, apart, classes, cells: (classes, [])
    )
    without = typed_bound(inst, 30.0, deterministic=True)
    assert with_groups is not None and without is not None
    assert without < with_groups <= planted
