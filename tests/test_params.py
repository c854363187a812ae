"""Parameter objects: validated when built, loaded from program.toml, passed through to CP-SAT."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import peermatch
from helpers import PARTICIPANT_HEADER, participant_lines
from peermatch.cli import main
from peermatch.errors import InputError
from peermatch.io.config import read_config
from peermatch.model import ProblemData, ProgramConfig
from peermatch.params import GreedyParams, NeighbourhoodParams, ParameterError, SolveParams
from peermatch.solution import Status
from peermatch.solvers.cpsat import solve
from peermatch.solvers.cpsat.parameters import check_cpsat_parameters, cp_solver
from peermatch.solvers.greedy import greedy_cohorts
from peermatch.solvers.instance import build_instance
from peermatch.violations import violations


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda: SolveParams(time_limit=0), "time_limit must be more than 0"),
        (lambda: SolveParams(workers=-1), "workers must be at least 0"),
        (lambda: SolveParams(seed=1.5), "seed must be a whole number"),
        (lambda: NeighbourhoodParams(min_cohorts=9, max_cohorts=4), "must be at least min_cohorts"),
        (lambda: NeighbourhoodParams(step_limit=0), "step_limit must be at least"),
        (lambda: GreedyParams(part_size=1), "part_size must be at least 2"),
        (lambda: GreedyParams(level_weight=True), "level_weight must be a number"),
    ],
)
def test_out_of_range_settings_are_refused_when_built(build: object, needle: str) -> None:
    with pytest.raises(ParameterError, match=needle):
        build()  # type: ignore[operator]


def test_params_are_frozen_and_replace_validates() -> None:
    params = SolveParams(cpsat={"linearization_level": 2})
    with pytest.raises(AttributeError):
        params.seed = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        params.cpsat["linearization_level"] = 0  # type: ignore[index]
    assert params.replace(seed=3, workers=None).seed == 3  # None keeps the value
    with pytest.raises(ParameterError):
        params.replace(time_limit=-1)


def test_the_solver_tables_of_program_toml_load_into_the_params(tmp_path: Path) -> None:
    toml = tmp_path / "program.toml"
    toml.write_text(
        "[solver]\ntime_limit_seconds = 5\nseed = 4\nlns_threshold = 50\n"
        "[solver.neighbourhood]\nstep_limit = 0.5\nmax_extra = 3\n"
        "[solver.greedy]\nlevel_weight = 900\n"
        "[solver.cpsat]\nlinearization_level = 2\n",
        encoding="utf-8",
    )
    params = read_config(toml).solver.params().replace(workers=2)
    assert (params.time_limit, params.seed, params.workers, params.lns_threshold) == (5, 4, 2, 50)
    assert params.neighbourhood == NeighbourhoodParams(step_limit=0.5, max_extra=3)
    assert params.greedy == GreedyParams(level_weight=900)
    assert dict(params.cpsat) == {"linearization_level": 2}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[solver.greedy]\nlevel_wieght = 3\n", "program.toml:1:solver.greedy.level_wieght"),
        (
            "[solver.neighbourhood]\nmin_cohorts = 9\nmax_cohorts = 4\n",
            "max_cohorts (4) must be at least min_cohorts (9)",
        ),
    ],
)
def test_bad_solver_tables_are_input_errors_naming_the_key(
    tmp_path: Path, text: str, needle: str
) -> None:
    toml = tmp_path / "program.toml"
    toml.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_config(toml)
    assert needle in str(caught.value)


def test_cpsat_parameters_are_checked_by_name_and_type() -> None:
    assert check_cpsat_parameters({"search_branching": "FIXED_SEARCH"}) == (
        "search_branching: FIXED_SEARCH\n"
    )
    with pytest.raises(ParameterError, match="unknown CP-SAT parameter 'linearisation_level'"):
        check_cpsat_parameters({"linearisation_level": 2})
    with pytest.raises(ParameterError, match="num_workers"):
        check_cpsat_parameters({"num_workers": "many"})


def test_cpsat_parameters_are_applied_last() -> None:
    solver = cp_solver(2.0, 0, 1, True, cpsat={"linearization_level": 2, "random_seed": 9})
    assert solver.parameters.linearization_level == 2
    assert solver.parameters.random_seed == 9  # the pass-through one wins
    assert solver.parameters.max_deterministic_time == 2.0


def _people(n: int) -> ProblemData:
    from peermatch.model import Participant

    return ProblemData(
        participants=tuple(
            Participant(
                id=f"p{i:02d}",
                name="P",
                email="p@x.org",
                organisation=f"Org {i}",
                level=1 + i % 2,
                industry=("A", "B", "C")[i % 3],
            )
            for i in range(n)
        )
    )


def test_solve_takes_a_params_object_and_no_legacy_keywords() -> None:
    problem = _people(16)
    params = SolveParams(time_limit=2.0, seed=0, workers=1, cpsat={"linearization_level": 2})
    by_params = solve(problem, params)
    by_keywords = solve(problem, SolveParams(time_limit=2.0, seed=0, workers=1))
    assert by_params.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert by_params.solution is not None and not list(violations(problem, by_params.solution))
    assert by_params.objective == by_keywords.objective
    with pytest.raises(ParameterError):
        solve(problem, params.replace(cpsat={"no_such_parameter": 1}))
    # One parameter path: the settings go in the params object, not in keywords.
    with pytest.raises(TypeError):
        solve(problem, time_limit=2.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        peermatch.solve(problem, seed=1)  # type: ignore[call-arg]


def test_config_solver_table_is_the_default_params() -> None:
    config = ProgramConfig(solver={"time_limit_seconds": 1.0, "seed": 6, "workers": 1})
    result = solve(_people(16).replace(config=config))
    assert (result.seed, result.workers) == (6, 1)


def test_greedy_params_reach_the_greedy_start() -> None:
    inst = build_instance(_people(40))
    default = greedy_cohorts(inst, 0)
    assert greedy_cohorts(inst, 0, params=GreedyParams()) == default
    # Built in parts of at most 20 people, no cohort mixes the two interleaved halves.
    parts = greedy_cohorts(inst, 0, params=GreedyParams(part_size=20))
    order = sorted(range(inst.n), key=lambda i: (inst.levels[i], inst.tz_of[i], inst.org_of[i], i))
    half = {i: r % 2 for r, i in enumerate(order)}
    assert parts.cohorts and all(len({half[i] for i in c}) == 1 for c in parts.cohorts)


def test_a_bad_cpsat_parameter_in_program_toml_exits_1(tmp_path: Path) -> None:
    people = tmp_path / "p.csv"
    people.write_text("\n".join([PARTICIPANT_HEADER, *participant_lines(8)]) + "\n")
    toml = tmp_path / "program.toml"
    toml.write_text("[solver.cpsat]\nlinearisation_level = 2\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", str(people), "--config", str(toml), "--out", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert "unknown CP-SAT parameter 'linearisation_level'" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_the_solver_table_defaults_are_the_params_defaults() -> None:
    table, params = ProgramConfig().solver, SolveParams()
    assert table.params() == params.replace(workers=0)
    assert (table.time_limit_seconds, table.seed, table.lns_threshold) == (
        params.time_limit,
        params.seed,
        params.lns_threshold,
    )
    assert (table.neighbourhood, table.greedy, dict(table.cpsat)) == (
        params.neighbourhood,
        params.greedy,
        dict(params.cpsat),
    )


def test_every_neighbourhood_setting_loads_from_program_toml(tmp_path: Path) -> None:
    toml = tmp_path / "program.toml"
    toml.write_text(
        "[solver.neighbourhood]\nfacilitator_pool = 5\nexcess_pool = 9\n"
        "operator_decay = 0.5\noperator_min_share = 0.2\n",
        encoding="utf-8",
    )
    loaded = read_config(toml).solver.params().neighbourhood
    assert loaded == NeighbourhoodParams(
        facilitator_pool=5, excess_pool=9, operator_decay=0.5, operator_min_share=0.2
    )
    with pytest.raises(ParameterError, match="operator_decay must be below 1"):
        NeighbourhoodParams(operator_decay=1.0)
