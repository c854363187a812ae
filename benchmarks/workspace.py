"""Workspace latency: move checks and the board's first paint, at 1,000 and 10,000 people.

Issue 27's targets: a move check answers in under 100 ms at 1,000
participants and under 500 ms at 10,000 (the checker limited to the two
cohorts concerned); the board of a 10,000-person program stays usable.

For each size the script starts ``peermatch serve`` on a temporary data
folder, loads a program (the example for ``example``, otherwise
``peermatch generate --size N --seed 1 --planted``), runs it with
``--time-limit`` seconds, then measures

- **move check**: ``--checks`` calls of ``POST /api/v1/runs/ID/moves/check``
  (a random member to a random other cohort, seeded), wall time per call as
  a client sees it (median, 95th percentile, max), and how many were allowed;
- **first board paint**: headless Chromium opens ``/runs/ID/board``
  ``--paints`` times; the browser's own ``first-contentful-paint`` and the
  navigation's ``responseEnd`` (server answer) and ``domContentLoadedEventEnd``.

Run by hand, on quiet cores (it is not part of the test suite)::

    python benchmarks/workspace.py --sizes example 1000 10000 --time-limit 120 \
        --json benchmarks/results/workspace.json

The 10,000-person run needs its search time (``--time-limit``) plus a few
minutes for generating, reading and writing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from workspace_client import TABLES, api_call

REPO = Path(__file__).resolve().parents[1]
TOKEN = "benchmark"


def call(base: str, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any:
    """One API call with the bearer token; its JSON answer."""
    return api_call(base, TOKEN, method, path, body, raw, timeout=600)


def inputs_for(size: str, folder: Path) -> Path:
    """The folder of the program's tables: the example, or a generated population."""
    if size == "example":
        return REPO / "data" / "examples"
    subprocess.run(
        [
            *(sys.executable, "-m", "peermatch", "generate", "--size", size, "--seed", "1"),
            *("--planted", "--out", str(folder)),
        ],
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    return folder


class Server:
    """``peermatch serve`` on a free port and a temporary data folder."""

    def __init__(self, data: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "PEERMATCH_TOKEN": TOKEN, "PYTHONPATH": str(REPO / "src")}
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "peermatch", "serve", "--no-browser"),
                *("--port", str(port), "--data", str(data)),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                call(self.base, "GET", "/programs")
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the server did not start")

    def stop(self) -> None:
        """Stop the server process."""
        self.process.terminate()
        self.process.wait(timeout=30)


def solved_run(base: str, tables: Path, time_limit: float) -> int:
    """Upload the tables, run, wait for the end; the run id."""
    program = call(base, "POST", "/programs", {"name": f"benchmark {tables.name}"})["id"]
    for table, name in TABLES.items():
        if (tables / name).exists():
            raw = (tables / name).read_bytes()
            call(base, "PUT", f"/programs/{program}/inputs/{table}", raw=raw)
    run_id = int(
        call(base, "POST", f"/programs/{program}/runs", {"time_limit": time_limit})["run_id"]
    )
    while True:
        status = call(base, "GET", f"/runs/{run_id}")
        if status["status"] not in ("queued", "running"):
            break
        time.sleep(1.0)
    if not status["has_solution"]:
        raise SystemExit(f"run {run_id} ended without a solution: {status}")
    return run_id


def move_checks(base: str, run_id: int, count: int, seed: int) -> dict[str, Any]:
    """Latency of ``count`` random move checks (ms, as a client sees them)."""
    cohorts = call(base, "GET", f"/runs/{run_id}/cohorts")["cohorts"]
    rng = random.Random(seed)
    times, allowed = [], 0
    for _ in range(count):
        source, target = rng.sample(cohorts, 2)
        body = {"participant_id": rng.choice(source["members"]), "to_cohort": target["cohort_id"]}
        start = time.perf_counter()
        answer = call(base, "POST", f"/runs/{run_id}/moves/check", body)
        times.append(1000 * (time.perf_counter() - start))
        allowed += bool(answer["allowed"])
    times.sort()
    return {
        "checks": count,
        "allowed": allowed,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
        "cohorts": len(cohorts),
    }


def board_paints(base: str, run_id: int, count: int) -> dict[str, Any]:
    """The board's first contentful paint in headless Chromium (ms), ``count`` times."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options
    )
    script = (
        "const nav = performance.getEntriesByType('navigation')[0];"
        "const fcp = performance.getEntriesByName('first-contentful-paint')[0];"
        "return {fcp: fcp ? fcp.startTime : null, response: nav.responseEnd,"
        " dom: nav.domContentLoadedEventEnd, bytes: nav.transferSize,"
        " cards: document.querySelectorAll('section.cohort').length};"
    )
    samples = []
    try:
        driver.get(f"{base}/?token={TOKEN}")
        for _ in range(count):
            driver.get(f"{base}/runs/{run_id}/board")
            time.sleep(0.3)  # the paint entry is recorded just after load
            samples.append(driver.execute_script(script))
    finally:
        driver.quit()

    def median(key: str) -> float | None:
        values = [s[key] for s in samples if s[key] is not None]
        return round(statistics.median(values), 1) if values else None

    return {
        "paints": count,
        "first_contentful_paint_ms": median("fcp"),
        "server_response_end_ms": median("response"),
        "dom_content_loaded_ms": median("dom"),
        "page_bytes": samples[-1]["bytes"] if samples else None,
        "cards_on_page": samples[-1]["cards"] if samples else None,
    }


def main() -> None:
    """Measure each size and print (and optionally save) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["example", "1000", "10000"])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--paints", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or None},
        "cores": os.cpu_count(),
        "sizes": {},
    }
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as scratch:
            tables = inputs_for(size, Path(scratch) / "inputs")
            server = Server(Path(scratch) / "data")
            try:
                run_id = solved_run(server.base, tables, args.time_limit)
                checks = move_checks(server.base, run_id, args.checks, args.seed)
                paints = board_paints(server.base, run_id, args.paints)
            finally:
                server.stop()
        results["sizes"][size] = {"move_check": checks, "board": paints}
        print(size, json.dumps(results["sizes"][size]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
