"""Synthetic populations: validity, determinism, realism, and the planted reference."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peermatch.generate import (
    DIFFICULTIES,
    FUNCTIONS,
    INDUSTRIES,
    TIMEZONES,
    Population,
    cohort_count,
    generate_population,
    write_population,
)
from peermatch.graph import relationship_graph
from peermatch.io import read_problem
from peermatch.model import CohortRules, ProblemData, ProgramConfig, ScheduleRules
from peermatch.violations import violations


def _broken(pop: Population) -> list[str]:
    assert pop.planted is not None
    return [str(v) for v in violations(pop.problem, pop.planted)]


@pytest.mark.parametrize("planted", [False, True])
@pytest.mark.parametrize("size", [7, 60, 333])
def test_generated_problem_is_valid(size: int, planted: bool) -> None:
    pop = generate_population(size, seed=11, planted=planted)
    problem = pop.problem
    assert isinstance(problem, ProblemData)
    # Validate again from scratch: the cross-checks must pass on a fresh build too.
    again = ProblemData.model_validate(problem.model_dump())
    assert again == problem
    assert len(problem.participants) == size
    assert len({p.id for p in problem.participants}) == size
    assert problem.facilitators
    assert (pop.planted is not None) == planted
    assert pop.size == size


def test_deterministic_per_seed() -> None:
    a = generate_population(200, seed=5, planted=True, difficulty="hard")
    b = generate_population(200, seed=5, planted=True, difficulty="hard")
    c = generate_population(200, seed=6, planted=True, difficulty="hard")
    assert a == b
    assert a.problem != c.problem


def test_files_are_identical_per_seed(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    write_population(generate_population(150, seed=3, planted=True), one)
    write_population(generate_population(150, seed=3, planted=True), two)
    for f in sorted(one.iterdir()):
        assert f.read_bytes() == (two / f.name).read_bytes(), f.name


@pytest.mark.parametrize("planted", [False, True])
def test_organisation_sizes_are_heavy_tailed(planted: bool) -> None:
    pop = generate_population(3000, seed=1, planted=planted)
    sizes = np.array(sorted(Counter(p.organisation for p in pop.problem.participants).values()))
    assert sizes.max() >= 20 * np.median(sizes)
    assert (sizes <= 3).mean() >= 0.6  # many small employers
    assert (sizes >= 20).sum() >= 3  # and a few big ones
    if planted:
        assert pop.planted is not None
        assert sizes.max() <= len(pop.planted.cohorts)
        assert _broken(pop) == []


def test_harder_means_bigger_organisations_tighter_hours_more_history() -> None:
    def figures(difficulty: str) -> tuple[float, float, float]:
        problem = generate_population(2000, seed=2, planted=True, difficulty=difficulty).problem
        sizes = Counter(p.organisation for p in problem.participants)
        biggest = sum(sorted(sizes.values())[-10:]) / len(problem.participants)
        blank = sum(p.availability is None for p in problem.participants) / 2000
        return biggest, blank, len(problem.history) / 2000

    easy, normal, hard = (figures(d) for d in ("easy", "normal", "hard"))
    assert easy[0] < normal[0] < hard[0]
    assert easy[1] > normal[1] > hard[1]
    assert easy[2] < normal[2] < hard[2]


def test_attributes_look_like_a_real_program() -> None:
    problem = generate_population(2000, seed=4).problem
    people = problem.participants
    by_org: dict[str, set[str | None]] = {}
    for p in people:
        by_org.setdefault(p.organisation, set()).add(p.industry)
    assert all(len(v) == 1 for v in by_org.values())  # one industry per organisation
    assert {p.industry for p in people} <= set(INDUSTRIES)
    assert len({p.industry for p in people}) >= 10
    assert {p.function for p in people} - {None} == set(FUNCTIONS)
    levels = Counter(p.level for p in people)
    assert set(levels) == {1, 2, 3, 4, 5}
    assert max(levels, key=levels.__getitem__) in (2, 3, 4)  # a peak in the middle
    assert all(p.level_label for p in people)
    zones = Counter(problem.timezone_of(p) for p in people)
    assert set(zones) == set(TIMEZONES)
    assert zones["Asia/Singapore"] < zones["Europe/London"]
    blank = sum(p.availability is None for p in people)
    assert 0.3 * len(people) < blank < 0.8 * len(people)
    # About one facilitator per 15 participants, more if needed for 25% spare capacity.
    assert 2000 / 15 - 1 <= len(problem.facilitators) <= 2000 / 12
    assert sum(f.max_cohorts for f in problem.facilitators) >= 1.25 * 2000 / 8
    assert {f.max_cohorts for f in problem.facilitators} == {1, 2, 3, 4}
    assert any("," in p.name for p in people)  # names that need CSV quoting
    assert any(not p.name.isascii() for p in people)


@pytest.mark.parametrize("planted", [False, True])
def test_reporting_lines_and_history(planted: bool) -> None:
    problem = generate_population(1500, seed=8, planted=planted).problem
    people = {p.id: p for p in problem.participants}
    internal = [p for p in people.values() if p.manager_id in people]
    external = [p for p in people.values() if p.manager_id and p.manager_id not in people]
    assert internal and external
    for p in internal:
        boss = people[p.manager_id]  # type: ignore[index]
        assert boss.organisation == p.organisation
        assert boss.level > p.level
    for h in problem.history:
        if h.a in people and h.b in people:
            assert people[h.a].organisation != people[h.b].organisation
    assert {h.relation for h in problem.history} >= {"former colleagues", "client/supplier"}
    assert any(
        h.a in problem.facilitator_index or h.b in problem.facilitator_index
        for h in problem.history
    )


@pytest.mark.parametrize(
    ("size", "seed", "difficulty"),
    [(30, 0, "easy"), (97, 1, "normal"), (250, 2, "hard"), (1000, 3, "normal"), (1200, 4, "hard")],
)
def test_planted_solution_breaks_no_rule(size: int, seed: int, difficulty: str) -> None:
    pop = generate_population(size, seed, planted=True, difficulty=difficulty)
    assert pop.planted is not None
    assert _broken(pop) == []
    placed = sorted(m for c in pop.planted.cohorts for m in c.members)
    assert placed == sorted(p.id for p in pop.problem.participants)
    for c in pop.planted.cohorts:
        assert c.slot is not None and c.facilitator_id is not None
        assert len(c.sessions) == pop.problem.config.schedule.sessions


def test_planted_links_only_join_different_cohorts() -> None:
    pop = generate_population(800, seed=9, planted=True, difficulty="hard")
    assert pop.planted is not None
    where = pop.planted.cohort_of()
    graph = relationship_graph(pop.problem)
    participant_edges = [(a, b) for a, b in graph.edges if a in where and b in where]
    assert len(participant_edges) > 100
    assert all(where[a] != where[b] for a, b in participant_edges)
    # Enough history that the problem is not trivially easy.
    assert len(pop.problem.history) >= 0.5 * 800


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(30, 200),
    seed=st.integers(0, 2**32 - 1),
    difficulty=st.sampled_from(sorted(DIFFICULTIES)),
    facilitators=st.booleans(),
)
def test_planted_is_feasible_for_any_seed(
    size: int, seed: int, difficulty: str, facilitators: bool
) -> None:
    pop = generate_population(
        size, seed, planted=True, difficulty=difficulty, facilitators=facilitators
    )
    assert _broken(pop) == []
    assert bool(pop.problem.facilitators) == facilitators


def test_planted_follows_a_custom_program() -> None:
    config = ProgramConfig(
        cohort=CohortRules(min_size=4, max_size=6, target_size=5, max_level_gap=0),
        schedule=ScheduleRules(
            start_date="2027-03-01",  # type: ignore[arg-type]
            cadence_weeks=2,
            sessions=12,
            duration_minutes=90,
            slot_minutes=15,
            blackout_dates=("2027-03-26..2027-04-05",),  # type: ignore[arg-type]
        ),
    )
    pop = generate_population(123, 21, planted=True, config=config)
    assert pop.problem.config == config
    assert _broken(pop) == []
    assert pop.planted is not None
    assert {len(c.members) for c in pop.planted.cohorts} <= {4, 5, 6}
    for c in pop.planted.cohorts:
        levels = {pop.problem.participants[pop.problem.index[m]].level for m in c.members}
        assert len(levels) == 1


def test_planted_needs_a_size_that_fits() -> None:
    assert cohort_count(13, CohortRules()) is None
    assert cohort_count(100, CohortRules()) == 12
    with pytest.raises(ValueError, match="cannot be split"):
        generate_population(13, 0, planted=True)
    generate_population(13, 0)  # without a planted solution any size goes


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="difficulty"):
        generate_population(50, 0, difficulty="extreme")
    with pytest.raises(ValueError, match="size"):
        generate_population(0, 0)


def test_write_population_files(tmp_path: Path) -> None:
    pop = generate_population(80, seed=2, planted=True)
    files = write_population(pop, tmp_path / "out")
    names = [f.name for f in files]
    assert names == [
        "participants.csv",
        "history.csv",
        "facilitators.csv",
        "program.toml",
        "planted_cohorts.csv",
    ]
    header = (tmp_path / "out" / "participants.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "id,name,email,organisation,level,industry,function,manager_id,timezone,availability"
    )
    planted_rows = (tmp_path / "out" / "planted_cohorts.csv").read_text().splitlines()
    assert len(planted_rows) == 81


@pytest.mark.parametrize(("planted", "difficulty"), [(False, "normal"), (True, "hard")])
def test_files_read_back_to_an_equal_problem(
    tmp_path: Path, planted: bool, difficulty: str
) -> None:
    pop = generate_population(400, seed=13, planted=planted, difficulty=difficulty)
    write_population(pop, tmp_path)
    back = read_problem(
        tmp_path / "participants.csv",
        history=tmp_path / "history.csv",
        facilitators=tmp_path / "facilitators.csv",
        config=tmp_path / "program.toml",
    )
    assert back.config == pop.problem.config
    assert back.participants == pop.problem.participants
    assert back.facilitators == pop.problem.facilitators
    assert back.history == pop.problem.history
    assert back == pop.problem


@pytest.mark.parametrize(("size", "seed"), [(40, 0), (97, 3), (300, 8)])
def test_placement_rules_are_planted_and_read_back(tmp_path: Path, size: int, seed: int) -> None:
    from peermatch.io import read_problem

    pop = generate_population(size, seed, planted=True, placement_rules=True)
    config = pop.problem.config
    assert config.limits and config.presence and config.required and config.closeness
    assert pop.planted is not None
    assert [str(v) for v in violations(pop.problem, pop.planted)] == []
    people = pop.problem.participants
    assert {p.attribute("gender") for p in people} == {"Woman", "Man"}
    assert len({p.attribute("market") for p in people}) > 5
    write_population(pop, tmp_path)
    header = (tmp_path / "participants.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith("gender,market,company_size")
    back = read_problem(
        tmp_path / "participants.csv",
        history=tmp_path / "history.csv",
        facilitators=tmp_path / "facilitators.csv",
        config=tmp_path / "program.toml",
    )
    assert back == pop.problem


def test_placement_columns_leave_the_rest_of_a_population_as_it_was() -> None:
    plain = generate_population(120, 4, planted=True)
    ruled = generate_population(120, 4, planted=True, placement_rules=True)
    assert plain.planted == ruled.planted
    for a, b in zip(plain.problem.participants, ruled.problem.participants, strict=True):
        assert a == b.model_copy(update={"attributes": {}})
