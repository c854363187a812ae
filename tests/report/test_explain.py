"""`peermatch explain`: the rule that keeps a person out of each other cohort, or the cost."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_sample import sample_result

from peermatch.cli import main
from peermatch.io.writers import write_outputs
from peermatch.model import ProblemData
from peermatch.report.explain import UnknownParticipant, explain
from peermatch.solution import Solution


@pytest.fixture
def out(tmp_path: Path) -> Path:
    problem, result = sample_result()
    write_outputs(tmp_path / "out", problem, result)
    return tmp_path / "out"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["explain", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_explain_names_the_history_rule_and_the_other_person(out: Path) -> None:
    code, text, _ = run(str(out), "p1")
    assert code == 0
    assert (
        "p1" in text
        and "is in cohort A (meets Tue 14:00 Europe/London, with Finn <b>One</b>)." in text
        and "Every rule holds there" in text
    )
    line = next(line for line in text.splitlines() if "B: kept out by" in line)
    after = text.splitlines()[text.splitlines().index(line) + 1]
    assert "[neutrality]" in after and "p9" in after and "former colleagues" in after


def test_without_the_history_pair_the_move_only_costs(tmp_path: Path) -> None:
    from report_sample import sample_problem

    problem, result = sample_result(sample_problem(history=False))
    write_outputs(tmp_path / "out", problem, result)
    code, text, _ = run(str(tmp_path / "out"), "p1")
    assert code == 0 and "B: allowed; moving them there would cost" in text


def _pairs(problem: ProblemData, groups: list[list[str]]) -> int:
    """The objective by hand: 1000 per same-value industry/function pair, 1000 per seat off 8."""
    cost = 0
    for members in groups:
        people = [problem.participants[problem.index[m]] for m in members]
        for attr in ("industry", "function"):
            counts = Counter(getattr(p, attr) for p in people)
            cost += 1000 * sum(n * (n - 1) // 2 for n in counts.values())
        cost += 1000 * abs(len(members) - 8)
    return cost


def test_json_has_a_stable_schema_and_the_objective_delta(out: Path) -> None:
    code, text, _ = run(str(out), "p2", "--json")
    assert code == 0
    data = json.loads(text)
    assert set(data) == {
        "version",
        "participant",
        "cohort",
        "unassigned_reason",
        "objective",
        "current",
        "alternatives",
    }
    assert data["version"] == 1 and data["cohort"] == "A" and data["current"] == []
    assert data["participant"]["id"] == "p2"
    (b,) = data["alternatives"]
    assert set(b) == {"cohort", "allowed", "violations", "objective", "objective_delta"}
    assert b["cohort"] == "B" and b["allowed"] is True and b["violations"] == []
    problem, _ = sample_result()
    a_members = [f"p{i}" for i in range(1, 9)]
    b_members = [f"p{i}" for i in range(9, 17)]
    before = _pairs(problem, [a_members, b_members])
    after = _pairs(problem, [[m for m in a_members if m != "p2"], [*b_members, "p2"]])
    assert data["objective"] == before and b["objective_delta"] == after - before


def test_json_violation_names_rule_cohort_and_people(out: Path) -> None:
    data = json.loads(run(str(out), "p9", "--json")[1])
    (a,) = data["alternatives"]
    assert a["allowed"] is False and a["objective"] is None and a["objective_delta"] is None
    (v,) = a["violations"]
    assert v["rule"] == "neutrality" and v["cohort"] == "A" and set(v["people"]) == {"p1", "p9"}
    assert v["title"] == "No reporting lines or shared history"


def test_leaving_a_cohort_below_its_minimum_is_named() -> None:
    problem, result = sample_result()
    assert result.solution is not None
    a, b = result.solution.cohorts
    small = Solution(cohorts=(a.model_copy(update={"members": a.members[:7]}), b))
    problem = problem.replace(
        participants=[p for p in problem.participants if p.id != "p8"], history=()
    )
    found = explain(problem, small, "p2")
    (alt,) = found.alternatives
    assert [(str(v.rule), v.cohort) for v in alt.violations] == [("size", "A")]


def test_unknown_participant_is_exit_1_with_a_clear_message(out: Path) -> None:
    code, _, err = run(str(out), "nobody")
    assert code == 1 and "'nobody' is not a participant of this run" in err
    problem, result = sample_result()
    assert result.solution is not None
    with pytest.raises(UnknownParticipant):
        explain(problem, result.solution, "nobody")


def test_explain_of_a_folder_that_is_not_an_output(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run(str(tmp_path / "empty"), "p1")
    assert code == 1 and "holds no summary.json" in err
    assert run(str(tmp_path / "missing"), "p1")[0] == 2
