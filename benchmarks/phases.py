"""Per-phase times and peak memory of one run, on planted populations (issue 11).

Run by hand, on quiet cores (not part of the tests)::

    python benchmarks/phases.py                                # n = 120, 300, 1000, 10000, 100000
    python benchmarks/phases.py --sizes 120 300 --time-limit 5  # a smoke run

For each size a planted population with facilitators, history and several
time zones is generated (``peermatch generate --planted``) into a temporary
folder, then ``peermatch run --time-limit S`` (wall-clock mode) runs in a
fresh subprocess under ``/usr/bin/time -v`` when available (peak RSS), and a
second subprocess times each phase on its own (reading, slot table,
pre-solve checks, instance, greedy start, facilitators, bound, finishing,
checking, writing). Writes ``benchmarks/results/phases.csv``, ``phases.md``
and ``phases.png`` (time and memory against n).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main"]

RESULTS = Path(__file__).resolve().parent / "results"
PHASES = (
    "read", "slot_table", "presolve", "instance", "greedy", "facilitators", "bound",
    "finish", "violations", "write",
)  # fmt: skip

_PHASE_SCRIPT = r"""
import json, resource, sys, time, tempfile
from pathlib import Path
d = Path(sys.argv[1]); out = {}
t = time.monotonic()
def lap(name):
    global t
    now = time.monotonic(); out[name] = round(now - t, 3); t = now
from peermatch.io import read_problem
p = read_problem(d / "participants.csv", history=d / "history.csv",
                 facilitators=d / "facilitators.csv", config=d / "program.toml"); lap("read")
from peermatch.compat import slot_table
table = slot_table(p); lap("slot_table")
from peermatch.presolve import presolve_checks
presolve_checks(p, table); lap("presolve")
from peermatch.solvers.instance import build_instance
inst = build_instance(p, table); inst.options_of; lap("instance")
from peermatch.solvers.greedy import greedy_cohorts
g = greedy_cohorts(inst, 0); lap("greedy")
from peermatch.solvers.finish import assign_facilitators, finish_solution
facs = assign_facilitators(inst, g.cohorts); lap("facilitators")
from peermatch.solvers.cpsat._run import lower_bound as _bound
_bound(inst, 0); lap("bound")
sol = finish_solution(inst, g.cohorts, g.unplaced, facs); lap("finish")
from peermatch.violations import violations
list(violations(p, sol)); lap("violations")
from peermatch.io.writers import write_outputs
from peermatch.solution import Result, Status
write_outputs(Path(tempfile.mkdtemp()) / "out", p, Result(status=Status.FEASIBLE, solution=sol,
              runtime=0.0, seed=0, workers=1)); lap("write")
out["phase_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(out))
"""


def _generate(size: int, folder: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "peermatch", "generate", "--size", str(size), "--seed", "1",
         "--planted", "--out", str(folder)],
        check=True, capture_output=True,
    )  # fmt: skip


def _whole_run(folder: Path, limit: float) -> dict[str, object]:
    """The CLI run: wall clock against the limit, peak memory, status."""
    out = folder / "out"
    args = [sys.executable, "-m", "peermatch", "run", str(folder / "participants.csv"),
            "--history", str(folder / "history.csv"), "--facilitators",
            str(folder / "facilitators.csv"), "--config", str(folder / "program.toml"),
            "--out", str(out), "--time-limit", str(limit), "--quiet"]  # fmt: skip
    timed = Path("/usr/bin/time").exists()
    began = time.monotonic()
    done = subprocess.run(
        (["/usr/bin/time", "-v", *args] if timed else args), capture_output=True, text=True
    )
    wall = time.monotonic() - began
    peak = None
    for line in done.stderr.splitlines():
        if "Maximum resident set size" in line:
            peak = round(int(line.split(":")[1]) / 1024, 1)
    row: dict[str, object] = {"time_limit": limit, "wall_s": round(wall, 2), "code": done.returncode,
                              "peak_rss_mb": peak}  # fmt: skip
    if (out / "summary.json").exists():
        summary = json.loads((out / "summary.json").read_text())
        row.update(status=summary["status"], rules_broken=summary.get("violations"),
                   objective=summary.get("objective"), gap=summary.get("gap"))  # fmt: skip
    return row


def _phases(folder: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PHASE_SCRIPT, str(folder)], capture_output=True, text=True
    )
    if done.returncode != 0:
        return {"phase_error": done.stderr.strip().splitlines()[-1:]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _plot(rows: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(r["size"]) for r in rows]  # type: ignore[call-overload]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for phase in PHASES:
        left.plot(sizes, [float(r.get(phase) or 0) for r in rows], marker="o", label=phase)  # type: ignore[arg-type]
    left.plot(sizes, [float(r["wall_s"]) for r in rows], "k--", label="whole run")  # type: ignore[arg-type]
    left.set(xscale="log", yscale="log", xlabel="participants", ylabel="seconds")
    left.legend(fontsize=7)
    right.plot(sizes, [float(r.get("peak_rss_mb") or 0) for r in rows], marker="o")  # type: ignore[arg-type]
    right.set(xscale="log", xlabel="participants", ylabel="peak RSS (MB)")
    fig.tight_layout()
    fig.savefig(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[120, 300, 1000, 10_000, 100_000])
    parser.add_argument("--time-limit", type=float, nargs="+", default=None,
                        help="one per size (default: 20 s to 1000, 60 s at 10,000, 900 s above)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    limits = args.time_limit or [
        20 if n <= 1000 else 60 if n <= 10_000 else 900 for n in args.sizes
    ]
    limits = (limits * len(args.sizes))[: len(args.sizes)]
    rows = []
    for size, limit in zip(args.sizes, limits, strict=True):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            _generate(size, folder)
            row: dict[str, object] = {"size": size, **_whole_run(folder, limit), **_phases(folder)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    results: Path = args.out
    results.mkdir(parents=True, exist_ok=True)
    fields = sorted(
        {k for r in rows for k in r}, key=lambda k: (k not in ("size", "time_limit", "wall_s"), k)
    )
    with open(results / "phases.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| " + " | ".join(fields) + " |", "|" + "---|" * len(fields)]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in fields) + " |" for r in rows]
    (results / "phases.md").write_text(
        "# Per-phase times (s) and peak memory (MB)\n\n" + "\n".join(lines) + "\n"
    )
    _plot(rows, results / "phases.png")


if __name__ == "__main__":
    main()
