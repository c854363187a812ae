"""The four placement rules of program.toml outside the search: reading, proofs, words.

``[limits]``, ``[presence]``, ``[required]`` and ``[closeness]``: the config is
validated, a [closeness] column must hold numbers (file, row and column named),
the cheap pre-solve proofs name the people, CP-SAT's diagnosis names the rule,
``explain`` says it from the person's side, and ``validate``'s summary and the
report's rule table show the program's own settings.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from helpers import make_participant
from peermatch.errors import InputError
from peermatch.io import read_problem
from peermatch.model import CohortRules, ProblemData, ProgramConfig
from peermatch.presolve import presolve_checks
from peermatch.report.context import _rule_checks
from peermatch.report.explain import explain, render_text
from peermatch.rules import Rule
from peermatch.solution import Cohort, Solution
from peermatch.summary import population_summary
from peermatch.summary import render_text as summary_text
from peermatch.violations import violations

SMALL = CohortRules(min_size=2, max_size=3, target_size=2)


def _problem(people: list, **config: object) -> ProblemData:
    return ProblemData(
        participants=tuple(people),
        config=ProgramConfig(cohort=SMALL, **config),  # type: ignore[arg-type]
    )


# --- the config ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "value", "words"),
    [
        ("limits", {"industry": 0}, ">= 1"),
        ("presence", {"gender": 1.5}, "whole number"),
        ("required", {"function": []}, "at least one value"),
        ("closeness", {"size": -1}, ">= 0"),
    ],
)
def test_bad_settings_are_refused(table: str, value: dict, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError, match=words):
        ProgramConfig(**{table: value})  # type: ignore[arg-type]


def test_an_unknown_column_names_the_key_and_the_columns_that_exist() -> None:
    people = [make_participant(i, industry="Bank") for i in range(4)]
    with pytest.raises(ValidationError) as caught:
        _problem(people, limits={"sector": 1})
    text = str(caught.value)
    assert "limits.sector" in text and "'sector' is not a column" in text and "industry" in text


def test_a_non_numeric_closeness_cell_names_file_row_and_column(tmp_path: Path) -> None:
    (tmp_path / "participants.csv").write_text(
        "id,name,email,organisation,level,company_size\n"
        "p1,A,a@x.org,O1,2,10\n"
        "p2,B,b@x.org,O2,2,large\n"
        "p3,C,c@x.org,O3,2,\n",
        encoding="utf-8",
    )
    (tmp_path / "program.toml").write_text("[closeness]\ncompany_size = 5\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_problem(tmp_path / "participants.csv", config=tmp_path / "program.toml")
    found = {(Path(p.file).name, p.row, p.column): p.message for p in caught.value.problems}
    assert "'large' is not a number" in found["participants.csv", 3, "company_size"]
    assert "blank" in found["participants.csv", 4, "company_size"]


# --- pre-solve proofs ----------------------------------------------------------------------


def _proof(problem: ProblemData, rule: Rule) -> tuple[str, tuple[str, ...]]:
    found = [d for d in presolve_checks(problem) if d.rule == rule]
    assert len(found) == 1, presolve_checks(problem)
    return found[0].message, found[0].people


def test_fewer_holders_of_a_required_value_than_cohorts() -> None:
    # Nine people and cohorts of at most three: three cohorts, one chair.
    people = [
        make_participant(i, attributes={"role": "Chair" if i == 4 else "Member"}) for i in range(9)
    ]
    text, who = _proof(_problem(people, required={"role": ["chair"]}), Rule.REQUIRED)
    assert who == ("p04",) and "p04" in text and "3 cohorts" in text


def test_a_value_held_by_one_person_under_presence() -> None:
    genders = ["Woman", "Woman", "Man", "Man", "Nonbinary"]
    people = [make_participant(i, attributes={"gender": g}) for i, g in enumerate(genders)]
    text, who = _proof(_problem(people, presence={"gender": 2}), Rule.PRESENCE)
    assert who == ("p04",) and "p04 is the only participant with gender Nonbinary" in text


def test_a_closeness_band_that_cannot_fill_min_size() -> None:
    sizes = ["10", "11", "12", "50"]
    people = [make_participant(i, attributes={"size": s}) for i, s in enumerate(sizes)]
    text, who = _proof(_problem(people, closeness={"size": 5}), Rule.CLOSENESS)
    assert who == ("p03",) and "p03" in text and "min_size = 2" in text


def test_a_program_the_rules_allow_has_no_proof() -> None:
    people = [
        make_participant(i, attributes={"gender": "W" if i < 2 else "M", "size": str(i)})
        for i in range(4)
    ]
    problem = _problem(people, presence={"gender": 2}, closeness={"size": 3})
    assert presolve_checks(problem) == []


# --- the diagnosis --------------------------------------------------------------------------


def test_the_cpsat_diagnosis_names_the_rule_and_the_people() -> None:
    from peermatch.solvers.cpsat.diagnosis import diagnose
    from peermatch.solvers.instance import build_instance

    # Four people in industries Bank, Bank, Bank, Retail; cohorts of two with at most one
    # banker: two bankers cannot both find a non-banker.
    industries = ["Bank", "Bank", "Bank", "Retail"]
    people = [make_participant(i, industry=x) for i, x in enumerate(industries)]
    problem = _problem(people, limits={"industry": 1})
    problem = problem.replace(
        config=problem.config.model_copy(
            update={"cohort": CohortRules(min_size=2, max_size=2, target_size=2)}
        )
    )
    found = diagnose(build_instance(problem), time_limit=10.0)
    limits = [d for d in found if d.rule == Rule.LIMITS]
    assert limits, found
    assert "industry Bank" in limits[0].message
    assert set(limits[0].people) == {"p00", "p01", "p02"}


# --- explain, the report, validate ----------------------------------------------------------


def _two_cohorts() -> tuple[ProblemData, Solution]:
    rows = [("Woman", "Banking"), ("Woman", "Retail"), ("Man", "Energy"), ("Man", "Banking")]
    people = [
        make_participant(f"P{i:04d}", industry=ind, attributes={"gender": g})
        for i, (g, ind) in enumerate(rows)
    ]
    problem = _problem(people, limits={"industry": 1}, presence={"gender": 2})
    solution = Solution(
        cohorts=(
            Cohort(id="C01", members=("P0000", "P0001")),
            Cohort(id="C02", members=("P0002", "P0003")),
        )
    )
    return problem, solution


def test_explain_names_the_rule_from_the_persons_side() -> None:
    problem, solution = _two_cohorts()
    found = explain(problem, solution, "P0000")
    (other,) = found.alternatives
    said = {v.rule: v.message for v in other.violations}
    assert (
        said[Rule.PRESENCE] == "P0000 would be the only one with gender Woman in C02 (at least 2)"
    )
    assert said[Rule.LIMITS] == "C02 already has 1 member with industry Banking (limit 1)"
    text = render_text(found)
    assert "[presence]" in text and "[limits]" in text


def test_the_checker_names_the_people() -> None:
    problem, _ = _two_cohorts()
    mixed = Solution(
        cohorts=(
            Cohort(id="C01", members=("P0000", "P0003")),
            Cohort(id="C02", members=("P0001", "P0002")),
        )
    )
    found = [v for v in violations(problem, mixed) if v.rule in (Rule.LIMITS, Rule.PRESENCE)]
    assert {v.rule for v in found} == {Rule.LIMITS, Rule.PRESENCE}
    limits = next(v for v in found if v.rule == Rule.LIMITS)
    assert limits.cohort == "C01" and set(limits.people) == {"P0000", "P0003"}
    alone = [v for v in found if v.rule == Rule.PRESENCE]
    assert any("P0000 is the only member with gender Woman" in v.message for v in alone)


def test_validate_and_the_report_show_the_programs_settings() -> None:
    problem, _ = _two_cohorts()
    text = summary_text(population_summary(problem))
    assert "gender, [presence] gender = 2" in text and "industry, [limits] industry = 1" in text
    table = {c.rule: c for c in _rule_checks(problem, [])}
    assert table["limits"].meaning == "at most 1 per cohort with one industry"
    assert table["presence"].title == "Nobody is the only one"
    assert table["required"].meaning == "none set in program.toml"
