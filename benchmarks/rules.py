"""The cost of the placement rules: planted programs with and without all four.

Run by hand (not part of the tests)::

    python benchmarks/rules.py                              # 300, 1,000 and 10,000 at 60 s
    python benchmarks/rules.py --sizes 300 --time-limit 20  # a quick check

For each size one planted population is generated twice from the same seed
(:func:`peermatch.generate.generate_population`): once as it is, and once with
``placement_rules=True``, which adds gender, market and company_size columns
and ``[limits] market = 1``, ``[presence] gender = 2``, ``[required] gender =
["Woman"]`` and ``[closeness] company_size = 1`` (the planted assignment keeps
them, so a solution exists). Each is solved with the same ``--time-limit``
(wall clock) and workers; the independent checker
(:func:`peermatch.violations.violations`) counts broken rules, the four
placement rules apart, and the gap to the solver's bound, the wall clock
against the limit and the people left out are recorded next to each other,
so the cost of the rules is visible.

Writes ``benchmarks/results/rules.csv`` and ``benchmarks/results/rules.md``.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from peermatch.generate import generate_population
from peermatch.rules import Rule
from peermatch.violations import violations

__all__ = ["main", "run"]

RESULTS = Path(__file__).resolve().parent / "results"
PLACEMENT = (Rule.LIMITS, Rule.PRESENCE, Rule.REQUIRED, Rule.CLOSENESS)
FIELDS = [
    "size", "rules", "status", "objective", "best_bound", "gap", "unassigned",
    "broken", "broken_placement", "time_limit", "wall_s", "workers", "seed",
]  # fmt: skip


def run(
    size: int, placement_rules: bool, time_limit: float, workers: int, seed: int
) -> dict[str, Any]:
    """Generate, solve and check one planted program; one row of the table."""
    from peermatch.deadline import Deadline
    from peermatch.params import SolveParams
    from peermatch.solvers.cpsat import solve

    pop = generate_population(size, seed, planted=True, placement_rules=placement_rules)
    started = time.monotonic()
    params = SolveParams(time_limit=time_limit, seed=seed, workers=workers, deterministic=False)
    result = solve(pop.problem, params, deadline=Deadline(time_limit))
    wall = time.monotonic() - started
    broken: Counter[Rule] = Counter()
    if result.solution is not None:
        broken.update(v.rule for v in violations(pop.problem, result.solution))
    return {
        "size": size,
        "rules": "all four" if placement_rules else "none",
        "status": str(result.status),
        "objective": result.objective,
        "best_bound": result.best_bound,
        "gap": None if result.gap is None else round(result.gap, 4),
        "unassigned": len(result.solution.unassigned) if result.solution else None,
        "broken": sum(broken.values()),
        "broken_placement": sum(broken[r] for r in PLACEMENT),
        "time_limit": time_limit,
        "wall_s": round(wall, 1),
        "workers": result.workers,
        "seed": seed,
    }


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _write(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / "rules.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# Placement rules: planted programs with and without all four",
        "",
        f"Commit {_commit()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; --time-limit {args.time_limit:g} s (wall clock), "
        f"workers {args.workers}, seed {args.seed}.",
        "",
        "| " + " | ".join(FIELDS) + " |",
        "|" + "---|" * len(FIELDS),
    ]
    lines += ["| " + " | ".join(str(r[k]) for k in FIELDS) + " |" for r in rows]
    (RESULTS / "rules.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 10000])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rows = []
    for size in args.sizes:
        for placement_rules in (False, True):
            row = run(size, placement_rules, args.time_limit, args.workers, args.seed)
            print(row, flush=True)
            rows.append(row)
    _write(rows, args)


if __name__ == "__main__":
    main()
