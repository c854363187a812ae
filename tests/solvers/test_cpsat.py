"""``solve()``: sound, consistent figures on feasible problems; named reasons on infeasible ones.

Every solution is judged by the independent checker (``violations``), its
objective recomputed by ``metrics.diversity_cost`` and the instance's own
cost, and its bound compared with the cost of a *known* feasible
assignment (the planted one): a bound above it would mean the model cuts
off feasible solutions. Time limits are short deterministic ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import peermatch.solvers.cpsat.solving as solving
from helpers import make_participant
from peermatch.availability import parse_availability
from peermatch.cli import main
from peermatch.generate import generate_population, write_population
from peermatch.metrics import diversity_cost
from peermatch.model import (
    CohortRules,
    Facilitator,
    HistoryLink,
    Participant,
    ProblemData,
    ProgramConfig,
)
from peermatch.params import SolveParams
from peermatch.rules import Rule, format_diagnoses
from peermatch.solution import Result, Solution, Status
from peermatch.solvers.cpsat import diagnose, solve
from peermatch.solvers.instance import build_instance
from peermatch.violations import violations
from strategies import planted_problems

SOLVED = (Status.OPTIMAL, Status.FEASIBLE)


def _positions(problem: ProblemData, solution: Solution) -> list[list[int]]:
    return [[problem.index[m] for m in c.members] for c in solution.cohorts]


def check_result(problem: ProblemData, result: Result, planted: Solution | None = None) -> None:
    """Everything a sound result promises, recomputed independently."""
    assert result.status in SOLVED, (result.status, result.diagnosis)
    assert result.solution is not None
    assert [str(v) for v in violations(problem, result.solution)] == []
    inst = build_instance(problem)
    cost = inst.cost(_positions(problem, result.solution), len(result.solution.unassigned))
    assert result.objective == cost
    if not result.solution.unassigned:
        assert result.objective == diversity_cost(problem, result.solution)
    if result.solution.unassigned and result.best_bound is None:
        # Leaving people out, a bound is optional (the Result documents gap None then).
        assert result.gap is None
        return
    assert result.best_bound is not None and result.gap is not None
    assert result.best_bound <= result.objective
    assert 0.0 <= result.gap <= 1.0
    if result.status == Status.OPTIMAL:
        assert result.gap == 0.0
    if planted is not None:
        planted_cost = inst.cost(_positions(problem, planted))
        # A proven lower bound holds for every feasible assignment, the planted one included.
        assert result.best_bound <= planted_cost
        if result.status == Status.OPTIMAL:
            assert result.objective <= planted_cost


# --- (a) property tests on planted populations ---------------------------------------


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(24, 80), seed=st.integers(0, 10_000))
def test_generated_planted_populations_are_solved_soundly(size: int, seed: int) -> None:
    population = generate_population(size, seed, planted=True)
    assert population.planted is not None
    result = solve(population.problem, SolveParams(time_limit=1.5, seed=0, workers=1))
    check_result(population.problem, result, population.planted)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_problems())
def test_planted_problems_are_solved_soundly(case: tuple[ProblemData, Solution]) -> None:
    problem, planted = case
    assert list(violations(problem, planted)) == []  # the strategy's own promise
    result = solve(problem, SolveParams(time_limit=1.0, seed=0, workers=1))
    check_result(problem, result, planted)


# --- (b) infeasible populations name the rule -------------------------------------------


def _p(i: int, **kw: object) -> Participant:
    return make_participant(i, **{"organisation": f"Org {i}", **kw})


def _infeasible(problem: ProblemData) -> str:
    result = solve(problem, SolveParams(time_limit=2.0, seed=0, workers=1))
    assert result.status == Status.INFEASIBLE
    assert result.solution is None and result.diagnosis
    return format_diagnoses(result.diagnosis)


def test_too_few_people() -> None:
    text = _infeasible(ProblemData(participants=tuple(_p(i) for i in range(5))))
    assert "min_size" in text


def test_one_oversized_organisation() -> None:
    crowd = (*(_p(i) for i in range(12)), *(_p(i, organisation="Acme") for i in range(12, 15)))
    text = _infeasible(ProblemData(participants=crowd))
    assert "max_per_organisation" in text and "Acme" in text


def test_level_islands() -> None:
    crowd = (*(_p(i) for i in range(10)), *(_p(i, level=5) for i in range(10, 13)))
    text = _infeasible(ProblemData(participants=crowd))
    assert "max_level_gap" in text and "p10" in text


def test_no_common_slot() -> None:
    crowd = (*(_p(i) for i in range(8)), _p(8, timezone="Australia/Sydney"))
    text = _infeasible(ProblemData(participants=crowd))
    assert "availability" in text and "p08" in text


def test_too_few_facilitators() -> None:
    hosts = tuple(Facilitator(id=f"f{j}", name="F", email="f@x.org") for j in range(2))
    text = _infeasible(
        ProblemData(participants=tuple(_p(i) for i in range(30)), facilitators=hosts)
    )
    assert "facilitators" in text and "f0" in text


# --- (f) the CP-SAT diagnosis, when no quick check sees the conflict ----------------------


def test_diagnosis_names_people_of_a_history_triangle() -> None:
    # 14 people make exactly two cohorts of 7; three who all share history need three.
    links = (
        HistoryLink(a="p00", b="p01"),
        HistoryLink(a="p01", b="p02"),
        HistoryLink(a="p00", b="p02"),
    )
    problem = ProblemData(participants=tuple(_p(i) for i in range(14)), history=links)
    text = _infeasible(problem)
    assert "cannot all hold together" in text
    assert "linked people apart" in text
    assert all(pair in text for pair in ("p00-p01", "p01-p02", "p00-p02"))


def test_diagnosis_names_the_organisation() -> None:
    # Acme's two members must split over the two cohorts; p13 shares history with
    # both, so p13 fits in neither.
    crowd = (
        _p(0, organisation="Acme"),
        _p(1, organisation="Acme"),
        *(_p(i) for i in range(2, 14)),
    )
    links = (HistoryLink(a="p00", b="p13"), HistoryLink(a="p01", b="p13"))
    problem = ProblemData(participants=crowd, history=links)
    text = _infeasible(problem)
    assert "Acme" in text
    assert "p00-p13" in text and "p01-p13" in text
    # diagnose() on its own says the same, as typed diagnoses naming the rule and people.
    inst = build_instance(problem)
    found = diagnose(inst, 5.0)
    assert format_diagnoses(found) == text
    linked = [d for d in found if d.rule == Rule.NEUTRALITY]
    assert linked and {"p00", "p01", "p13"} <= set(linked[0].people)
    assert all(d.jointly for d in found)


# --- (c) allow_unassigned --------------------------------------------------------------


def test_allow_unassigned_places_as_many_as_possible() -> None:
    # Two cohorts can hold two of Acme's three, and nobody can join the night owl.
    crowd = (
        *(_p(i) for i in range(12)),
        *(_p(i, organisation="Acme") for i in range(12, 15)),
        _p(15, availability=parse_availability("Sun 22:00-23:30")),
    )
    problem = ProblemData(participants=crowd)
    assert (
        solve(problem, SolveParams(time_limit=2.0, seed=0, workers=1)).status == Status.INFEASIBLE
    )
    result = solve(problem, SolveParams(time_limit=3.0, seed=0, workers=1, allow_unassigned=True))
    check_result(problem, result)
    assert result.solution is not None
    left = {u.participant_id: u.reason for u in result.solution.unassigned}
    assert len(left) == 2
    assert "p15" in left and len(set(left) & {"p12", "p13", "p14"}) == 1
    assert all(reason.strip() for reason in left.values())
    assert sum(len(c.members) for c in result.solution.cohorts) == 14


# --- (d) determinism ---------------------------------------------------------------------


def test_same_input_seed_and_workers_give_the_same_solution() -> None:
    problem = generate_population(56, 11, planted=True).problem
    first = solve(problem, SolveParams(time_limit=1.5, seed=7, workers=1))
    second = solve(problem, SolveParams(time_limit=1.5, seed=7, workers=1))
    assert first.solution is not None
    assert first.solution == second.solution
    assert first.objective == second.objective


def test_cli_runs_are_byte_identical(tmp_path: Path) -> None:
    population = generate_population(40, 3, planted=True)
    files = {p.name: p for p in write_population(population, tmp_path / "in")}
    runner = CliRunner()
    outputs = []
    for run in ("one", "two"):
        out = tmp_path / run
        # Outputs compared byte for byte: deterministic mode (a wall-clock run depends on the load).
        args = ["run", str(files["participants.csv"]), "--out", str(out), "--time-limit", "1.5",
                "--seed", "3", "--workers", "1", "--quiet", "--deterministic"]  # fmt: skip
        for option in ("history", "facilitators"):
            if f"{option}.csv" in files:
                args += [f"--{option}", str(files[f"{option}.csv"])]
        if "program.toml" in files:
            args += ["--config", str(files["program.toml"])]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        outputs.append(out)
    for name in ("cohorts.csv", "sessions.csv", "unassigned.csv"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name


# --- (e) large-neighbourhood search ------------------------------------------------------


def test_lns_path_gives_sound_solutions_with_facilitators() -> None:
    population = generate_population(64, 21, planted=True)
    problem = population.problem
    assert problem.facilitators
    events = []
    params = SolveParams(time_limit=3.0, seed=1, workers=1, lns_threshold=20)
    result = solve(problem, params, progress=events.append)
    assert result.stats.lns is not None and result.stats.lns.iterations  # the LNS path ran
    check_result(problem, result, population.planted)
    assert result.solution is not None
    assert all(c.facilitator_id for c in result.solution.cohorts)
    # Phase events (slot table, checking...) come first; the first cost reported is the greedy start's.
    costed = [e for e in events if e.objective is not None]
    assert costed and costed[0].message == "greedy start"


def test_lns_with_allow_unassigned() -> None:
    crowd = (
        *(_p(i, level=2 + i % 2) for i in range(28)),
        *(_p(i, organisation="Acme") for i in range(28, 33)),
    )
    problem = ProblemData(participants=crowd)
    params = SolveParams(time_limit=2.0, workers=1, allow_unassigned=True, lns_threshold=20)
    result = solve(problem, params)
    check_result(problem, result)
    assert result.solution is not None
    assert result.stats.lns is not None
    left = [u.participant_id for u in result.solution.unassigned]
    # 33 people make at most 4 cohorts: one of Acme's five must stay out.
    assert len(left) == 1 and left[0] in {f"p{i}" for i in range(28, 33)}


def test_config_defaults_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = ProblemData(
        participants=tuple(_p(i) for i in range(16)),
        config=ProgramConfig(
            cohort=CohortRules(), solver={"time_limit_seconds": 1.0, "seed": 5, "workers": 1}
        ),
    )
    result = solve(problem)
    assert (result.seed, result.workers) == (5, 1)
    check_result(problem, result)


def test_workers_default_to_the_cores_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # Neither the caller nor [solver] workers sets it: one per core, capped at 8.
    assert ProgramConfig(cohort=CohortRules()).solver.workers is None
    for cores, expected in ((1, 1), (2, 2), (64, 8), (None, 1)):
        monkeypatch.setattr(solving.os, "cpu_count", lambda cores=cores: cores)
        assert solving._workers(None) == expected
        assert solving._workers(0) == expected
    assert solving._workers(3) == 3


def test_the_example_config_pins_one_worker() -> None:
    # The README's example must reproduce on any machine, whatever its cores.
    from peermatch.io.config import read_config

    example = Path(__file__).parents[2] / "data" / "examples" / "program.toml"
    assert read_config(example).solver.workers == 1


def test_regression_a_program_without_facilitators_is_solved() -> None:
    # Regression: the model reports "no facilitator" (None) for every cohort of a
    # program that has no facilitators at all, and solve() took that for cohorts
    # nobody can lead: status unknown (or, leaving people out, everyone left out).
    problem = ProblemData(participants=tuple(_p(i) for i in range(16)))
    result = solve(problem, SolveParams(time_limit=1.0, seed=0, workers=1))
    check_result(problem, result)
    assert result.solution is not None
    assert [len(c.members) for c in result.solution.cohorts] == [8, 8]
    assert all(c.facilitator_id is None for c in result.solution.cohorts)
    loose = solve(problem, SolveParams(time_limit=1.0, seed=0, workers=1, allow_unassigned=True))
    assert loose.solution is not None and loose.solution.unassigned == ()


def test_regression_deterministic_budget_ignores_set_up_wall_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Regression: the CP-SAT budget was time_limit minus the *wall-clock* seconds spent
    # on the slot table and greedy start, so on a loaded machine the same input and
    # seed got less deterministic time (different cohorts, or none: status unknown).
    budgets: list[float] = []
    real_params, real_greedy, real_time = solving.cp_solver, solving.greedy_cohorts, solving.time
    delay = [0.0]

    class LoadedClock:
        @staticmethod
        def monotonic() -> float:
            return real_time.monotonic() + delay[0]

    def spy(time_limit: float, *args: object, **kw: object) -> object:
        budgets.append(time_limit)
        return real_params(time_limit, *args, **kw)  # type: ignore[arg-type]

    def slow_greedy(*args: object, **kw: object) -> object:
        delay[0] += 30.0  # the set-up took 30 s of wall clock on a busy machine
        return real_greedy(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(solving, "cp_solver", spy)
    monkeypatch.setattr(solving, "greedy_cohorts", slow_greedy)
    monkeypatch.setattr(solving, "time", LoadedClock)
    problem = ProblemData(participants=tuple(_p(i, level=1 + i % 2) for i in range(16)))
    solve(problem, SolveParams(time_limit=2.0, seed=0, workers=1))
    assert budgets[0] == 2.0
