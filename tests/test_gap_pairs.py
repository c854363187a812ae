"""The gap in shared value pairs (issue 25): summary.json's ``gap_pairs`` and the run line."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from peermatch.solution import PAIR_COST, Result, Status


@given(bound=st.integers(0, 10**7), extra=st.integers(0, 10**6))
def test_the_gap_in_pairs_is_the_cost_above_the_bound_over_a_pairs_cost(
    bound: int, extra: int
) -> None:
    result = Result(Status.FEASIBLE, objective=float(bound + extra), best_bound=float(bound))
    assert result.gap_pairs is not None
    assert math.isclose(result.gap_pairs, round(extra / PAIR_COST, 1))


def test_no_gap_in_pairs_without_a_bound_or_with_an_infinite_one() -> None:
    assert Result(Status.FEASIBLE, objective=5000.0).gap_pairs is None
    assert Result(Status.FEASIBLE, objective=5000.0, best_bound=float("-inf")).gap_pairs is None
