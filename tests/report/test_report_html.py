"""report.html: written with every output, rewritten by `peermatch report`, escaped, offline."""

from __future__ import annotations

import csv
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_sample import FORMULA, QUOTES, SCRIPT, sample_problem, sample_result

from peermatch.cli import main
from peermatch.io.writers import write_outputs
from peermatch.model import ProblemData
from peermatch.report import RUN_FILE, FolderError, RunFolder, read_folder, render_report
from peermatch.report import charts as charts_module
from peermatch.solution import Cohort, Solution
from peermatch.violations import RULES


@pytest.fixture(autouse=True)
def _fixed_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    problem, result = sample_result()
    write_outputs(tmp_path / "out", problem, result)
    return tmp_path / "out"


def page_text(raw: str) -> str:
    """The visible text of a page: tags dropped, entities decoded, spaces collapsed."""
    body = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", raw, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def card(raw: str, cohort: str) -> str:
    match = re.search(rf'<section class="card"[^>]*data-cohort="{cohort}">.*?</section>', raw, re.S)
    assert match, f"no card for cohort {cohort}"
    return match.group(0)


def test_every_output_folder_has_report_and_run_record(out: Path) -> None:
    problem, result = sample_result()
    folder = read_folder(out)
    assert folder.problem == problem and folder.solution == result.solution
    assert folder.summary["status"] == "feasible"
    raw = (out / "report.html").read_text(encoding="utf-8")
    assert raw.startswith("<!DOCTYPE html>")
    assert "Cohorts that keep every rule" in raw


def test_header_shows_status_objective_bound_and_gap(out: Path) -> None:
    text = page_text((out / "report.html").read_text(encoding="utf-8"))
    for shown in ("4,250 Objective", "4,000 Best bound", "5.88% Gap", "16 of 16 People placed"):
        assert shown in text


def test_every_rule_is_listed_with_its_check(out: Path) -> None:
    raw = (out / "report.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="(ok|broken)" data-rule="([a-z]+)">', raw)
    assert [rule for _, rule in rows] == [str(r) for r in RULES]
    assert {state for state, _ in rows} == {"ok"}
    assert raw.count("✓ 0 violations") == len(RULES)


def test_a_broken_rule_is_shown_with_the_people() -> None:
    problem, result = sample_result()
    assert result.solution is not None
    a, b = result.solution.cohorts
    # p9 (history with p1) into A: the neutrality rule breaks, naming both.
    moved = Solution(
        cohorts=(
            a.model_copy(update={"members": (*a.members, "p9")}),
            b.model_copy(update={"members": tuple(m for m in b.members if m != "p9")}),
        )
    )
    raw = render_report(RunFolder(problem, moved, {"status": "feasible"})).decode()
    row = re.search(r'<tr class="broken" data-rule="neutrality">.*?</tr>', raw, re.S)
    assert row is not None
    assert "cohort A: p1 and p9 are linked" in html.unescape(row.group(0))
    assert "former colleagues" in row.group(0)


def test_a_card_per_cohort_with_members_slot_facilitator_and_sessions(out: Path) -> None:
    raw = (out / "report.html").read_text(encoding="utf-8")
    a = page_text(card(raw, "A"))
    assert "Cohort A" in a and "Tuesdays 14:00 Europe/London" in a
    assert "Finn <b>One</b>" in a  # the facilitator, escaped on the page
    assert "8 from 8 organisations" in a and "2 (Manager), 3 (Senior Manager)" in a
    # The slot in each member's own time: p2 is in New York, p3 in Berlin.
    assert "Tue 09:00 America/New_York" in a and "Tue 15:00 Europe/Berlin" in a
    assert "Tue 12 Jan 2027" in a and "14:00–16:00" in a and "Feedback & candour" in a
    assert "<svg" in card(raw, "A") and "Industry" in card(raw, "A")
    assert "Person 9" not in a and "Person 9" in page_text(card(raw, "B"))


def test_hostile_text_is_escaped_everywhere(out: Path) -> None:
    raw = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in raw.lower() and "<b>" not in raw
    text = page_text(raw)
    for value in (SCRIPT, QUOTES, FORMULA, f"{SCRIPT} Ltd", "Finn <b>One</b>"):
        assert value in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in raw
    # Inside attributes too: the cohort id lands in data-cohort="...".
    problem, result = sample_result()
    assert result.solution is not None
    evil = '"><img src=x onerror=alert(1)>'
    renamed = Solution(
        cohorts=tuple(c.model_copy(update={"id": evil + c.id}) for c in result.solution.cohorts)
    )
    raw2 = render_report(RunFolder(problem, renamed, {"status": "feasible"})).decode()
    assert "<img" not in raw2 and 'data-cohort="&#34;&gt;&lt;img' in raw2


def test_the_page_loads_nothing_from_anywhere(out: Path) -> None:
    raw = (out / "report.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in raw and "default-src 'none'" in raw
    addresses = re.findall(r"https?://[^\s\"'<>)&]+", raw)
    assert {a for a in addresses if not a.startswith("http://www.w3.org/")} == {
        "http://evil.example"  # the hostile participant's text, escaped, not a link
    }
    assert not re.search(r"<(link|script|img|iframe|object)\b|@import|url\((?!#)", raw)
    assert not re.search(r'\bid="([^"]+)".*\bid="\1"', raw, re.S), "an element id repeats"


def test_report_is_byte_deterministic(tmp_path: Path) -> None:
    problem, result = sample_result()
    write_outputs(tmp_path / "one", problem, result)
    write_outputs(tmp_path / "two", problem, result)
    assert (tmp_path / "one" / "report.html").read_bytes() == (
        tmp_path / "two" / "report.html"
    ).read_bytes()
    assert (tmp_path / "one" / RUN_FILE).read_bytes() == (tmp_path / "two" / RUN_FILE).read_bytes()


def test_peermatch_report_rewrites_the_same_page(out: Path) -> None:
    first = (out / "report.html").read_bytes()
    (out / "report.html").unlink()
    result = CliRunner().invoke(main, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").read_bytes() == first
    assert f"wrote {out / 'report.html'}" in result.output


def test_peermatch_report_follows_an_edited_summary(out: Path) -> None:
    summary = json.loads((out / "summary.json").read_text())
    summary["interrupted"] = True
    summary["interrupted_by"] = "SIGTERM"
    (out / "summary.json").write_text(json.dumps(summary))
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    raw = (out / "report.html").read_text(encoding="utf-8")
    assert "interrupted: the search was stopped early" in raw
    assert "This run was interrupted (SIGTERM) before its time limit" in raw


def test_changes_are_shown(out: Path) -> None:
    with open(out / "changes.csv", "w", encoding="utf-8", newline="") as fh:
        # As the writers neutralise a formula cell: a leading quote the report takes off again.
        rows = [("p5", "moved", "A", "B", "'" + FORMULA), ("p17", "joined", "", "B", "late joiner")]
        csv.writer(fh).writerows(
            [("participant_id", "change", "from_cohort", "to_cohort", "reason"), *rows]
        )
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    raw = (out / "report.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="changes">.*?</section>', raw, re.S)
    assert section is not None
    text = page_text(section.group(0))
    assert "p5 moved A B" in text and "p17 joined B late joiner" in text
    assert f"B {FORMULA}" in text and f"'{FORMULA}" not in text


def test_report_of_a_folder_that_is_not_an_output(tmp_path: Path, out: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    (tmp_path / "empty").mkdir()
    result = runner.invoke(main, ["report", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "holds no summary.json" in result.stderr
    (out / RUN_FILE).unlink()
    result = runner.invoke(main, ["report", str(out)])
    assert result.exit_code == 1 and "run.json" in result.stderr
    (out / RUN_FILE).write_text("{not json")
    result = runner.invoke(main, ["report", str(out)])
    assert result.exit_code == 1 and "not valid JSON" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    with pytest.raises(FolderError):
        read_folder(out)


def test_unassigned_people_with_reasons() -> None:
    problem, result = sample_result()
    assert result.solution is not None
    a, b = result.solution.cohorts
    from peermatch.solution import Unassigned

    left = Solution(
        cohorts=(a, b.model_copy(update={"members": b.members[:-1]})),
        unassigned=(Unassigned(participant_id="p16", reason=f"no cohort fits {SCRIPT}"),),
    )
    raw = render_report(RunFolder(problem, left, {"status": "feasible"})).decode()
    section = re.search(r'<section id="unassigned">.*?</section>', raw, re.S)
    assert section is not None
    assert f"Person 16 p16 no cohort fits {SCRIPT}" in page_text(section.group(0))


def test_many_cohorts_get_counts_instead_of_charts() -> None:
    problem, result = sample_result()
    assert result.solution is not None
    folder = RunFolder(problem, result.solution, {"status": "feasible"})
    raw = render_report(folder, max_charts=1).decode()
    assert "<svg" not in raw and "charts are drawn for up to 1 cohorts" in raw
    assert "Industry: " in page_text(card(raw, "A"))


def test_chart_labels_are_plain_text() -> None:
    svg = charts_module.mix_chart({"industry": [("$x^2$", 2), (SCRIPT, 1)]}, "t1")
    assert "$x^2$" in svg and html.escape(SCRIPT, quote=False) in svg and "<script" not in svg
    assert charts_module.mix_chart({"industry": [("a", 1)]}, 'bad"prefix') == ""


def test_no_solution_report_shows_the_diagnosis() -> None:
    from peermatch.report import failure_report

    raw = failure_report(sample_problem(), "infeasible", (f"[organisation] {SCRIPT}",)).decode()
    assert "No cohorts can keep every rule" in raw and "Why no cohorts could be formed" in raw
    assert "&lt;script&gt;" in raw and "<script" not in raw


def test_a_program_without_facilitators_or_attributes() -> None:
    problem = sample_problem()
    bare = ProblemData(
        participants=[
            p.model_copy(update={"industry": None, "function": None}) for p in problem.participants
        ],
        config=problem.config,
    )
    _, result = sample_result(bare)
    assert result.solution is not None
    plain = Solution(
        cohorts=tuple(
            Cohort(**{**c.model_dump(), "facilitator_id": None}) for c in result.solution.cohorts
        )
    )
    raw = render_report(RunFolder(bare, plain, {"status": "optimal"})).decode()
    assert "<svg" not in raw and "Best possible cohorts" in raw
    assert raw.count("✓ 0 violations") == len(RULES)


def test_import_peermatch_stays_light() -> None:
    code = "import sys, peermatch; print(sorted(m for m in ('jinja2', 'matplotlib') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_very_many_cohorts_get_cards_for_the_first_only() -> None:
    problem, result = sample_result()
    assert result.solution is not None
    folder = RunFolder(problem, result.solution, {"status": "feasible"})
    assert "<svg" in render_report(folder).decode()
    raw = render_report(folder, max_cards=1).decode()
    assert 'data-cohort="A"' in raw and 'data-cohort="B"' not in raw
    assert "The first 1 of 2 cohorts have a card here" in raw
