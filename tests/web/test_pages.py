"""The HTML pages through the test client: what each page shows, escaping, no inline code.

The pages call the JSON API in-process as the browser that asked, so these
tests also show that a page can do only what the API allows.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import markupsafe
import pytest

from peermatch.web.forms import config_form
from peermatch.web.pages import TABLES
from webhelpers import AUTH, EXAMPLES, upload_example

#: A browser's same-origin form post (the pages' POSTs come from their own forms).
FORM = {**AUTH, "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


def _no_inline_code(page: str) -> None:
    """Nothing the Content-Security-Policy (script-src 'self', style-src 'self') would block."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "an inline script"
    assert not re.search(r"<style[\s>]", page), "an inline style sheet"
    for tag in re.findall(r"<[a-zA-Z][^>]*>", page):  # escaped text (&lt;...) is no tag
        assert not re.search(r"\sstyle\s*=", tag), f"a style attribute: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", tag), f"an event handler attribute: {tag}"
        assert "javascript:" not in tag


def _create(client: Any, name: str) -> int:
    answer = client.post("/programs", data={"name": name}, headers=FORM, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    program_id = int(answer.headers["location"].rsplit("/", 1)[1])
    return program_id


def test_a_program_is_created_from_the_form_and_its_inputs_listed(client: Any) -> None:
    program_id = _create(client, "Leadership Circles")
    page = client.get(f"/programs/{program_id}", headers=AUTH).text
    _no_inline_code(page)
    for table in TABLES:
        assert f'id="input-{table}"' in page
        template = f"/api/v1/programs/{program_id}/inputs/{table}/template"
        assert (template in page) == (table != "config")  # program.toml: the rules form
    home = client.get("/", headers=AUTH).text
    assert f'href="/programs/{program_id}"' in home and "Leadership Circles" in home


def test_names_are_escaped(client: Any) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    program_id = _create(client, hostile)
    for path in ("/", f"/programs/{program_id}", f"/programs/{program_id}/rules"):
        page = client.get(path, headers=AUTH).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(" in page
        _no_inline_code(page)


def test_a_broken_upload_lists_each_problem_in_the_inputs_fragment(client: Any) -> None:
    program_id = _create(client, "P")
    broken = (
        (EXAMPLES / "participants.csv")
        .read_text(encoding="utf-8")
        .replace("Europe/Amsterdam", "Mars/Olympus", 1)
    )
    answer = client.post(
        f"/programs/{program_id}/inputs/participants",
        files={"file": ("people.csv", broken.encode(), "text/csv")},
        headers={**FORM, "HX-Request": "true"},
    )
    assert answer.status_code == 200
    fragment = answer.text
    assert fragment.lstrip().startswith('<section id="inputs"')  # htmx gets the section only
    rows = re.findall(
        r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", fragment
    )
    assert any(
        column == "timezone" and row == "2" and "Mars/Olympus" in message
        for _, row, column, message in rows
    ), rows
    # The good file then replaces it, counted and without problems.
    good = client.post(
        f"/programs/{program_id}/inputs/participants",
        files={"file": ("participants.csv", (EXAMPLES / "participants.csv").read_bytes())},
        headers=FORM,
    )
    assert "120 rows" in good.text and "<html" in good.text  # a plain post: the whole page
    assert 'class="problems"' not in good.text


def test_the_rules_form_shows_every_key_and_saves_through_the_library(client: Any) -> None:
    program_id = _create(client, "P")
    upload_example(client, program_id)
    page = client.get(f"/programs/{program_id}/rules", headers=AUTH).text
    _no_inline_code(page)
    for field in (f for s in config_form() for f in s.fields):
        assert f'name="{field.name}"' in page, field.name
    assert 'value="circles-2027"' in page  # filled from the stored program.toml

    form = {f.name: f.value for s in config_form(_example_raw()) for f in s.fields}
    refused = client.post(
        f"/programs/{program_id}/rules", data={**form, "cohort.min_size": "13"}, headers=FORM
    )
    assert refused.status_code == 422
    assert "larger than max_size" in refused.text
    config = client.get(f"/api/v1/programs/{program_id}", headers=AUTH).json()["inputs"]["config"]
    assert config["problems"]  # kept with its problem: no run starts until it is fixed
    page = client.get(f"/programs/{program_id}", headers=AUTH).text
    assert "larger than max_size" in page  # and the inputs page lists it

    saved = client.post(
        f"/programs/{program_id}/rules", data={**form, "cohort.max_size": "10"}, headers=FORM
    )
    assert saved.status_code == 200 and "Saved" in saved.text
    detail = client.get(f"/api/v1/programs/{program_id}", headers=AUTH).json()
    assert tomllib.loads(detail["config_toml"])["cohort"]["max_size"] == 10
    assert detail["inputs"]["config"]["problems"] == []


def test_the_raw_toml_is_saved_or_its_line_named(client: Any) -> None:
    program_id = _create(client, "P")
    refused = client.post(
        f"/programs/{program_id}/rules",
        data={"raw": "[cohort]\nmin_size = 7\nmax_sise = 12\n"},
        headers=FORM,
    )
    assert refused.status_code == 422
    assert "max_sise" in refused.text and "<td>3</td>" in refused.text
    saved = client.post(
        f"/programs/{program_id}/rules", data={"raw": "[cohort]\nmax_size = 11\n"}, headers=FORM
    )
    assert saved.status_code == 200
    stored = client.get(f"/api/v1/programs/{program_id}", headers=AUTH).json()["config_toml"]
    assert stored == "[cohort]\nmax_size = 11\n"


def _example_raw() -> dict[str, Any]:
    return tomllib.loads((EXAMPLES / "program.toml").read_text(encoding="utf-8"))


def test_a_run_that_cannot_start_lists_the_problems(client: Any) -> None:
    program_id = _create(client, "P")
    answer = client.post(f"/programs/{program_id}/runs", data={"time_limit": "5"}, headers=FORM)
    assert answer.status_code == 422
    assert "did not start" in answer.text and 'class="problems"' in answer.text


def test_a_started_run_is_followed_on_its_page(client: Any) -> None:
    program_id = _create(client, "P")
    upload_example(client, program_id)
    answer = client.post(
        f"/programs/{program_id}/runs",
        data={"time_limit": "5", "seed": "3"},
        headers=FORM,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    run_page = client.get(answer.headers["location"], headers=AUTH).text
    _no_inline_code(run_page)
    run_id = answer.headers["location"].rsplit("/", 1)[1]
    assert f'data-events="/api/v1/runs/{run_id}/events"' in run_page
    assert ">queued<" in run_page  # workers are off in this fixture
    runs = client.get(f"/programs/{program_id}/runs", headers=AUTH).text
    assert f'href="/runs/{run_id}"' in runs


def test_the_board_shows_cohorts_members_and_every_move_target(board: Any) -> None:
    cohorts = board.get("/api/v1/runs/1/cohorts", headers=AUTH).json()
    page = board.get("/runs/1/board", headers=AUTH).text
    _no_inline_code(page)
    for cohort in cohorts["cohorts"]:
        assert f'<ul class="members" data-cohort="{cohort["cohort_id"]}"' in page
        assert f'<option value="{cohort["cohort_id"]}">' in page
        for pid in cohort["members"]:
            assert f'data-participant="{pid}"' in page
    assert f'id="revision">{cohorts["revision"]}<' in page


def test_the_board_is_paged_and_filtered(board: Any) -> None:
    cohorts = board.get("/api/v1/runs/1/cohorts", headers=AUTH).json()["cohorts"]
    first = board.get("/runs/1/board/cohorts?limit=2", headers=AUTH).text
    assert "<html" not in first
    assert len(re.findall(r'<section class="card cohort[^"]*" data-cohort="[^"]+"', first)) == 2
    assert f"Cohorts 1–2 of {len(cohorts)}" in first
    assert "offset=2" in first  # a link to the next page
    # Filtering by one person's id leaves that person's cohort.
    pid = cohorts[-1]["members"][0]
    found = board.get(f"/runs/1/board/cohorts?q={pid}", headers=AUTH).text
    shown = re.findall(r'<ul class="members" data-cohort="([^"]+)"', found)
    assert shown == [cohorts[-1]["cohort_id"]], shown


@pytest.mark.parametrize("path", ["/programs/999", "/programs/999/rules", "/runs/999/board"])
def test_a_missing_thing_is_a_page_not_a_traceback(client: Any, path: str) -> None:
    answer = client.get(path, headers=AUTH)
    assert answer.status_code == 404
    assert "Something went wrong" in answer.text and "Traceback" not in answer.text


def test_the_shipped_assets_are_served(client: Any) -> None:
    for path in (
        "/static/app.js",
        "/static/board.js",
        "/static/workspace.css",
        "/static/report.css",
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/vendor/Sortable-1.15.7.min.js",
    ):
        answer = client.get(path, headers=AUTH)
        assert answer.status_code == 200, path
        assert len(answer.content) > 1000, path
    licences = Path(__file__).resolve().parents[2] / "src/peermatch/web/static/vendor"
    assert (licences / "htmx-LICENSE").exists() and (licences / "Sortable-LICENSE").exists()


def test_a_locked_member_and_cohort_show_as_locked(board: Any) -> None:
    cohort = board.get("/api/v1/runs/1/cohorts", headers=AUTH).json()["cohorts"][0]
    pid, other = cohort["members"][:2]
    for body in ({"participant_id": pid, "locked": True}, {"cohort_id": cohort["cohort_id"]}):
        assert board.post("/api/v1/runs/1/locks", json=body, headers=FORM).status_code == 200
    page = board.get(f"/runs/1/board/cohorts?q={pid}", headers=AUTH).text
    assert f'class="member locked" data-participant="{pid}"' in page
    assert f'class="member" data-participant="{other}"' in page
    assert f'class="card cohort locked" data-cohort="{cohort["cohort_id"]}"' in page
    assert (
        f'aria-label="Unlock {markupsafe.escape(_name(board, pid))}"' in page
        and "Unlock cohort" in page
    )


def _name(client: Any, pid: str) -> str:
    page = client.get(f"/api/v1/runs/1/board?q={pid}", headers=AUTH).json()
    return next(m["name"] for c in page["cohorts"] for m in c["members"] if m["id"] == pid)


def test_a_failed_runs_diagnosis_names_the_rules_and_is_escaped() -> None:
    from peermatch.web.pages import _env

    run = {
        "run_id": 7,
        "program_id": 1,
        "kind": "run",
        "status": "failed",
        "phase": "",
        "message": "proven infeasible",
        "elapsed": 2.0,
        "limit": 10.0,
        "objective": None,
        "bound": None,
        "gap": None,
        "diagnosis": [
            {"rule": "externality", "message": "Org <A> has 9 people", "people": []},
            {"rule": None, "message": "plain line", "people": []},
        ],
    }
    page = _env.get_template("run.html.j2").render(
        run=run, run_id=7, program={"id": 1, "name": "P"}
    )
    assert "<strong>externality</strong>: Org &lt;A&gt; has 9 people" in page
    assert "<li>plain line</li>" in page
    assert "proven infeasible" in page
    assert re.search(r'id="open-board"[^>]*hidden', page)  # no board without a solution
