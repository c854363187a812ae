"""Per-phase times and peak memory of one run, on planted populations (issue 11).

Run by hand, on quiet cores (not part of the tests)::

    python benchmarks/phases.py                                # n = 120, 300, 1000, 10000, 100000
    python benchmarks/phases.py --sizes 120 300 --time-limit 5  # a smoke run
    python benchmarks/phases.py --sizes 10000 --workers 2 --merge  # one size, rows of others kept

For each size a planted population with facilitators, history and several
time zones is generated (``peermatch generate --shape facilitators-at-capacity``:
every facilitator seat is needed; ``--shape plain`` for ``--planted``) into a temporary
folder, then ``peermatch run --time-limit S`` (wall-clock mode) runs in a
fresh subprocess. The phase times are the run's own: its progress lines on
stderr (plain lines, as stderr is not a terminal) name each phase and the
second it started, so a phase's time is the next phase's start minus its
own, and ``writing`` runs to the end of the process (it includes the
interpreter's start-up, about 1 s, which precedes the run's clock).
``checking`` includes building the flat instance; ``warm start`` includes
the decomposition into parts above 3,000 people. Peak memory is sampled
every 0.2 s over the whole process tree (the run and its worker
processes, summed; psutil). Writes ``benchmarks/results/phases.csv``,
``phases.md`` and ``phases.png`` (time and memory against n).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["main", "phase_times"]

RESULTS = Path(__file__).resolve().parent / "results"
PHASES = ("reading", "slot table", "checking", "warm start", "bound", "search", "writing")
_LINE = re.compile(r"^(?P<phase>[a-z ]+?)\s+(?P<at>\d+(?:\.\d+)?)s of ")


def phase_times(stderr: str, wall: float) -> dict[str, float]:
    """Seconds per phase from a run's progress lines (the first line of each phase counts)."""
    starts: dict[str, float] = {}
    for line in stderr.splitlines():
        m = _LINE.match(line.strip())
        if m and m["phase"] in PHASES and m["phase"] not in starts:
            starts[m["phase"]] = float(m["at"])
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    ends = [at for _, at in ordered[1:]] + [wall]
    return {name: round(end - at, 2) for (name, at), end in zip(ordered, ends, strict=True)}


class _PeakMemory:
    """The largest summed RSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int):
        import psutil

        self.process, self.peak, self.done = psutil.Process(pid), 0, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        import psutil

        while not self.done.is_set():
            try:
                tree = [self.process, *self.process.children(recursive=True)]
                total = 0
                for proc in tree:
                    with contextlib.suppress(psutil.Error):
                        total += proc.memory_info().rss
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            self.done.wait(0.2)

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return round(self.peak / 2**20, 1)


#: The default population: planted, with facilitators each able to lead exactly the
#: cohorts they lead in the planted solution, so every facilitator seat is needed (issue 25
#: asks for n = 100,000 so; plain ``--planted`` leaves a fifth of the seats spare).
SHAPE = "facilitators-at-capacity"


def _generate(size: int, folder: Path, shape: str | None) -> None:
    kind = ["--shape", shape] if shape else ["--planted"]
    subprocess.run(
        [sys.executable, "-m", "peermatch", "generate", "--size", str(size), "--seed", "1",
         *kind, "--out", str(folder)],
        check=True, capture_output=True,
    )  # fmt: skip


def _whole_run(folder: Path, limit: float, workers: int | None) -> dict[str, object]:
    """The CLI run: wall clock against the limit, per-phase times, peak memory, status."""
    out = folder / "out"
    args = [sys.executable, "-m", "peermatch", "run", str(folder / "participants.csv"),
            "--history", str(folder / "history.csv"), "--facilitators",
            str(folder / "facilitators.csv"), "--config", str(folder / "program.toml"),
            "--out", str(out), "--time-limit", str(limit)]  # fmt: skip
    if workers is not None:
        args += ["--workers", str(workers)]
    began = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = _PeakMemory(proc.pid)
    stdout, stderr = proc.communicate()
    wall = time.monotonic() - began
    peak = memory.stop()
    row: dict[str, object] = {"time_limit": limit, "wall_s": round(wall, 2), "code": proc.returncode,
                              "peak_rss_mb": peak, "workers": workers or "toml",
                              "over_s": round(wall - limit, 2), **phase_times(stderr, wall)}  # fmt: skip
    if (out / "summary.json").exists():
        summary = json.loads((out / "summary.json").read_text())
        row.update(status=summary["status"], rules_broken=summary.get("violations"),
                   objective=summary.get("objective"), best_bound=summary.get("best_bound"),
                   gap_pct=None if summary.get("gap") is None else round(100 * summary["gap"], 2), budget_notes=summary.get("budget_notes"))  # fmt: skip
    else:
        # The whole error message (who is left out and why), not its last line alone.
        lines = (stdout + stderr).strip().splitlines()
        row.update(status="none", message=lines[-25:])
    return row


def _plot(rows: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(r["size"]) for r in rows]  # type: ignore[call-overload]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for phase in PHASES:
        left.plot(sizes, [float(r.get(phase) or 0) or None for r in rows], marker="o", label=phase)  # type: ignore[arg-type]
    left.plot(sizes, [float(r["wall_s"]) for r in rows], "k--", label="whole run")  # type: ignore[arg-type]
    left.set(xscale="log", yscale="log", xlabel="participants", ylabel="seconds")
    left.legend(fontsize=7)
    right.plot(sizes, [float(r.get("peak_rss_mb") or 0) for r in rows], marker="o")  # type: ignore[arg-type]
    right.set(
        xscale="log", yscale="log", xlabel="participants", ylabel="peak RSS, MB (run + workers)"
    )
    fig.tight_layout()
    fig.savefig(path)


_COLUMNS = ("size", "time_limit", "wall_s", "over_s", "code", "status", "rules_broken",
            "objective", "best_bound", "gap_pct", "peak_rss_mb", "workers", *PHASES)  # fmt: skip


def _commit() -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], capture_output=True, text=True).stdout.strip()

    # The results this script writes do not make the code "dirty".
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!benchmarks/results")
    dirty = "-dirty" if dirty else ""
    return git("rev-parse", "--short", "HEAD") + dirty


def _report(rows: list[dict[str, object]], results: Path) -> None:
    rows = sorted(rows, key=lambda r: int(r["size"]))  # type: ignore[call-overload]
    fields = [*_COLUMNS, *sorted({k for r in rows for k in r} - set(_COLUMNS))]
    with open(results / "phases.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    shown = [c for c in _COLUMNS if any(c in r for r in rows)]
    lines = ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in shown) + " |" for r in rows]
    notes = [f"- n = {r['size']}: {r['budget_notes']}" for r in rows if r.get("budget_notes")]
    commits = sorted({str(r.get("commit", "")) for r in rows})
    (results / "phases.md").write_text(
        "# Wall clock against --time-limit, per-phase times (s) and peak memory (MB)\n\n"
        f"`benchmarks/phases.py`, commit(s) {', '.join(commits)}; phases from the run's own "
        "progress lines (`writing` runs to the process's end and includes the interpreter's "
        "start-up); peak memory summed over the run and its worker processes.\n\n"
        + "\n".join(lines) + "\n" + ("\nWhat the runs cut short:\n" + "\n".join(notes) + "\n"
                                      if notes else "")
    )  # fmt: skip
    _plot(rows, results / "phases.png")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[120, 300, 1000, 10_000, 100_000])
    parser.add_argument("--time-limit", type=float, nargs="+", default=None,
                        help="one per size (default: 20 s to 1000, 60 s at 10,000, 840 s above)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=None, help="default: program.toml's (1)")
    parser.add_argument("--merge", action="store_true", help="keep other sizes' rows")
    parser.add_argument("--shape", default=SHAPE,
                        help=f"peermatch generate --shape (default {SHAPE}); 'plain' for --planted")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    limits = args.time_limit or [
        20 if n <= 1000 else 60 if n <= 10_000 else 840 for n in args.sizes
    ]
    limits = (limits * len(args.sizes))[: len(args.sizes)]
    results: Path = args.out
    results.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    if args.merge and (results / "phases.csv").exists():
        with open(results / "phases.csv", newline="") as f:
            rows = [r for r in csv.DictReader(f) if int(r["size"]) not in args.sizes]
    for size, limit in zip(args.sizes, limits, strict=True):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            shape = None if args.shape == "plain" else args.shape
            _generate(size, folder, shape)
            row: dict[str, object] = {"size": size, "shape": args.shape,
                                      **_whole_run(folder, limit, args.workers)}  # fmt: skip
        row["commit"] = _commit()
        print(json.dumps(row), flush=True)
        rows.append(row)
        _report(rows, results)


if __name__ == "__main__":
    main()
