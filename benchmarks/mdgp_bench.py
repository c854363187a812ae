"""Benchmark :func:`peermatch.mdgp.solve_mdgp` on MDGPLIB instances.

Every instance with n >= 120 runs at its reference time limit from
``bks.csv`` (the limit TPSDP, the source of the best known values, was
given: 3 s for n = 120, 20 s for 240, 120 s for 480, 600 s for 960), and
with ``--long`` also at 60 s. Smaller instances run at ``--small-time``
seconds (those with n <= 12 stop as soon as CP-SAT proves optimality).
``--iterations N`` adds a fixed budget of tabu iterations (the time limit
then only guards), which compares variants independently of machine load.
``--workers N`` runs N independent searches side by side and keeps the best
(:func:`peermatch.mdgp.islands.island_search`); the literature's figures are
single-core, so compare them with the default ``--workers 1``.

The instances can come from any folder (``--instances``; default the shared
development subset ``<data>/instances``); the report lists every n >= 120
row of ``bks.csv`` that had no instance file there. Every objective is
recomputed twice, independently of the solver: by
:func:`peermatch.mdgp.mdgp_objective` (which also checks the partition and
the size bounds) and straight from the file's ``i j d_ij`` lines; a run whose
values disagree stops the benchmark. A value above the best known one is
marked in the ``beats_bks`` column.

Writes ``benchmarks/results/mdgp.csv`` (one row per run) and
``benchmarks/results/mdgp.md`` (machine and commit, per-size summary, all
runs, instances without a file). Instances run one after another so each run
has a core to itself.

Usage::

    python benchmarks/mdgp_bench.py [--data DIR] [--instances DIR] [--long]
        [--seed N] [--only SUBSTR] [--search memetic|tabu] [--iterations N]
        [--workers N] [--results DIR]
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from peermatch.mdgp import (
    BksRecord,
    MdgpInstance,
    MdgpResult,
    default_mdgp_dir,
    load_bks,
    mdgp_objective,
    read_mdgp,
    solve_mdgp,
)
from peermatch.mdgp.solve import SEARCH_METHODS

__all__ = ["Row", "machine_notes", "main", "missing_instances", "raw_objective"]

RESULTS = Path(__file__).resolve().parent / "results"
LONG_LIMIT_S = 60.0
# Reference limits by size when bks.csv has none for an instance.
FALLBACK_LIMITS_S = ((120, 3.0), (240, 20.0), (480, 120.0))
FALLBACK_LARGEST_S = 600.0
# Relative tolerance of "above the best known value" and of the recomputations.
BEATS_TOL = 1e-9
RECOMPUTE_TOL = 1e-6


@dataclass(frozen=True)
class Row:
    """One benchmark run."""

    instance: str
    n: int
    m: int
    time_limit_s: float
    iterations: int | None
    objective: float
    bks: float | None
    gap_percent: float | None
    beats_bks: bool
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


def _commit() -> str:
    repo = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no", "src"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head


def machine_notes() -> dict[str, str]:
    """Describe the machine, software and commit the benchmark ran on."""
    return {
        "commit": _commit(),
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "ortools": _version("ortools"),
        "numpy": _version("numpy"),
        "platform": platform.platform(),
        # Other jobs on the machine slow the runs; record how busy it was.
        "load average (1/5/15 min) when written": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def raw_objective(path: Path, groups: tuple[tuple[int, ...], ...]) -> float:
    """Recompute an objective from the instance file's own lines (no matrix)."""
    where = {e: g for g, members in enumerate(groups) for e in members}
    total = 0.0
    with path.open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            parts = line.split()
            if parts and where[int(parts[0])] == where[int(parts[1])]:
                total += float(parts[2])
    return total


def missing_instances(bks: dict[str, BksRecord], present: set[str]) -> list[BksRecord]:
    """Rows of ``bks.csv`` with n >= 120 that have no instance file."""
    return sorted(
        (r for r in bks.values() if r.n >= 120 and r.instance not in present),
        key=lambda r: (r.n, r.instance),
    )


def _fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return ""
    # Avoid printing "-0.000" for float noise around an exact match.
    return f"{0.0 if abs(v) < 0.5 * 10**-digits else v:.{digits}f}"


def _target(n: int) -> float | None:
    """Gap target in % (issue 12): 0.5 % for n = 120..480, 1 % for 960."""
    if 120 <= n <= 480:
        return 0.5
    return 1.0 if n >= 960 else None


def _write_csv(rows: list[Row], results: Path) -> None:
    with (results / "mdgp.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["instance", "n", "m", "time_limit_s", "iterations", "objective", "bks",
             "gap_percent", "beats_bks", "status", "runtime_s"]
        )  # fmt: skip
        for r in rows:
            w.writerow(
                [r.instance, r.n, r.m, r.time_limit_s, r.iterations or "", _fmt(r.objective, 6),
                 _fmt(r.bks, 6), _fmt(r.gap_percent, 4), "yes" if r.beats_bks else "",
                 r.status, _fmt(r.runtime_s, 2)]
            )  # fmt: skip


def _summary(rows: list[Row]) -> list[str]:
    out = [
        "| n | time limit (s) | iterations | runs | mean gap % | max gap % | target % "
        "| within target | beats BKS | mean runtime (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, tl, it in sorted({(r.n, r.time_limit_s, r.iterations or 0) for r in rows}):
        sel = [r for r in rows if (r.n, r.time_limit_s, r.iterations or 0) == (n, tl, it)]
        gaps = [r.gap_percent for r in sel if r.gap_percent is not None]
        target = _target(n)
        within = f"{sum(g <= target for g in gaps)}/{len(gaps)}" if target is not None else ""
        out.append(
            f"| {n} | {tl:g} | {it or ''} | {len(sel)} | "
            f"{_fmt(statistics.fmean(gaps)) if gaps else ''} | {_fmt(max(gaps)) if gaps else ''} "
            f"| {'' if target is None else f'{target:g}'} | {within} | "
            f"{sum(r.beats_bks for r in sel)} | {_fmt(statistics.fmean(r.runtime_s for r in sel), 2)} |"
        )
    return out


def _write(rows: list[Row], notes: dict[str, str], args: argparse.Namespace,
           missing: list[BksRecord]) -> None:  # fmt: skip
    args.results.mkdir(parents=True, exist_ok=True)
    _write_csv(rows, args.results)
    out = ["# MDGP benchmark", ""]
    out.append(
        f"`solve_mdgp` (search `{args.search}`; CP-SAT as well for n <= 30) on the MDGPLIB "
        f"instances of `{args.instances_dir}`, seed {args.seed}, {args.workers} worker"
        f"{'s' if args.workers > 1 else ''}, instances run one at a time. Gap = 100 (bks - "
        "objective) / bks; negative means the best known value was beaten "
        "(`beats BKS`). Every objective was recomputed by `mdgp_objective` and from the file's "
        "lines."
    )
    out += ["", "## Machine", ""]
    out += [f"- {k}: {v}" for k, v in notes.items()]
    out += ["", "## Summary by size and limit", "", *_summary(rows)]
    out += ["", "## All runs", ""]
    out += [
        "| instance | n | m | time limit (s) | iterations | objective | bks | gap % | beats BKS "
        "| status | runtime (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r.instance} | {r.n} | {r.m} | {r.time_limit_s:g} | {r.iterations or ''} | "
            f"{_fmt(r.objective)} | {_fmt(r.bks)} | {_fmt(r.gap_percent)} | "
            f"{'**yes**' if r.beats_bks else ''} | {r.status} | {_fmt(r.runtime_s, 2)} |"
        )
    out += ["", f"## Rows of bks.csv (n >= 120) without an instance file: {len(missing)}", ""]
    for n in sorted({r.n for r in missing}):
        names = [r.instance for r in missing if r.n == n]
        out.append(f"- n = {n}: {len(names)} ({', '.join(names)})")
    if not missing:
        out.append("none")
    (args.results / "mdgp.md").write_text("\n".join(out) + "\n")


def _limits(inst: MdgpInstance, rec: BksRecord | None, args: argparse.Namespace) -> list[float]:
    if inst.n < 120:
        return [args.small_time]
    ref = rec.reference_time_limit_s if rec is not None else None
    if ref is None:
        ref = next((t for n, t in FALLBACK_LIMITS_S if inst.n <= n), FALLBACK_LARGEST_S)
    return [ref, LONG_LIMIT_S] if args.long else [ref]


def _checked(path: Path, inst: MdgpInstance, res: MdgpResult) -> float:
    """The objective, after two independent recomputations agree with it."""
    by_matrix = mdgp_objective(inst, res.groups)
    by_lines = raw_objective(path, res.groups)
    scale = max(1.0, abs(res.objective))
    if not (math.isclose(by_matrix, res.objective, rel_tol=RECOMPUTE_TOL, abs_tol=RECOMPUTE_TOL)
            and abs(by_lines - res.objective) <= RECOMPUTE_TOL * scale):  # fmt: skip
        raise RuntimeError(
            f"{inst.name}: solver reports {res.objective}, recomputed {by_matrix} (matrix) "
            f"and {by_lines} (file lines)"
        )
    return by_lines


def _run(path: Path, inst: MdgpInstance, rec: BksRecord | None, tl: float,
         args: argparse.Namespace) -> Row:  # fmt: skip
    res = solve_mdgp(
        inst,
        time_limit=tl,
        seed=args.seed,
        best_known=rec.bks if rec is not None else None,
        max_iterations=args.iterations,
        search=args.search,
        workers=args.workers,
    )
    value = _checked(path, inst, res)
    beats = res.best_known is not None and value > res.best_known * (1 + BEATS_TOL) + BEATS_TOL
    return Row(
        inst.name, inst.n, inst.m, tl, args.iterations, value, res.best_known,
        res.gap_percent, beats, res.status, res.runtime_s,
    )  # fmt: skip


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="MDGP data directory (bks.csv)")
    ap.add_argument("--instances", type=Path, default=None,
                    help="folder of instance files (default: <data>/instances)")  # fmt: skip
    ap.add_argument("--long", action="store_true", help=f"also run n>=120 at {LONG_LIMIT_S:g} s")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--small-time", type=float, default=5.0, help="limit for n < 120 (s)")
    ap.add_argument("--only", default=None, help="only instances whose name contains this")
    ap.add_argument("--search", choices=SEARCH_METHODS, default="memetic")
    ap.add_argument("--iterations", type=int, default=None,
                    help="fixed tabu-iteration budget per run (the time limit still applies)")  # fmt: skip
    ap.add_argument("--workers", type=int, default=1,
                    help="independent searches side by side, best kept (default 1)")  # fmt: skip
    ap.add_argument("--results", type=Path, default=RESULTS,
                    help="folder for mdgp.csv and mdgp.md (default: benchmarks/results)")  # fmt: skip
    args = ap.parse_args(argv)
    args.data = args.data if args.data is not None else default_mdgp_dir()
    args.instances_dir = args.instances if args.instances is not None else args.data / "instances"
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return a process exit code."""
    args = _parse(argv)
    if not args.instances_dir.is_dir():
        print(f"error: no instance folder {args.instances_dir}", file=sys.stderr)
        return 1
    bks = load_bks(args.data)
    files = sorted(args.instances_dir.glob("*.txt"))
    missing = missing_instances(bks, {f.stem for f in files})
    if args.only:
        files = [f for f in files if args.only in f.stem]
    loaded = sorted(((read_mdgp(f), f) for f in files), key=lambda p: (p[0].n, p[0].name))
    rows: list[Row] = []
    for inst, path in loaded:
        rec = bks.get(inst.name)
        for tl in _limits(inst, rec, args):
            row = _run(path, inst, rec, tl, args)
            rows.append(row)
            print(
                f"{row.instance:22s} n={row.n:3d} limit={tl:5g}s obj={row.objective:14.3f} "
                f"bks={_fmt(row.bks):>14s} gap={_fmt(row.gap_percent):>7s}% "
                f"{'BEATS ' if row.beats_bks else ''}{row.status:8s} {row.runtime_s:6.2f}s",
                flush=True,
            )
            _write(rows, machine_notes(), args, missing)
    if missing:
        print(f"{len(missing)} rows of bks.csv (n >= 120) have no instance file", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
