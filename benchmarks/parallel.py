"""Gap to the bound and speed-up against workers on planted populations (issue 12).

Run by hand on quiet cores (not part of the tests)::

    python benchmarks/parallel.py                                   # n = 300 ... 10,000, workers 1 and 2, 60 s wall clock
    python benchmarks/parallel.py --sizes 300 --workers 1 2 4 8     # where a machine has more cores
    python benchmarks/parallel.py --sizes 120 --time-limit 3        # a smoke run

For each size a planted population with facilitators is generated (seed
``--seed``), and solved once per worker count with a **wall-clock** limit
(``deterministic=False``: the point is what N cores give in the same time).
Each row records the cost, the bound and the gap, the planted solution's
cost and whether the bound is below it (it must be: the planted assignment
is feasible), the independent checker's violations, and the neighbourhoods
solved (``lns_iterations``: the sequential search's steps plus every
neighbourhood of the parallel rounds). ``speed-up`` is neighbourhoods per second
against the single-worker row of the same size.

Writes ``benchmarks/results/parallel.csv`` and ``parallel.md`` (``--out DIR`` elsewhere).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "run_one"]

RESULTS = Path(__file__).resolve().parent / "results"


def run_one(size: int, seed: int, workers: int, time_limit: float) -> dict[str, Any]:
    """One solve; a dict row."""
    from peermatch.generate import generate_population
    from peermatch.metrics import diversity_cost
    from peermatch.solvers.cpsat import solve
    from peermatch.violations import violations

    pop = generate_population(size, seed, planted=True)
    planted = diversity_cost(pop.problem, pop.planted) if pop.planted else None
    started = time.monotonic()
    result = solve(pop.problem, time_limit=time_limit, seed=0, workers=workers, deterministic=False)
    wall = time.monotonic() - started
    lns = result.stats.lns
    hoods = lns.iterations if lns is not None else 0
    sol = result.solution
    return {
        "size": size,
        "seed": seed,
        "workers": workers,
        "time_limit": time_limit,
        "status": str(result.status),
        "objective": result.objective,
        "bound": result.best_bound,
        "gap_pct": None if result.gap is None else round(100 * result.gap, 2),
        "planted_cost": planted,
        "bound_below_planted": None
        if planted is None or result.best_bound is None
        else result.best_bound <= planted,
        "violations": None if sol is None else sum(1 for _ in violations(pop.problem, sol)),
        "neighbourhoods": hoods,
        "wall_s": round(wall, 2),
        "load_1min": round(os.getloadavg()[0], 2),
    }


def _write(rows: list[dict[str, Any]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    base = {(r["size"]): r["neighbourhoods"] / r["wall_s"] for r in rows if r["workers"] == 1}
    for r in rows:
        one = base.get(r["size"])
        r["speed_up"] = round(r["neighbourhoods"] / r["wall_s"] / one, 2) if one else None
    with open(out / "parallel.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    head = "| n | workers | status | cost | bound | gap | planted cost | bound <= planted | violations | neighbourhoods | speed-up | wall (s) | load |"
    lines = [head, "|" + "---:|" * 13]
    for r in rows:
        lines.append(
            "| {size} | {workers} | {status} | {objective} | {bound} | {gap_pct} % | {planted_cost} | "
            "{bound_below_planted} | {violations} | {neighbourhoods} | {speed_up} | {wall_s} | {load_1min} |".format(
                **r
            )
        )
    (out / "parallel.md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run every (size, workers) pair one after another."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 3000, 10000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    rows = []
    for size in args.sizes:
        for w in args.workers:
            row = run_one(size, args.seed, w, args.time_limit)
            print(row, flush=True)
            rows.append(row)
    _write(rows, args.out)
    bad = [r for r in rows if r["bound_below_planted"] is False or r["violations"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
