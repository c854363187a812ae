"""Screenshots of the workspace for the documentation (headless Chromium).

Starts ``peermatch serve`` on a temporary data folder, loads the example
program (``data/examples/``) through the API, starts a run and saves

- ``workspace-progress.png``: the run page while the search is going,
- ``workspace-board.png``: the board of the finished run,
- ``workspace-check.png``: the board's dialog for a move that breaks a rule
  (a history pair of the example),

into ``docs/img/`` (or ``--out``). Needs the web extra, Selenium, Chromium and
chromedriver. Usage::

    python benchmarks/screenshots.py [--out docs/img] [--time-limit 20]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workspace_client import TABLES as INPUTS
from workspace_client import api_call

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "data" / "examples"
TOKEN = "screenshots"


def call(base: str, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any:
    """One API call with the bearer token; the JSON answer (raises on an error status)."""
    return api_call(base, TOKEN, method, path, body, raw, timeout=60)


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 120) -> Any:
    """Poll ``probe`` until truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = probe()
            if found:
                return found
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def start_server(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``peermatch serve`` on a free port; the process and its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PEERMATCH_TOKEN": TOKEN, "PYTHONPATH": str(REPO / "src")}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "peermatch", "serve", "--no-browser"),
            *("--port", str(port), "--data", str(data)),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for("the server", lambda: call(base, "GET", "/programs") is not None, timeout=60)
    return process, base


def browser(width: int, height: int) -> Any:
    """Headless Chromium under Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options
    )
    return driver


def load_example(base: str) -> int:
    """A program with the example's tables; its id."""
    program = call(base, "POST", "/programs", {"name": "Leadership Circles 2027"})["id"]
    for table, name in INPUTS.items():
        call(base, "PUT", f"/programs/{program}/inputs/{table}", raw=(EXAMPLES / name).read_bytes())
    return int(program)


def history_move(base: str, run_id: int) -> tuple[str, str]:
    """A history pair in two cohorts: (who to drag, the other's cohort)."""
    cohorts = call(base, "GET", f"/runs/{run_id}/cohorts")["cohorts"]
    where = {pid: c["cohort_id"] for c in cohorts for pid in c["members"]}
    with (EXAMPLES / "history.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            a, b = row["person_a"], row["person_b"]
            if where.get(a) and where.get(b) and where[a] != where[b]:
                return a, where[b]
    raise SystemExit("no history pair in two cohorts")


def main() -> None:
    """Take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    parser.add_argument("--time-limit", type=float, default=20.0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        process, base = start_server(Path(data))
        driver = browser(1400, 900)
        try:
            program = load_example(base)
            run_id = call(
                base, "POST", f"/programs/{program}/runs", {"time_limit": args.time_limit}
            )["run_id"]
            driver.get(f"{base}/?token={TOKEN}")
            driver.get(f"{base}/runs/{run_id}")
            wait_for(
                "a first solution",
                lambda: call(base, "GET", f"/runs/{run_id}")["objective"] is not None,
            )
            time.sleep(1.5)  # let the page take the event
            driver.save_screenshot(str(args.out / "workspace-progress.png"))
            wait_for(
                "the run to end",
                lambda: call(base, "GET", f"/runs/{run_id}")["status"] == "done",
                timeout=args.time_limit * 10 + 60,
            )
            driver.set_window_size(1400, 1200)
            driver.get(f"{base}/runs/{run_id}/board")
            time.sleep(1.0)
            driver.save_screenshot(str(args.out / "workspace-board.png"))
            who, where = history_move(base, run_id)
            driver.execute_script(
                "document.querySelector('li.member[data-participant=\"' + arguments[0] + '\"] "
                "button.move').click();",
                who,
            )
            driver.execute_script(
                "const s = document.getElementById('move-target'); s.value = arguments[0];"
                "document.getElementById('move-go').click();",
                where,
            )
            time.sleep(2.0)
            driver.save_screenshot(str(args.out / "workspace-check.png"))
        finally:
            driver.quit()
            process.terminate()
            process.wait(timeout=20)
    for name in ("workspace-progress.png", "workspace-board.png", "workspace-check.png"):
        print(args.out / name)


if __name__ == "__main__":
    main()
