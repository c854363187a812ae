"""The adaptive choice between swap descents and neighbourhood steps."""

from __future__ import annotations

import pytest

from peermatch.params import NeighbourhoodParams
from peermatch.solvers import operators
from peermatch.solvers.operators import OperatorChoice

MIN_SHARE = NeighbourhoodParams().operator_min_share


def test_all_is_the_public_api() -> None:
    assert operators.__all__ == ["OPERATORS", "OperatorChoice"]


def _run(choice: OperatorChoice, gain_per_s: dict[str, float], calls: int) -> list[str]:
    picked = []
    for _ in range(calls):
        op = choice.pick()
        choice.record(op, gain_per_s[op], 1.0)
        picked.append(op)
    return picked


def test_each_operator_is_tried_once_first_swaps_then_steps() -> None:
    choice = OperatorChoice()
    assert choice.pick() == "swaps"
    choice.record("swaps", 5.0, 1.0)
    assert choice.pick() == "steps"


def test_the_operator_that_gains_more_per_second_gets_most_of_the_time() -> None:
    picked = _run(OperatorChoice(), {"swaps": 10.0, "steps": 1.0}, 400)
    share = picked.count("steps") / len(picked)
    # Steps keep their floor share, no more (one call of slack at the start).
    assert MIN_SHARE - 0.01 <= share <= MIN_SHARE + 0.02


def test_an_operator_that_gains_nothing_still_gets_its_share() -> None:
    picked = _run(OperatorChoice(), {"swaps": 0.0, "steps": 3.0}, 400)
    assert picked.count("swaps") / len(picked) >= MIN_SHARE - 0.01


def test_the_choice_follows_a_change_in_which_operator_pays() -> None:
    choice = OperatorChoice()
    _run(choice, {"swaps": 10.0, "steps": 1.0}, 100)
    later = _run(choice, {"swaps": 0.0, "steps": 1.0}, 100)
    # Once the descents stop gaining, their decayed rate falls below the steps' within a few calls.
    assert later[20:].count("steps") / 80 >= 1 - MIN_SHARE - 0.02


def test_ties_go_to_the_operator_that_has_had_less_time() -> None:
    choice = OperatorChoice()
    choice.record("swaps", 0.0, 3.0)
    choice.record("steps", 0.0, 1.0)
    assert choice.pick() == "steps"


def test_a_single_allowed_operator_is_always_chosen() -> None:
    choice = OperatorChoice()
    choice.record("swaps", 100.0, 1.0)
    choice.record("steps", 0.0, 1.0)
    assert choice.pick(("steps",)) == "steps"


def test_rates_count_only_decreases_and_decay() -> None:
    choice = OperatorChoice()
    choice.record("swaps", -4.0, 1.0)  # a step that raised the cost counts as no gain
    assert choice.rate("swaps") == 0.0
    choice.record("swaps", 9.0, 1.0)
    assert choice.rate("swaps") == pytest.approx(9.0 / (1 + NeighbourhoodParams().operator_decay))


def test_the_decay_and_floor_share_come_from_the_params() -> None:
    params = NeighbourhoodParams(operator_decay=0.5, operator_min_share=0.3)
    choice = OperatorChoice(decay=params.operator_decay, min_share=params.operator_min_share)
    picked = _run(choice, {"swaps": 10.0, "steps": 1.0}, 400)
    assert 0.3 - 0.01 <= picked.count("steps") / len(picked) <= 0.3 + 0.02
    choice = OperatorChoice(decay=0.5)
    choice.record("swaps", 9.0, 1.0)
    choice.record("swaps", 9.0, 1.0)
    assert choice.rate("swaps") == pytest.approx(9.0)
