"""The hard-shape corpus at the command line's defaults (issue 25).

Run by hand, one run at a time, on quiet cores (not part of the tests)::

    python benchmarks/hard_shapes.py                          # every shape, n = 120 .. 3,000
    python benchmarks/hard_shapes.py --shapes sponsor --sizes 120

For every shape of :data:`peermatch.generate.shapes.SHAPES`, size and seed,
``peermatch generate --shape`` writes a planted population (a solution that
keeps every rule is known to exist) and ``peermatch run`` solves it with its
defaults and ``--time-limit 30`` for n <= 1,000, 60 for n <= 3,000 (wall
clock, as an organiser runs it). The table says whether it was solved (exit
0), whether every rule held (summary.json's ``violations``), and the gap in
percent and in shared value pairs (one pair in a cohort costs 1,000 at
weight 1, so ``(cost - bound) / 1000`` pairs).

Writes ``benchmarks/results/hard_shapes.csv`` and ``hard_shapes.md`` (or
under ``--out``).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from peermatch.generate.shapes import SHAPES
from peermatch.generate.writing import request_options

__all__ = ["main", "run_one", "time_limit_for"]

RESULTS = Path(__file__).resolve().parent / "results"
#: Cost of one shared value pair in a cohort at weight 1.
PAIR = 1000.0
COLUMNS = ("shape", "size", "seed", "exit", "solved", "rules_held", "cost", "bound", "gap_percent",
           "gap_pairs", "seconds")  # fmt: skip


def time_limit_for(size: int) -> int:
    """The issue's limits: 30 s up to 1,000 people, 60 s up to 3,000 (and beyond)."""
    return 30 if size <= 1000 else 60


def _peermatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peermatch", *args], capture_output=True, text=True, check=False
    )


def run_one(shape: str, size: int, seed: int, limit: float | None = None) -> dict[str, object]:
    """Generate one shaped population, solve it at the defaults, and read the outcome."""
    limit = limit if limit is not None else time_limit_for(size)
    with tempfile.TemporaryDirectory(prefix="hard-shape-") as tmp:
        data, out = Path(tmp) / "in", Path(tmp) / "out"
        made = _peermatch("generate", "--size", str(size), "--seed", str(seed), "--shape", shape,
                          "--out", str(data))  # fmt: skip
        if made.returncode:
            raise RuntimeError(made.stderr)
        # locks-together and alumni-wave write locks, pairs or a first wave besides.
        extra = request_options(data)
        began = time.monotonic()
        done = _peermatch(
            "run", str(data / "participants.csv"), "--history", str(data / "history.csv"),
            "--facilitators", str(data / "facilitators.csv"), "--config", str(data / "program.toml"),
            *extra, "--out", str(out), "--time-limit", str(limit), "--quiet",
        )  # fmt: skip
        seconds = time.monotonic() - began
        summary = json.loads((out / "summary.json").read_text()) if done.returncode == 0 else {}
    cost, bound = summary.get("objective"), summary.get("best_bound")
    gap = summary.get("gap")
    return {
        "shape": shape, "size": size, "seed": seed, "exit": done.returncode,
        "solved": done.returncode == 0, "rules_held": summary.get("violations") == 0,
        "cost": cost, "bound": bound,
        "gap_percent": None if gap is None else round(100 * gap, 2),
        "gap_pairs": None if cost is None or bound is None else round((cost - bound) / PAIR, 1),
        "seconds": round(seconds, 1),
    }  # fmt: skip


def _table(rows: list[dict[str, object]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += [
        "| " + " | ".join("" if r[c] is None else str(r[c]) for c in COLUMNS) + " |" for r in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", nargs="+", default=sorted(SHAPES), choices=sorted(SHAPES))
    parser.add_argument("--sizes", nargs="+", type=int, default=[120, 300, 1000, 3000])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1])
    parser.add_argument("--time-limit", type=float, help="Override the per-size limit.")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows = []
    for shape in args.shapes:
        for size in args.sizes:
            for seed in args.seeds:
                rows.append(run_one(shape, size, seed, args.time_limit))
                print(_table(rows[-1:]).splitlines()[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "hard_shapes.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = f"# Hard shapes at the CLI defaults\n\n{stamp}, {platform.processor() or platform.machine()}\n\n"
    (args.out / "hard_shapes.md").write_text(header + _table(rows) + "\n")
    return 0 if all(r["solved"] and r["rules_held"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
