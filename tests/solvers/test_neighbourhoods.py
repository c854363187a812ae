"""The neighbourhood choosers: over-full values and the neighbourhoods built around them."""

from __future__ import annotations

import random
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from peermatch.params import NeighbourhoodParams
from peermatch.solvers import neighbourhoods
from peermatch.solvers.instance import balanced_pairs
from peermatch.solvers.neighbourhoods import around_excess, over_full


def test_all_is_the_public_api() -> None:
    assert neighbourhoods.__all__ == [
        "around_cohort",
        "around_excess",
        "around_leaderless",
        "around_option",
        "around_person",
        "around_room",
        "mean_level",
        "over_full",
    ]


def _instance(values: list[list[int | None]], weights: list[int], levels: list[int] | None = None):  # type: ignore[no-untyped-def]
    """What the choosers read of an instance (a stand-in: they are pure bookkeeping)."""
    n = len(values[0])
    counts = []
    for vals in values:
        top = max((v for v in vals if v is not None), default=-1)
        counts.append(tuple(sum(v == k for v in vals) for k in range(top + 1)))
    return SimpleNamespace(
        attribute_weights=tuple(weights), value_of=tuple(tuple(v) for v in values),
        value_counts=tuple(counts), levels=levels or [1] * n, max_level_gap=1,
        options_of=[[0]] * n,
    )  # fmt: skip


def _pairs(values: list[int | None], cohorts: list[list[int]]) -> int:
    total = 0
    for c in cohorts:
        held = [values[i] for i in c if values[i] is not None]
        total += sum(held.count(v) * (held.count(v) - 1) // 2 for v in set(held))
    return total


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(2, 6),
    size=st.integers(2, 5),
    values=st.data(),
)
def test_no_over_full_value_exactly_when_every_value_is_spread_as_the_bound_assumes(
    k: int, size: int, values: st.DataObject
) -> None:
    n = k * size
    vals = values.draw(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=n, max_size=n))
    order = values.draw(st.permutations(range(n)))
    cohorts = [list(order[j * size : (j + 1) * size]) for j in range(k)]
    inst = _instance([vals], [1000])
    balanced = sum(balanced_pairs(c, k) for c in inst.value_counts[0])
    assert (over_full(inst, cohorts) == []) == (_pairs(vals, cohorts) == balanced)  # type: ignore[arg-type]


def test_over_full_names_the_cohorts_holding_two_more_than_the_fewest() -> None:
    # Value 0: cohort 0 holds 3, cohorts 1 and 2 hold 1 and 0; value 1: cohort 1 holds 2,
    # cohort 0 none; value 2: cohort 2 holds 2, the others none.
    vals: list[int | None] = [0, 0, 0, 1, 0, 1, 2, 2, 1]
    cohorts = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    inst = _instance([vals, vals], [1000, 0])  # the unweighted copy never counts
    assert over_full(inst, cohorts) == [(0, 0, 0), (1, 0, 1), (2, 0, 2)]  # type: ignore[arg-type]


def test_around_excess_frees_the_pivot_and_cohorts_short_of_its_value() -> None:
    # Cohort 0 holds value 0 three times; cohorts 2 and 4 hold none, 1 and 3 hold two.
    vals: list[int | None] = [0, 0, 0, 1, 0, 0, 2, 3, 4, 0, 0, 5, 6, 7, 8]
    cohorts = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13, 14]]
    levels = [1] * 15
    for i in (12, 13, 14):
        levels[i] = 4  # cohort 4 is out of the holders' reach in seniority
    inst = _instance([vals], [1000], levels)
    excess = over_full(inst, cohorts)  # type: ignore[arg-type]
    assert (0, 0, 0) in excess
    for seed in range(10):
        chosen = around_excess(inst, cohorts, [(0, 0, 0)], random.Random(seed), 2)  # type: ignore[arg-type]
        assert chosen == [0, 2]  # the reachable cohort short of the value comes first
        wide = around_excess(inst, cohorts, [(0, 0, 0)], random.Random(seed), 3)  # type: ignore[arg-type]
        assert wide == [0, 2, 4]
        limited = around_excess(
            inst, cohorts, [(0, 0, 0)], random.Random(seed), 3, allowed={0, 1, 3}
        )  # type: ignore[arg-type]
        assert 2 not in limited and 4 not in limited and len(limited) == 3 and 0 in limited


def test_around_excess_ranks_a_sample_when_many_cohorts_are_short() -> None:
    # 200 cohorts of 3; cohort 0 holds value 0 three times, no other cohort holds it.
    k = 200
    vals: list[int | None] = [0, 0, 0] + [1 + i for i in range(3 * (k - 1))]
    cohorts = [[3 * j, 3 * j + 1, 3 * j + 2] for j in range(k)]
    inst = _instance([vals], [1000])
    assert len(list(range(1, k))) > NeighbourhoodParams().excess_pool
    for seed in range(5):
        chosen = around_excess(inst, cohorts, [(0, 0, 0)], random.Random(seed), 6)  # type: ignore[arg-type]
        assert len(chosen) == 6 and chosen[0] == 0 and len(set(chosen)) == 6
