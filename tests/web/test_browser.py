"""The workspace in a real browser: an organiser's whole path, from files to the export.

Debian's Chromium, driven by Selenium through Debian's chromedriver, against
the workspace started as a real server process on a free port with its own
data folder. One scenario, in the order an organiser works: create a
program, upload a broken participants file and see its problem, fix it,
start a run and watch its progress move, drag someone into the cohort of a
person they share history with and see the rule and that person named,
apply it anyway and undo it, make an allowed move with the keyboard path
("Move…"), repair the rest and follow the new run, download the export and
find the board's cohorts in its cohorts.csv. The browser's console must
stay free of errors, Content-Security-Policy violations included.

Without Chromium the test skips locally and fails under CI (``.ci/run``
installs ``chromium`` and ``chromium-driver``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "data" / "examples"
TOKEN = "browser-test-token"
T = TypeVar("T")

pytestmark = pytest.mark.slow


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _need(condition: bool, reason: str) -> None:
    if condition:
        return
    if _ci():
        pytest.fail(f"{reason}; CI must provide it (.ci/run installs chromium and chromium-driver)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            found = probe()
            if found:
                return found
        except AssertionError:
            raise
        except Exception as exc:  # a page in the middle of a swap
            last = exc
        time.sleep(0.1)
    raise AssertionError(
        f"timed out waiting for {what}" + (f" (last error: {last})" if last else "")
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The workspace as a real server process; yields its base URL."""
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    data = tmp_path_factory.mktemp("workspace")
    port = _free_port()
    env = {**os.environ, "PEERMATCH_TOKEN": TOKEN, "PYTHONPATH": str(REPO / "src")}
    command = [
        sys.executable,
        "-m",
        "peermatch",
        "serve",
        "--no-browser",
        "--port",
        str(port),
        "--data",
        str(data),
    ]
    log = (data / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError((data / "server.log").read_text(errors="replace"))
        try:
            return call(base, "GET", "/programs")[0] == 200
        except OSError:
            return False

    try:
        wait_for("the server to answer", up, timeout=30)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """The API, as a tool calls it (bearer token)."""
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium under Selenium, downloads going to a temporary folder."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    _need(chromium is not None, "chromium is not installed (apt-get install chromium)")
    _need(
        driver_path is not None, "chromedriver is not installed (apt-get install chromium-driver)"
    )
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in (
        "--headless=new",
        "--no-sandbox",  # as root in containers
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--no-first-run",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(driver_path)), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.downloads = downloads
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def _broken_participants(folder: Path) -> Path:
    """The example's participants.csv with an unknown level title in data row 4 (line 5)."""
    with (EXAMPLES / "participants.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[3]["level"] = "Grand Vizier"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = folder / "participants.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _upload(d: Any, table: str, path: Path) -> str:
    """Upload ``path`` as ``table`` through the page's form; the outcome's text."""
    from selenium.webdriver.common.by import By

    old = d.find_element(By.ID, "inputs")
    d.find_element(By.ID, f"file-{table}").send_keys(str(path))
    d.find_element(By.CSS_SELECTOR, f"#input-{table} button[type=submit]").click()
    # htmx swaps the whole inputs section; wait for the new one.
    wait_for(f"the {table} upload", lambda: d.find_element(By.ID, "inputs") != old)
    return str(d.find_element(By.ID, "upload-result").text)


def _cohort_of(d: Any, pid: str) -> str | None:
    from selenium.webdriver.common.by import By

    item = d.find_element(By.CSS_SELECTOR, f'li.member[data-participant="{pid}"]')
    cohort = item.find_element(By.XPATH, "./ancestor::ul[@data-cohort]").get_attribute(
        "data-cohort"
    )
    return cohort or None


def _revision(d: Any) -> int:
    from selenium.webdriver.common.by import By

    return int(d.find_element(By.ID, "revision").text)


def _drag(d: Any, pid: str, cohort: str) -> None:
    """Drag a member card onto another cohort's list with real pointer events."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    item = d.find_element(By.CSS_SELECTOR, f'li.member[data-participant="{pid}"] .who')
    target = d.find_element(By.CSS_SELECTOR, f'ul.members[data-cohort="{cohort}"] li.member')
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    chain = ActionChains(d, duration=50)
    chain.click_and_hold(item).move_by_offset(8, 8).pause(0.1)
    chain.move_to_element(target).pause(0.1).move_by_offset(0, 4).pause(0.1).release().perform()


def _history_pair(base: str, run_id: int) -> tuple[str, str, str]:
    """(mover, other, other's cohort): a history pair of the example now in different cohorts."""
    status, cohorts = call(base, "GET", f"/runs/{run_id}/cohorts")
    assert status == 200
    where = {pid: c["cohort_id"] for c in cohorts["cohorts"] for pid in c["members"]}
    with (EXAMPLES / "history.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            a, b = row["person_a"], row["person_b"]
            if a in where and b in where and where[a] != where[b]:
                return a, b, where[b]
    raise AssertionError("no history pair of the example is placed in two cohorts")


def _allowed_move(base: str, run_id: int, avoid: set[str]) -> tuple[str, str]:
    """A move every rule allows, found through the API (the UI then makes it)."""
    status, cohorts = call(base, "GET", f"/runs/{run_id}/cohorts")
    assert status == 200
    for cohort in cohorts["cohorts"]:
        for pid in cohort["members"]:
            if pid in avoid:
                continue
            for other in cohorts["cohorts"]:
                if other["cohort_id"] == cohort["cohort_id"]:
                    continue
                body = {"participant_id": pid, "to_cohort": other["cohort_id"]}
                status, check = call(base, "POST", f"/runs/{run_id}/moves/check", body)
                if status == 200 and check["allowed"]:
                    return pid, other["cohort_id"]
    raise AssertionError("no allowed move in the example's cohorts")


def _follow_run(d: Any, timeout: float = 90) -> list[float]:
    """Watch the run page until it is done; the elapsed seconds it showed on the way."""
    from selenium.webdriver.common.by import By

    shown: list[float] = []

    def done() -> bool:
        text = d.find_element(By.CSS_SELECTOR, '[data-field="elapsed"]').text.split()[0]
        value = float(text)
        if not shown or shown[-1] != value:
            shown.append(value)
        status = d.find_element(By.CSS_SELECTOR, '[data-field="status"]').text
        assert status not in ("failed", "cancelled"), d.find_element(By.ID, "progress").text
        return status == "done" and d.find_element(By.ID, "open-board").is_displayed()

    wait_for("the run to finish", done, timeout=timeout)
    return shown


def _board_cohorts(d: Any) -> dict[str, set[str]]:
    from selenium.webdriver.common.by import By

    return {
        ul.get_attribute("data-cohort"): {
            li.get_attribute("data-participant")
            for li in ul.find_elements(By.CSS_SELECTOR, "li.member")
        }
        for ul in d.find_elements(By.CSS_SELECTOR, "ul.members[data-cohort]")
        if ul.get_attribute("data-cohort")
    }


def test_an_organiser_goes_from_files_to_the_export(
    server: str, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.select import Select

    d = browser
    console: list[dict[str, Any]] = []

    def keep_console() -> None:
        console.extend(d.get_log("browser"))

    # The token once in the URL, then the cookie; the address loses the token.
    d.get(f"{server}/?token={TOKEN}")
    assert "token=" not in d.current_url
    d.find_element(By.ID, "program-name").send_keys("Leadership Circles 2027")
    d.find_element(By.CSS_SELECTOR, "form[action='/programs'] button").click()
    wait_for("the inputs page", lambda: d.find_elements(By.ID, "file-participants"))

    assert "accepted" in _upload(d, "config", EXAMPLES / "program.toml")
    assert "6 rows" in _upload(d, "facilitators", EXAMPLES / "facilitators.csv")
    assert "25 rows" in _upload(d, "history", EXAMPLES / "history.csv")
    # A broken file: its problem is listed with file, row, column and message.
    outcome = _upload(d, "participants", _broken_participants(tmp_path))
    assert "1 problem" in outcome
    cells = [td.text for td in d.find_elements(By.CSS_SELECTOR, "table.problems tbody td")]
    assert cells[1:3] == ["5", "level"] and "participants" in cells[0], cells
    assert "Grand Vizier" in cells[3]
    # Fixed: the example's own file.
    assert "120 rows" in _upload(d, "participants", EXAMPLES / "participants.csv")
    assert not d.find_elements(By.CSS_SELECTOR, "table.problems")
    keep_console()

    # A run, its progress moving, to the board.
    d.find_element(By.LINK_TEXT, "Go to runs").click()
    limit = d.find_element(By.ID, "time-limit")
    limit.clear()
    limit.send_keys("3")
    # Deterministic time: the same work however busy the machine is.
    d.find_element(By.CSS_SELECTOR, "#start-run input[name=deterministic]").click()
    d.find_element(By.CSS_SELECTOR, "#start-run button[type=submit]").click()
    wait_for("the run page", lambda: d.find_elements(By.ID, "progress"))
    run_id = int(d.find_element(By.ID, "progress").get_attribute("data-run"))
    shown = _follow_run(d)
    assert len(set(shown)) >= 2, f"the elapsed time never moved: {shown}"
    assert d.find_element(By.CSS_SELECTOR, '[data-field="objective"]').text not in ("", "–")
    keep_console()
    d.find_element(By.ID, "open-board").click()
    wait_for("the board", lambda: d.find_elements(By.CSS_SELECTOR, "section.cohort li.member"))
    start = _revision(d)

    # A move the history forbids: the rule and the other person are named.
    mover, other, target = _history_pair(server, run_id)
    home = _cohort_of(d, mover)
    _drag(d, mover, target)
    dialog = d.find_element(By.ID, "check-dialog")
    wait_for("the check dialog", dialog.is_displayed)
    text = dialog.text
    other_name = d.find_element(
        By.CSS_SELECTOR, f'li.member[data-participant="{other}"]'
    ).get_attribute("data-name")
    assert "history" in text.lower(), text
    assert other in text or other_name in text, text
    assert "Objective change" in text
    assert _cohort_of(d, mover) == home  # nothing moved yet
    d.find_element(By.ID, "check-apply").click()
    wait_for("the forced move", lambda: _cohort_of(d, mover) == target)
    assert _revision(d) == start + 1
    # Undo puts them back.
    d.find_element(By.ID, "undo").click()
    wait_for("the undo", lambda: _cohort_of(d, mover) == home and _revision(d) != start + 1)
    # The keyboard does the same: Ctrl+Shift+Z redoes, Ctrl+Z undoes.
    body = d.find_element(By.TAG_NAME, "body")
    ActionChains(d).key_down(Keys.CONTROL).key_down(Keys.SHIFT).send_keys_to_element(
        body, "z"
    ).key_up(Keys.SHIFT).key_up(Keys.CONTROL).perform()
    wait_for("the redo (Ctrl+Shift+Z)", lambda: _cohort_of(d, mover) == target)
    ActionChains(d).key_down(Keys.CONTROL).send_keys_to_element(body, "z").key_up(
        Keys.CONTROL
    ).perform()
    wait_for("the undo (Ctrl+Z)", lambda: _cohort_of(d, mover) == home)
    keep_console()

    # An allowed move, made with the keyboard path: "Move…" and a list of cohorts.
    pid, to = _allowed_move(server, run_id, avoid={mover, other})
    button = d.find_element(By.CSS_SELECTOR, f'li.member[data-participant="{pid}"] button.move')
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    Select(d.find_element(By.ID, "move-target")).select_by_value(to)
    d.find_element(By.ID, "move-go").click()
    wait_for("the allowed move", lambda: _cohort_of(d, pid) == to)
    assert not d.find_element(By.ID, "check-dialog").is_displayed()
    keep_console()

    # Repair the rest, follow the new run, and export its board.
    repair_limit = d.find_element(By.ID, "repair-limit")
    repair_limit.clear()
    repair_limit.send_keys("3")
    d.find_element(By.ID, "repair-deterministic").click()
    d.find_element(By.ID, "repair").click()
    wait_for("the repair run", lambda: d.find_elements(By.ID, "progress"))
    repair_id = int(d.find_element(By.ID, "progress").get_attribute("data-run"))
    assert repair_id != run_id
    _follow_run(d)
    d.find_element(By.ID, "open-board").click()
    wait_for(
        "the repaired board", lambda: d.find_elements(By.CSS_SELECTOR, "section.cohort li.member")
    )
    assert _cohort_of(d, pid) == to, "the hand move was not kept by the repair"
    board = _board_cohorts(d)
    d.find_element(By.ID, "export-link").click()
    archive = wait_for(
        "the export download", lambda: next(iter(d.downloads.glob("*.zip")), None), timeout=20
    )
    with zipfile.ZipFile(archive) as zipped:
        name = next(n for n in zipped.namelist() if n.endswith("cohorts.csv"))
        rows = list(csv.DictReader(io.StringIO(zipped.read(name).decode("utf-8"))))
    exported: dict[str, set[str]] = {}
    for row in rows:
        exported.setdefault(row["cohort_id"], set()).add(row["participant_id"])
    assert board and exported == board
    keep_console()

    # Invitations written as .eml files, one per member and facilitator of each cohort.
    d.find_element(By.CSS_SELECTOR, "#invitations summary").click()
    d.find_element(By.ID, "invite-from").send_keys("programme@example.org")
    d.find_element(By.CSS_SELECTOR, "#invite-form input[name=dry_run]").click()  # untick
    d.find_element(By.ID, "invite-go").click()
    result = d.find_element(By.ID, "invite-result")
    wait_for("the invitations", lambda: "Working" not in result.text, timeout=60)
    summary = result.text
    assert "written as .eml files" in summary, summary
    people = sum(len(members) for members in board.values())
    written = int(summary.split()[0])
    assert written >= people, summary  # and the facilitators
    assert d.find_element(By.ID, "invite-eml").is_displayed()
    keep_console()

    # The filter (htmx): typing someone's id leaves their cohort alone on the board.
    d.find_element(By.ID, "board-q").send_keys(pid)
    wait_for("the filtered board", lambda: list(_board_cohorts(d)) == [to])
    # The report of the current revision opens, styled, with no console complaint.
    d.find_element(By.ID, "report-link").click()
    wait_for("the report", lambda: d.find_elements(By.CSS_SELECTOR, "section.card[data-cohort]"))
    assert d.execute_script("return getComputedStyle(document.body).margin") == "0px"
    keep_console()

    problems = [
        e for e in console if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]
    ]
    assert problems == [], problems


def test_the_console_check_sees_a_csp_violation(server: str, browser: Any) -> None:
    """The scenario's console check is sharp: an inline style on a page is logged as refused."""
    browser.get(f"{server}/")
    browser.get_log("browser")  # drain
    browser.execute_script(
        "const box = document.createElement('div');"
        "box.innerHTML = '<p style=\"color: red\">inline</p>';"
        "document.body.append(box);"
    )
    logged = wait_for("the CSP report", lambda: browser.get_log("browser"), timeout=5)
    assert any("Content Security Policy" in entry["message"] for entry in logged), logged
