"""Benchmark :func:`peermatch.mdgp.solve_mdgp` on the shared MDGPLIB instances.

Every instance with n >= 120 runs at its reference time limit from
``bks.csv`` (3 s for n = 120, 20 s for n = 240; the limits TPSDP, the
source of the best known values, was given), and with ``--long`` also at
60 s. Smaller instances run at ``--small-time`` seconds (those with n <= 12
stop as soon as CP-SAT proves optimality).

Writes ``benchmarks/results/mdgp.csv`` (one row per run) and
``benchmarks/results/mdgp.md`` (machine notes, per-size summary, all runs).
Instances are run one after another so each run has a core to itself.

Usage::

    python benchmarks/mdgp_bench.py [--data DIR] [--long] [--seed N] [--only SUBSTR]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from peermatch.mdgp import default_mdgp_dir, load_bks, read_mdgp, solve_mdgp

__all__ = ["Row", "machine_notes", "main"]

RESULTS = Path(__file__).resolve().parent / "results"
LONG_LIMIT_S = 60.0


@dataclass(frozen=True)
class Row:
    """One benchmark run."""

    instance: str
    n: int
    m: int
    time_limit_s: float
    objective: float
    bks: float | None
    gap_percent: float | None
    status: str
    runtime_s: float


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(pkg: str) -> str:
    try:
        return version(pkg)
    except PackageNotFoundError:
        return "not installed"


def machine_notes() -> dict[str, str]:
    """Describe the machine and software the benchmark ran on."""
    return {
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "ortools": _version("ortools"),
        "numpy": _version("numpy"),
        "platform": platform.platform(),
        # Other jobs on the machine slow the runs; record how busy it was.
        "load average (1/5/15 min) when written": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return ""
    # Avoid printing "-0.000" for float noise around an exact match.
    return f"{0.0 if abs(v) < 0.5 * 10**-digits else v:.{digits}f}"


def _write(rows: list[Row], notes: dict[str, str], seed: int) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / "mdgp.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["instance", "n", "m", "time_limit_s", "objective", "bks", "gap_percent", "status",
             "runtime_s"]
        )  # fmt: skip
        for r in rows:
            w.writerow(
                [r.instance, r.n, r.m, r.time_limit_s, _fmt(r.objective, 6), _fmt(r.bks, 6),
                 _fmt(r.gap_percent, 4), r.status, _fmt(r.runtime_s, 2)]
            )  # fmt: skip

    out = ["# MDGP benchmark", ""]
    out.append(
        "`solve_mdgp` (iterated tabu search; CP-SAT as well for n <= 30) on the shared "
        f"MDGPLIB instances, seed {seed}, 1 worker, instances run one at a time. "
        "Gap = 100 (bks - objective) / bks; negative means the best known value was beaten."
    )
    out += ["", "## Machine", ""]
    out += [f"- {k}: {v}" for k, v in notes.items()]
    out += ["", "## Summary by size and time limit", ""]
    out += ["| n | time limit (s) | runs | mean gap % | max gap % | mean runtime (s) |"]
    out += ["|---:|---:|---:|---:|---:|---:|"]
    keys = sorted({(r.n, r.time_limit_s) for r in rows})
    for n, tl in keys:
        sel = [r for r in rows if r.n == n and r.time_limit_s == tl]
        gaps = [r.gap_percent for r in sel if r.gap_percent is not None]
        mean_gap = _fmt(statistics.fmean(gaps)) if gaps else ""
        max_gap = _fmt(max(gaps)) if gaps else ""
        mean_rt = _fmt(statistics.fmean(r.runtime_s for r in sel), 2)
        out.append(f"| {n} | {tl:g} | {len(sel)} | {mean_gap} | {max_gap} | {mean_rt} |")
    out += ["", "## All runs", ""]
    out += [
        "| instance | n | m | time limit (s) | objective | bks | gap % | status | runtime (s) |"
    ]
    out += ["|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        out.append(
            f"| {r.instance} | {r.n} | {r.m} | {r.time_limit_s:g} | {_fmt(r.objective)} | "
            f"{_fmt(r.bks)} | {_fmt(r.gap_percent)} | {r.status} | {_fmt(r.runtime_s, 2)} |"
        )
    (RESULTS / "mdgp.md").write_text("\n".join(out) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return a process exit code."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="MDGP data directory")
    ap.add_argument("--long", action="store_true", help=f"also run n>=120 at {LONG_LIMIT_S:g} s")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--small-time", type=float, default=5.0, help="limit for n < 120 (s)")
    ap.add_argument("--only", default=None, help="only instances whose name contains this")
    args = ap.parse_args(argv)

    data = args.data if args.data is not None else default_mdgp_dir()
    inst_dir = data / "instances"
    if not inst_dir.is_dir():
        print(f"error: no instances under {data}", file=sys.stderr)
        return 1
    bks = load_bks(data)
    files = sorted(inst_dir.glob("*.txt"))
    if args.only:
        files = [f for f in files if args.only in f.stem]
    instances = sorted((read_mdgp(f) for f in files), key=lambda i: (i.n, i.name))

    rows: list[Row] = []
    for inst in instances:
        rec = bks.get(inst.name)
        limits: list[float] = []
        if inst.n >= 120:
            ref = rec.reference_time_limit_s if rec is not None else None
            limits.append(ref if ref is not None else 3.0 if inst.n <= 120 else 20.0)
            if args.long:
                limits.append(LONG_LIMIT_S)
        else:
            limits.append(args.small_time)
        for tl in limits:
            res = solve_mdgp(
                inst,
                time_limit=tl,
                seed=args.seed,
                best_known=rec.bks if rec is not None else None,
            )
            row = Row(
                inst.name, inst.n, inst.m, tl, res.objective, res.best_known,
                res.gap_percent, res.status, res.runtime_s,
            )  # fmt: skip
            rows.append(row)
            print(
                f"{row.instance:22s} n={row.n:3d} limit={tl:5g}s obj={row.objective:14.3f} "
                f"bks={_fmt(row.bks):>14s} gap={_fmt(row.gap_percent):>7s}% "
                f"{row.status:8s} {row.runtime_s:6.2f}s",
                flush=True,
            )
            _write(rows, machine_notes(), args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
