"""A benchmark sweep: many planted populations (sizes x seeds) through one executor.

Run by hand (not part of the tests)::

    python benchmarks/sweep.py --sizes 100 300 --seeds 0 1 2 --time-limit 60
    python benchmarks/sweep.py --workers 2                   # local process pool
    python benchmarks/sweep.py --scheduler tcp://host:8786   # an existing Dask cluster
    python benchmarks/sweep.py --compare                     # here, then on a LocalCluster

Every case is solved in deterministic time with one CP-SAT worker
(:mod:`peermatch.bench.sweep`), so where it runs does not change its result:
``--compare`` runs the sweep once in this process and once on a
``distributed.LocalCluster`` of ``--workers`` single-threaded workers and
checks that every row agrees (status, cost, bound, planted cost,
violations, cohort digest); the exit code is 1 when they differ.

Writes ``benchmarks/results/sweep.csv`` and ``sweep.md`` (``--out DIR`` elsewhere).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import asdict
from pathlib import Path

from peermatch.bench.sweep import SweepCase, SweepRow, run_sweep
from peermatch.executor import DaskUnavailableError, make_executor

__all__ = ["main"]

RESULTS = Path(__file__).resolve().parent / "results"


def _write(rows: list[SweepRow], out: Path, label: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    fields = ["where", *asdict(rows[0]).keys()] if rows else ["where"]
    with open(out / "sweep.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for r in rows:
            writer.writerow({"where": label, **asdict(r)})
    lines = [
        f"Sweep ({label}); deterministic time, 1 CP-SAT worker per case.",
        "",
        "| n | seed | limit (s) | status | cost | bound | gap | planted cost | violations | digest | runtime (s) |",
        "|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        gap = "–"
        if r.objective and r.bound is not None:
            gap = f"{100 * (r.objective - r.bound) / r.objective:.2f} %"
        lines.append(
            f"| {r.size} | {r.seed} | {r.time_limit:g} | {r.status} | {r.objective or '–'} | "
            f"{r.bound if r.bound is not None else '–'} | {gap} | {r.planted_cost or '–'} | "
            f"{r.violations if r.violations is not None else '–'} | `{r.digest}` | {r.runtime:.1f} |"
        )
    (out / "sweep.md").write_text("\n".join(lines) + "\n")


def _on_local_cluster(cases: list[SweepCase], workers: int) -> list[SweepRow]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
        make_executor(scheduler=client) as dask,
    ):
        return run_sweep(cases, dask)


def main(argv: list[str] | None = None) -> int:
    """Run the sweep; 0 on success, 1 when ``--compare`` finds a difference, 2 without Dask."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=0, help="local processes (0: one per core)")
    ap.add_argument("--scheduler", help="a Dask scheduler address")
    ap.add_argument("--compare", action="store_true", help="here, then on a LocalCluster")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    cases = [SweepCase(n, s, args.time_limit) for n in args.sizes for s in args.seeds]
    started = time.monotonic()
    try:
        if args.compare:
            here = run_sweep(cases, make_executor(1))
            there = _on_local_cluster(cases, max(1, args.workers or 2))
            same = [r.reproducible() for r in here] == [r.reproducible() for r in there]
            _write(here, args.out, f"here and on a LocalCluster: {'same' if same else 'DIFFERENT'}")
            print(f"{len(cases)} cases, local and LocalCluster {'agree' if same else 'DIFFER'}")
            return 0 if same else 1
        with make_executor(args.workers or None, args.scheduler) as executor:
            rows = run_sweep(cases, executor)
            label = f"{executor.kind}, {executor.workers} worker(s)"
    except (DaskUnavailableError, ImportError) as exc:
        print(f"sweep: {exc}", file=sys.stderr)
        return 2
    _write(rows, args.out, label)
    print(f"{len(cases)} cases in {time.monotonic() - started:.1f} s ({label})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
