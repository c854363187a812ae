"""Wall-clock steps keep to their limit: the model build and the hint come out of it.

Regression (issue 28): at n = 1,000 with every placement rule, a 60 s run took
120-330 s of wall clock. The placement-first fallback built the whole-program
model (two minutes under load) and completed its hint (21 s) before CP-SAT's own
limit started counting. The clock is faked here: no test depends on how fast
this machine is.
"""

from __future__ import annotations

from typing import Any

import pytest

from peermatch.generate import generate_population
from peermatch.params import SolveParams
from peermatch.solvers.cpsat import step as step_module
from peermatch.solvers.cpsat.model import FormationModel
from peermatch.solvers.greedy import greedy_cohorts
from peermatch.solvers.grouping import Grouping
from peermatch.solvers.instance import build_instance
from peermatch.solvers.search import lns


class _Clock:
    """``time.monotonic`` that moves ``tick`` seconds at every reading."""

    def __init__(self, tick: float):
        self.now, self.tick = 0.0, tick

    def monotonic(self) -> float:
        self.now += self.tick
        return self.now


def _step(deterministic: bool) -> tuple[Any, step_module.Step]:
    inst = build_instance(generate_population(40, 1, planted=True).problem)
    start = greedy_cohorts(inst, 0)
    cohorts = [list(c) for c in start.cohorts]
    step = step_module.make_step(
        inst, cohorts, None, [0, 1], seed=0, limit=10.0, deterministic=deterministic,
        may_leave=False,
    )  # fmt: skip
    return inst, step


def _record(monkeypatch: pytest.MonkeyPatch, clock: _Clock) -> dict[str, list[Any]]:
    seen: dict[str, list[Any]] = {"solver": [], "hint": []}
    real_solver, real_hint = step_module.cp_solver, FormationModel.complete_hint

    def solver(limit: float, *args: Any, **kw: Any) -> Any:
        seen["solver"].append(limit)
        return real_solver(limit, *args, **kw)

    def hint(self: FormationModel, seed: int = 0, time_limit: float | None = None) -> bool:
        seen["hint"].append(time_limit)
        return real_hint(self, seed, time_limit)

    monkeypatch.setattr(step_module, "time", clock)
    monkeypatch.setattr(step_module, "cp_solver", solver)
    monkeypatch.setattr(FormationModel, "complete_hint", hint)
    return seen


def test_a_wall_clock_step_deducts_the_build_and_the_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    inst, step = _step(deterministic=False)
    seen = _record(monkeypatch, _Clock(tick=3.0))
    step_module.solve_step(inst, step)
    # Readings at 3 (start), 6 (model built: 7 s left for the hint) and 9 (3 s left for CP-SAT).
    assert seen["hint"] == [7.0]
    assert seen["solver"] == [4.0]


def test_a_wall_clock_step_whose_build_took_its_limit_solves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inst, step = _step(deterministic=False)
    seen = _record(monkeypatch, _Clock(tick=11.0))
    result = step_module.solve_step(inst, step)
    assert not result.found
    assert seen["solver"] == [] and seen["hint"] == []


def test_a_deterministic_step_keeps_its_whole_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Deterministic time must not depend on the machine: nothing is deducted.
    inst, step = _step(deterministic=True)
    seen = _record(monkeypatch, _Clock(tick=3.0))
    step_module.solve_step(inst, step)
    assert seen["hint"] == [None]
    assert seen["solver"] == [10.0]


def test_the_whole_model_is_tried_only_when_its_build_fits_the_time_left() -> None:
    inst = build_instance(generate_population(300, 1, planted=True).problem)
    params = SolveParams(time_limit=60.0, seed=0, workers=1, deterministic=False)
    walk = lns.Walk(
        inst, Grouping.of(greedy_cohorts(inst, 0).cohorts, None, [0]), params.neighbourhood
    )
    walk.placing = params.neighbourhood.placement_steps
    build = lns.whole_build_time(inst)
    assert build > 0
    assert walk.whole_due(None)  # deterministic: no wall clock to keep to
    assert walk.whole_due(4 * build)
    assert not walk.whole_due(4 * build - 0.01)
    # n = 1,000: the build alone (about a minute) exceeds a quarter of any 60 s run.
    big = build_instance(generate_population(1000, 1, planted=True).problem)
    assert lns.whole_build_time(big) > 60.0 / 4


def test_improve_hands_the_time_left_to_the_whole_model_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inst = build_instance(generate_population(150, 2, planted=True).problem)
    start = greedy_cohorts(inst, 0)
    lefts: list[float | None] = []

    def due(self: lns.Walk, left: float | None = None, late: bool = False) -> bool:
        lefts.append(left)
        raise KeyboardInterrupt  # one look is enough

    monkeypatch.setattr(lns.Walk, "whole_due", due)
    # A cohort dissolved: its members are left out, so the search works on placing them.
    grouping = Grouping.of(start.cohorts[1:], None, [*start.unplaced, *start.cohorts[0]])
    for deterministic in (False, True):
        params = SolveParams(time_limit=30.0, seed=0, workers=1, deterministic=deterministic)
        search = lns.Search(params, 1, 30.0, lns.time.monotonic())
        with pytest.raises(KeyboardInterrupt):
            lns.improve(inst, grouping, search)
    assert lefts[1] is None
    assert lefts[0] is not None and 0 < lefts[0] <= 30.0


def test_the_greedy_start_tries_further_seeds_only_while_the_search_keeps_most_of_the_time() -> (
    None
):
    # Regression (issue 28): at n = 1,000 with every placement rule the greedy start tried
    # three seeds of 10 s each, all leaving 12 people out, and half of a 60 s run was gone.
    from dataclasses import replace

    from peermatch.deadline import Deadline
    from peermatch.solvers.cpsat import solving
    from peermatch.solvers.search.run import Run

    problem = generate_population(40, 1, planted=True).problem
    inst = build_instance(problem)
    params = SolveParams(time_limit=100.0, seed=0, workers=1, deterministic=False)
    clock = Deadline(limit=100.0)
    run = Run(problem, params, 1, clock.start, None, None, clock)
    margin = solving._attempts_margin(run, inst, 5.0)
    # No clock reading is asserted exactly: the run began a moment ago, with 100 s left.
    share = params.greedy.attempts_share
    assert 5.0 + share * 90.0 <= margin <= 5.0 + share * 100.0
    assert solving._attempts_margin(replace(run, clock=None), inst, 5.0) == 5.0
    small_parts = params.replace(greedy=replace(params.greedy, part_size=10))
    assert solving._attempts_margin(replace(run, params=small_parts), inst, 5.0) == 5.0


def test_the_whole_model_is_tried_once_late_while_steps_still_place_people() -> None:
    # Regression (issue 25): placing steps that each placed one more person never
    # stalled, so the whole-program fallback was never tried before the run said exit 4.
    inst = build_instance(generate_population(300, 1, planted=True).problem)
    params = SolveParams(time_limit=60.0, seed=0, workers=1, deterministic=True)
    start = Grouping.of(greedy_cohorts(inst, 0).cohorts, None, [0])
    walk = lns.Walk(inst, start, params.neighbourhood)
    assert walk.placing == 0
    assert not walk.whole_due(None)
    assert walk.whole_due(None, late=True)
    walk.whole_tried = walk.defects() + 1  # tried once already, at another defect count
    assert not walk.whole_due(None, late=True)


def test_the_whole_model_gets_its_last_chance_before_it_no_longer_fits() -> None:
    inst = build_instance(generate_population(300, 1, planted=True).problem)
    params = SolveParams(time_limit=60.0, seed=0, workers=1, deterministic=False)
    start = Grouping.of(greedy_cohorts(inst, 0).cohorts, None, [0])
    walk = lns.Walk(inst, start, params.neighbourhood)
    build = lns.whole_build_time(inst)
    # Steps are still placing people (walk.placing == 0): the whole model waits while it
    # will still fit after the next step, and is tried at the last step it fits.
    assert not walk.whole_due(4 * build + 4 * walk.step_limit + 1)
    assert walk.whole_due(4 * build + 0.5 * walk.step_limit)
    assert not walk.whole_due(4 * build - 0.01)
