"""The one config writer: ``read(program_toml(config)) == config`` for every table."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peermatch.io.config import program_toml, read_config
from peermatch.model import (
    CalendarSettings,
    CohortRules,
    ProgramConfig,
    ProgramInfo,
    ScheduleRules,
    SolverSettings,
)
from peermatch.params import GreedyParams, NeighbourhoodParams
from strategies import availability_texts, schedule_rules


def _read_text(tmp: Path, text: str) -> ProgramConfig:
    path = tmp / "program.toml"
    path.write_text(text, encoding="utf-8")
    return read_config(path)


@st.composite
def neighbourhood_params(draw: st.DrawFn) -> NeighbourhoodParams:
    low = draw(st.integers(1, 20))
    return NeighbourhoodParams(
        step_overhead=draw(st.floats(0, 5)),
        step_limit=draw(st.floats(0.01, 10)),
        min_cohorts=low,
        max_cohorts=draw(st.integers(low, 40)),
        stale_steps=draw(st.integers(1, 50)),
        max_extra=draw(st.integers(1, 20)),
    )


@st.composite
def greedy_params(draw: st.DrawFn) -> GreedyParams:
    return GreedyParams(
        part_size=draw(st.integers(2, 5000)),
        parts_threshold=draw(st.integers(0, 100_000)),
        parts_share=draw(st.floats(0.01, 1.0, allow_nan=False)),
        dynamic_order_limit=draw(st.integers(0, 2000)),
        level_weight=draw(st.integers(0, 5000)),
        fill_bonus=draw(st.integers(0, 5000)),
        reach_weight=draw(st.integers(0, 500)),
        org_slack=draw(st.integers(1, 4)),
    )


@st.composite
def solver_settings(draw: st.DrawFn) -> SolverSettings:
    cpsat = draw(
        st.dictionaries(
            st.sampled_from(["linearization_level", "max_presolve_iterations", "use_lns_only"]),
            st.integers(0, 3) | st.booleans(),
            max_size=2,
        )
    )
    return SolverSettings(
        time_limit_seconds=draw(st.floats(0.1, 1e6)),
        seed=draw(st.integers(0, 2**31 - 1)),
        workers=draw(st.none() | st.integers(0, 64)),
        lns_threshold=draw(st.integers(0, 10_000)),
        neighbourhood=draw(st.just(NeighbourhoodParams()) | neighbourhood_params()),
        greedy=draw(st.just(GreedyParams()) | greedy_params()),
        cpsat=cpsat,
    )


@st.composite
def cohort_rules(draw: st.DrawFn) -> CohortRules:
    low = draw(st.integers(2, 10))
    high = draw(st.integers(low, 14))
    levels = st.lists(
        st.sampled_from(["Lead", "Manager", "Director", "VP"]), min_size=1, unique=True
    )
    return CohortRules(
        min_size=low,
        max_size=high,
        target_size=draw(st.integers(low, high)),
        max_per_organisation=draw(st.integers(1, 3)),
        max_level_gap=draw(st.integers(0, 4)),
        levels=draw(st.none() | levels.map(tuple)),
    )


@st.composite
def schedules(draw: st.DrawFn) -> ScheduleRules:
    base = draw(schedule_rules(slot_minutes=draw(st.sampled_from([5, 15, 30, 60, 240]))))
    start = base.start_date
    spans = st.tuples(st.integers(0, 60), st.integers(0, 20)).map(
        lambda ab: f"{start + timedelta(days=ab[0])}..{start + timedelta(days=ab[0] + ab[1])}"
    )
    return ScheduleRules.model_validate(
        {
            **dict(base),
            "blackout_dates": (*base.blackout_dates, *draw(st.lists(spans, max_size=2))),
            "default_availability": draw(availability_texts()),
            "topics": tuple(
                draw(st.lists(st.text(min_size=1, max_size=6), max_size=base.sessions))
            ),
        }
    )


@st.composite
def configs(draw: st.DrawFn) -> ProgramConfig:
    """Valid configs with every table, sub-tables set now and then, and diversity unset now and then."""
    weights = st.floats(0, 10) | st.integers(0, 5)
    names = st.sampled_from(["industry", "function", "language", "Level Of Seniority"])
    return ProgramConfig(
        program=ProgramInfo(
            name=draw(st.text(max_size=20)),
            id=draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,8}", fullmatch=True)),
        ),
        cohort=draw(cohort_rules()),
        diversity=draw(st.none() | st.dictionaries(names, weights, max_size=3)),
        similarity=tuple(
            draw(st.lists(st.sampled_from(["language", "team"]), max_size=2, unique=True))
        ),
        schedule=draw(schedules()),
        solver=draw(solver_settings()),
        calendar=CalendarSettings(mode=draw(st.sampled_from(["series", "expanded"]))),
    )


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs())
def test_what_is_written_reads_back_equal(config: ProgramConfig) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        assert _read_text(Path(folder), program_toml(config)) == config


def test_diversity_none_is_not_written_as_diversity_off(tmp_path: Path) -> None:
    text = program_toml(ProgramConfig())
    assert "[diversity]" not in text
    assert _read_text(tmp_path, text).diversity is None
    off = program_toml(ProgramConfig(diversity={}))
    assert "[diversity]" in off
    assert _read_text(tmp_path, off).diversity == {}


def test_solver_sub_tables_hold_only_what_differs_from_the_defaults(tmp_path: Path) -> None:
    solver = SolverSettings(neighbourhood=NeighbourhoodParams(min_cohorts=3), cpsat={"a": 1})
    text = program_toml(ProgramConfig(solver=solver), comment="by a test")
    assert text.startswith("# by a test\n")
    assert "[solver.neighbourhood]\nmin_cohorts = 3\n\n" in text
    assert "[solver.greedy]" not in text
    assert _read_text(tmp_path, text).solver.neighbourhood.min_cohorts == 3


def test_every_table_of_the_model_is_written() -> None:
    text = program_toml(ProgramConfig(diversity={"industry": 1.0}))
    for name in ProgramConfig.model_fields:
        assert f"[{name}]" in text, name
