"""The lower bounds never exceed the cost of a known feasible assignment (the planted one)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peermatch.generate import generate_population
from peermatch.slots import slot_table
from peermatch.solvers.cpsat import bound
from peermatch.solvers.cpsat.bound import aggregate_bound
from peermatch.solvers.instance import build_instance

#: A larger budget for a local hunt: PEERMATCH_BOUND_EXAMPLES=200 python -m pytest tests/solvers/test_bound.py
EXAMPLES = int(os.environ.get("PEERMATCH_BOUND_EXAMPLES", "6"))


def test_all_is_the_public_api() -> None:
    assert bound.__all__ == ["aggregate_bound"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(14, 90),
    seed=st.integers(0, 10_000),
    difficulty=st.sampled_from(["easy", "normal", "hard"]),
)
def test_bounds_never_exceed_the_planted_cost(size: int, seed: int, difficulty: str) -> None:
    pop = generate_population(size, seed, planted=True, difficulty=difficulty)
    assert pop.planted is not None
    inst = build_instance(pop.problem, slot_table(pop.problem))
    index = {pid: i for i, pid in enumerate(inst.ids)}
    planted = inst.cost([[index[m] for m in c.members] for c in pop.planted.cohorts])
    spread = inst.lower_bound()
    assert spread is not None and spread <= planted
    relaxed = aggregate_bound(inst, time_limit=1.0)
    assert relaxed is not None and relaxed <= planted
