"""SIGINT and SIGTERM: the best solution so far is written, marked as interrupted, or nothing at all.

The end-to-end tests send real signals to a ``peermatch run`` subprocess (one
for each signal, on the two solve paths: the whole model below
``LNS_THRESHOLD`` participants, neighbourhood search above). The in-process
tests raise real signals at chosen moments (after the greedy start, while
writing) to pin down what each moment gives.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from checks import assert_nothing_lost
from peermatch.cli import main
from peermatch.generate import generate_population, write_population
from peermatch.io import outdir
from peermatch.solution import Status
from peermatch.solvers.cpsat import solve, solving
from peermatch.solvers.instance import UNASSIGNED_WEIGHT

pytestmark = pytest.mark.usefixtures("python_signal_defaults")


def _inputs(tmp_path: Path, size: int, seed: int, difficulty: str = "normal") -> dict[str, Path]:
    population = generate_population(size, seed, planted=True, difficulty=difficulty)
    return {p.name: p for p in write_population(population, tmp_path / "in")}


def _run_args(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return ["run", str(files["participants.csv"]), "--facilitators", str(files["facilitators.csv"]),
            "--history", str(files["history.csv"]), "--config", str(files["program.toml"]),
            "--out", str(out), *extra]  # fmt: skip


def _children(pid: int) -> list[str]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return path.read_text().split() if path.exists() else []


def _default_signals() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)


def _signal_once_complete(
    args: list[str], signum: int, *, group: bool = False
) -> tuple[subprocess.Popen[str], str, str]:
    """Start ``peermatch`` with ``args``, send ``signum`` once progress shows a complete solution.

    With ``group`` the signal goes to the whole process group, as a terminal's
    Ctrl-C does, once the worker processes are running.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "peermatch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=group,  # its own group: the signal must not reach pytest
        # As a shell starts a foreground job: default dispositions. A signal left ignored
        # in this pytest process by an earlier test would otherwise be inherited (and
        # peermatch rightly keeps an ignored signal ignored).
        preexec_fn=_default_signals,
    )
    seen: list[str] = []
    try:
        # Wait until progress reports a complete solution (cost below the price of one
        # person left out): the signal must then keep it. Only the reading is bounded.
        assert proc.stderr is not None
        deadline = time.monotonic() + 100
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            match = re.search(r"cost ([\d,]+)", line)
            if match and int(match.group(1).replace(",", "")) < UNASSIGNED_WEIGHT:
                break
        assert seen and "cost" in seen[-1], seen
        while group and len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not group or len(_children(proc.pid)) >= 2, "no worker processes started"
        time.sleep(1)
        if group:
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
        # A hang guard, not a speed test: ignoring the signal would run on for ~2 minutes.
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc, stdout, "".join(seen) + stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "size", "workers"),
    [(signal.SIGINT, 300, 1), (signal.SIGTERM, 80, 1), (signal.SIGINT, 300, 2)],
    ids=["SIGINT-neighbourhood-search", "SIGTERM-whole-model", "SIGINT-group-two-workers"],
)
def test_a_signal_keeps_the_best_solution_so_far(
    tmp_path: Path, signum: int, size: int, workers: int
) -> None:
    if workers > 1 and not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to see the worker processes")
    files = _inputs(tmp_path, size, 2)
    out = tmp_path / "out"
    args = _run_args(files, out, "--time-limit", "120", "--workers", str(workers))
    proc, stdout, stderr = _signal_once_complete(args, signum, group=workers > 1)
    assert proc.returncode == 0, (proc.returncode, stderr)
    assert "Traceback" not in stderr
    name = signal.Signals(signum).name
    assert f"interrupted by {name}" in stderr
    assert "cohorts" in stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["interrupted"] is True and summary["interrupted_by"] == name
    assert summary["status"] in ("feasible", "optimal") and summary["violations"] == 0
    assert summary["runtime"] < 100  # stopped by the signal, not by the 120 s limit
    assert assert_nothing_lost(files["participants.csv"], out) == (size, 0)
    assert [p.name for p in tmp_path.iterdir() if "peermatch" in p.name] == []


@pytest.fixture
def hard_60(tmp_path: Path) -> dict[str, Path]:
    """A planted program whose greedy start leaves 6 people out (so no solution exists yet)."""
    return _inputs(tmp_path, 60, 3, "hard")


def _signal_after_greedy(monkeypatch: pytest.MonkeyPatch, signum: int) -> None:
    real = solving.greedy_cohorts

    def greedy_then_signal(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        signal.raise_signal(signum)
        return found

    monkeypatch.setattr(solving, "greedy_cohorts", greedy_then_signal)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_before_any_solution_writes_nothing(
    hard_60: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    _signal_after_greedy(monkeypatch, signum)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, _run_args(hard_60, out, "--time-limit", "60", "--quiet"))
    assert result.exit_code == 4, (result.output, result.exception)
    name = signal.Signals(signum).name
    assert f"interrupted by {name} before any solution was found; nothing was written" in (
        result.stderr
    )
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_the_library_marks_an_interrupted_result(
    hard_60: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from peermatch.io import read_problem

    problem = read_problem(hard_60["participants.csv"], history=hard_60["history.csv"],
                           facilitators=hard_60["facilitators.csv"], config=hard_60["program.toml"])  # fmt: skip
    _signal_after_greedy(monkeypatch, signal.SIGTERM)
    before = signal.getsignal(signal.SIGTERM)
    started = time.monotonic()
    result = solve(problem, problem.config.solver.params().replace(time_limit=60))
    assert time.monotonic() - started < 30  # the search stopped at once, not at the limit
    assert result.interrupted == "SIGTERM"
    assert result.status == Status.UNKNOWN and result.solution is None
    assert signal.getsignal(signal.SIGTERM) is before  # the caller's handler is back
    monkeypatch.undo()
    again = solve(problem, problem.config.solver.params().replace(time_limit=5))
    assert again.interrupted is None


def test_a_signal_while_writing_completes_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _inputs(tmp_path, 24, 1)
    out = tmp_path / "out"
    real = outdir._write_file
    calls = []

    def write_then_signal(path: Path, data: bytes) -> None:
        calls.append(path.name)
        if len(calls) == 2:
            signal.raise_signal(signal.SIGTERM)
        real(path, data)

    monkeypatch.setattr(outdir, "_write_file", write_then_signal)
    result = CliRunner().invoke(main, _run_args(files, out, "--time-limit", "5", "--quiet"))
    assert result.exit_code == 0, (result.output, result.exception)
    assert (
        "interrupted by SIGTERM after solving: the output was written whole first" in result.stderr
    )
    assert len(calls) > 2  # the write went on after the signal
    assert len(list(out.rglob("*"))) >= len(calls)
    assert_nothing_lost(files["participants.csv"], out)
    assert [p.name for p in tmp_path.iterdir() if "peermatch" in p.name] == []


def test_the_library_delivers_a_deferred_signal_after_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside the command line, write_outputs finishes the folder, then lets the signal act."""
    from peermatch.io import read_problem
    from peermatch.io.writers import write_outputs

    files = _inputs(tmp_path, 24, 1)
    problem = read_problem(files["participants.csv"], config=files["program.toml"])
    result = solve(problem, problem.config.solver.params().replace(time_limit=5))
    assert result.solution is not None
    events: list[str] = []
    real = outdir._write_file

    def write_then_signal(path: Path, data: bytes) -> None:
        if not events:
            events.append("signal")
            signal.raise_signal(signal.SIGTERM)
        events.append("write")
        real(path, data)

    monkeypatch.setattr(outdir, "_write_file", write_then_signal)
    previous = signal.signal(signal.SIGTERM, lambda *_: events.append("handler"))
    try:
        written = write_outputs(tmp_path / "out", problem, result)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert events[0] == "signal" and events[-1] == "handler" and events.count("handler") == 1
    assert events.count("write") == len(written)
    assert all(p.is_file() for p in written)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_reading_stops_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    import peermatch.io

    files = _inputs(tmp_path, 24, 1)
    real = peermatch.io.read_problem
    after: list[str] = []

    def read_then_signal(*args: Any, **kwargs: Any) -> Any:
        problem = real(*args, **kwargs)
        signal.raise_signal(signum)
        after.append("went on")  # never reached: the signal stops the command here
        return problem

    monkeypatch.setattr(peermatch.io, "read_problem", read_then_signal)
    out = tmp_path / "out"
    handlers = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)]
    result = CliRunner().invoke(main, _run_args(files, out, "--quiet"))
    assert result.exit_code == 4, (result.output, result.exception)
    name = signal.Signals(signum).name
    assert result.stderr == f"interrupted by {name}; nothing was written\n"
    assert after == [] and not out.exists()
    assert [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)] == handlers
