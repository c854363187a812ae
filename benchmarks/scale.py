"""How the formation engine scales: generated populations of 100 to 10,000 people.

Run by hand (not part of the tests)::

    python benchmarks/scale.py                          # sizes 100, 300, 1000 at 60 s
    python benchmarks/scale.py --sizes 100 300 1000 3000 10000
    python benchmarks/scale.py --time-limit 30 --sizes 300
    python benchmarks/scale.py --populations planted --sizes 3000 --merge   # one size, kept with the others
    python benchmarks/scale.py --report-only     # rewrite scale.md from scale.csv

For each size a population is generated (``planted=False``, ``normal``
difficulty, with facilitators: what an organiser's export looks like, with
no hidden answer) and solved by :func:`peermatch.solvers.cpsat.solve` with the
given (deterministic) time limit. Each size runs in a fresh subprocess so
that its peak memory (``ru_maxrss``; tracemalloc would slow the solver down
several-fold) is its own. The solution is judged by the independent checker
:func:`peermatch.violations.violations`.

Recorded per size: status, time to first solution, final objective, bound,
gap, runtime (wall clock, including the slot table and the greedy start),
peak memory, violations, unassigned and cohorts. Writes
``benchmarks/results/scale.csv`` and ``benchmarks/results/scale.md`` with
the machine (cores, CPU model, load average, Python and OR-Tools versions).

Targets to compare with (reported, not asserted): n = 300 first solution
under 10 s and gap under 5 % at 60 s; n = 1000 a solution with no violation
within 60 s.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["main", "measure"]

RESULTS = Path(__file__).resolve().parent / "results"
FIELDS = (
    "size",
    "population",
    "seed",
    "time_limit",
    "workers",
    "mode",
    "status",
    "first_solution_s",
    "objective",
    "bound",
    "gap",
    "runtime_s",
    "setup_s",
    "peak_rss_mb",
    "violations",
    "unassigned",
    "cohorts",
    "facilitators",
    "path",
    "load_before",
    "load_after",
    "wall_s",
    "code",
    "diagnosis",
    "stats",
)

#: Solver stats kept in the ``stats`` column: what the search did, and why a run
#: without a solution (status unknown) has none.
STATS_KEPT = (
    "cohorts_without_facilitator",
    "unplaced",
    "rejected_by_violations",
    "lns_iterations",
    "lns_improvements",
    "lns_solver_time",
    "first_complete_time",
    "cp_sat_status",
)


def measure(
    size: int,
    seed: int,
    time_limit: float,
    workers: int | None,
    allow_unassigned: bool = False,
    planted: bool = False,
) -> dict[str, Any]:
    """Generate and solve one population in this process; return its figures."""
    from peermatch.generate import generate_population
    from peermatch.solvers.cpsat import solve
    from peermatch.violations import violations

    started = time.monotonic()
    problem = generate_population(size, seed, planted=planted, difficulty="normal").problem
    setup = time.monotonic() - started
    params = problem.config.solver.params().replace(
        time_limit=time_limit, seed=0, workers=workers, allow_unassigned=allow_unassigned
    )
    result = solve(problem, params)
    broken = list(violations(problem, result.solution)) if result.solution is not None else []
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mb = rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024
    sol = result.solution
    return {
        "size": size,
        "population": "planted" if planted else "generated",
        "seed": seed,
        "time_limit": time_limit,
        "workers": result.workers,
        "mode": "allow_unassigned" if allow_unassigned else "strict",
        "status": result.status.value,
        "first_solution_s": _round(result.first_solution_time),
        "objective": result.objective,
        "bound": result.best_bound,
        "gap": _round(result.gap, 4),
        "runtime_s": _round(result.runtime),
        "setup_s": _round(setup),
        "peak_rss_mb": round(rss_mb, 1),
        "violations": len(broken),
        "unassigned": len(sol.unassigned) if sol else None,
        "cohorts": len(sol.cohorts) if sol else None,
        "facilitators": len(problem.facilitators),
        "path": "lns" if size > problem.config.solver.lns_threshold else "whole model",
        "diagnosis": " ".join(" ".join(str(d) for d in result.diagnosis).split())[:200],
        "stats": json.dumps(
            {
                k: (v[:2] if isinstance(v, list) else v)
                for k, v in result.stats.as_dict().items()
                if k in STATS_KEPT
            },
            default=str,
        ),
    }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or "unknown"
    try:
        from importlib.metadata import version

        ortools = version("ortools")
    except Exception:
        ortools = "unknown"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    try:
        head = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True, text=True, cwd=Path(__file__).parent, check=False,
        ).stdout.strip()  # fmt: skip
    except OSError:
        head = "unknown"
    if head.endswith("-dirty"):
        # Others edit the tree while benchmarks run: fingerprint the uncommitted src changes
        # so that rows measured on different working trees can be told apart.
        try:
            diff = subprocess.run(
                ["git", "diff", "HEAD", "--", "src"],
                capture_output=True, cwd=Path(__file__).resolve().parent.parent, check=False,
            ).stdout  # fmt: skip
            head += ":src-" + hashlib.sha1(diff).hexdigest()[:7] if diff else ""
        except OSError:
            pass
    return {
        "code (git describe --dirty)": head or "unknown",
        "cores (nproc)": str(os.cpu_count()),
        "CPU": model,
        "python": platform.python_version(),
        "ortools": ortools,
        "platform": platform.platform(),
        "load average at start": load,
    }


def _load() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def _child(
    size: int,
    seed: int,
    time_limit: float,
    workers: int | None,
    allow: bool,
    planted: bool,
    timeout: float | None = None,
    code_version: str = "unknown",
) -> dict[str, Any]:
    """Run :func:`measure` in a fresh interpreter, so peak memory is this size's alone.

    The child is killed after ``timeout`` wall-clock seconds (recorded as status
    ``timeout``); the 1-minute load average before and after is recorded with the row.
    """
    before, started = _load(), time.monotonic()
    base = {
        "size": size,
        "population": "planted" if planted else "generated",
        "seed": seed,
        "time_limit": time_limit,
        "mode": "allow_unassigned" if allow else "strict",
        "load_before": before,
        "code": code_version,
    }
    row = _run_child(size, seed, time_limit, workers, allow, planted, timeout, base)
    row.update(
        load_before=before,
        load_after=_load(),
        wall_s=round(time.monotonic() - started, 2),
        code=code_version,
    )
    return row


def _run_child(
    size: int,
    seed: int,
    time_limit: float,
    workers: int | None,
    allow: bool,
    planted: bool,
    timeout: float | None,
    base: dict[str, Any],
) -> dict[str, Any]:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import scale; "
        "print(json.dumps(scale.measure(int(sys.argv[2]), int(sys.argv[3]), "
        "float(sys.argv[4]), None if sys.argv[5] == '0' else int(sys.argv[5]), "
        "sys.argv[6] == '1', sys.argv[7] == '1')))"
    )
    args = [sys.executable, "-c", code, str(Path(__file__).parent), str(size), str(seed)]
    args += [str(time_limit), str(workers or 0), "1" if allow else "0", "1" if planted else "0"]
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**base, "status": f"timeout (killed after {timeout:g} s wall clock)"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"(exit code {done.returncode})"]
        return {**base, "status": f"error: {tail[0]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (str(row.get("size")), str(row.get("population")), str(row.get("mode")))


def _merged(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows already in scale.csv, with this run's rows replacing those of the same key."""
    path = RESULTS / "scale.csv"
    old: list[dict[str, Any]] = []
    if path.exists():
        with open(path, newline="", encoding="utf-8") as fh:
            old = [{k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(fh)]
    new = {_key(r) for r in rows}
    # A strict solve that now finds a solution makes an earlier allow_unassigned row stale.
    solved = {
        (str(r.get("size")), str(r.get("population")))
        for r in rows
        if r.get("mode") == "strict" and r.get("objective") not in (None, "")
    }
    out = [
        r
        for r in old
        if _key(r) not in new
        and not (r.get("mode") == "allow_unassigned" and _key(r)[:2] in solved)
    ] + rows
    order = {"planted": 0, "generated": 1}
    return sorted(
        out,
        key=lambda r: (
            order.get(str(r.get("population")), 2),
            int(r["size"]),
            r.get("mode") != "strict",
        ),
    )


def _num(value: Any) -> Any:
    """Numbers read back from the CSV as numbers (so the table formats them alike)."""
    if not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def _write(rows: list[dict[str, Any]], machine: dict[str, str], args: argparse.Namespace) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.merge:
        rows = [{k: _num(v) for k, v in r.items()} for r in _merged(rows)]
    with open(RESULTS / "scale.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# Formation engine at scale",
        "",
        f"Generated by `python benchmarks/scale.py {' '.join(sys.argv[1:])}`".rstrip() + f" on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        + (
            " (rows merged with earlier runs: see each row's code version and load)."
            if args.merge
            else "."
        ),
        "",
        "Populations: `generate_population(n, seed, planted=False, difficulty='normal')` "
        'with facilitators ("generated"; "planted": the same with `planted=True`); `solve(time_limit, seed=0)` (deterministic time limit); '
        "each size in a fresh process. Runtime is wall clock including the slot table "
        "and greedy start; memory is the process's peak RSS. A generated population "
        "without a planted answer may be infeasible: the strict solve then says so (with "
        "its diagnosis below) and the size is solved again with `allow_unassigned`, whose "
        "objective counts 10,000,000 per person left out (so its gap is dominated by them).",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in machine.items()),
        "",
        "| n | population | mode | status | first solution (s) | objective | bound | gap | runtime (s) | "
        "peak RSS (MB) | violations | unassigned | cohorts | path | load 1 min before/after | code |",
        "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in rows:
        gap = r.get("gap")
        lines.append(
            f"| {r['size']} | {r.get('population', 'n/a')} | {r.get('mode', 'n/a')} | "
            f"{r.get('status')} | {_fmt(r.get('first_solution_s'))} | "
            f"{_fmt(r.get('objective'))} | {_fmt(r.get('bound'))} | "
            f"{'n/a' if gap is None else f'{100 * gap:.2f} %'} | {_fmt(r.get('runtime_s'))} | "
            f"{_fmt(r.get('peak_rss_mb'))} | {_fmt(r.get('violations'))} | "
            f"{_fmt(r.get('unassigned'))} | {_fmt(r.get('cohorts'))} | {r.get('path') or 'n/a'} | "
            f"{_fmt(r.get('load_before'))} / {_fmt(r.get('load_after'))} | {r.get('code') or 'n/a'} |"
        )
    for r in rows:
        if r.get("diagnosis"):
            lines.append(
                f"\nn = {r['size']} ({r.get('population')}, {r.get('mode')}): {r['diagnosis']}"
            )
        if r.get("objective") is None and r.get("stats") not in (None, "", "{}"):
            lines.append(
                f"\nn = {r['size']} ({r.get('population')}, {r.get('mode')}), no solution; "
                f"solver stats: `{r['stats']}`"
            )
    lines += [
        "",
        "Targets (reported, not asserted): n = 300 first solution < 10 s and gap < 5 % at 60 s; "
        "n = 1000 a solution with no violation within 60 s.",
        "",
    ]
    (RESULTS / "scale.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1, help="population seed")
    parser.add_argument("--workers", type=int, default=0, help="0: solve()'s default")
    parser.add_argument(
        "--allow-unassigned",
        choices=["auto", "never", "always"],
        default="auto",
        help="auto: when the strict solve finds no solution (generated populations without "
        "a planted answer can be infeasible), solve again placing as many as possible",
    )
    parser.add_argument(
        "--populations",
        nargs="+",
        choices=["generated", "planted"],
        default=["generated"],
        help="generated: planted=False (the default workload); planted: built around a "
        "feasible assignment, for the targets when a generated population is infeasible",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1200.0,
        help="wall-clock seconds after which a size's process is killed (status 'timeout')",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the rows already in results/scale.csv, replacing those of the same "
        "size, population and mode (to run one size at a time)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: rewrite results/scale.md from results/scale.csv",
    )
    args = parser.parse_args(argv)
    machine = _machine()
    if args.report_only:
        args.merge = True
        # Nothing ran: the machine's code and load are those of writing the report.
        machine = {
            k.replace(
                "code (git describe --dirty)", "code when the report was written (rows: see code)"
            ).replace("load average at start", "load average when the report was written"): v
            for k, v in machine.items()
        }
        _write([], machine, args)
        print(f"wrote {RESULTS / 'scale.md'} from {RESULTS / 'scale.csv'}")
        return 0
    code_version = machine["code (git describe --dirty)"]
    rows = []
    for planted in [p == "planted" for p in args.populations]:
        for size in args.sizes:
            print(f"n={size} ...", file=sys.stderr, flush=True)
            modes = [args.allow_unassigned == "always"]
            for allow in modes:
                row = _child(
                    size,
                    args.seed,
                    args.time_limit,
                    args.workers or None,
                    allow,
                    planted,
                    args.timeout,
                    code_version,
                )
                print(json.dumps(row), file=sys.stderr, flush=True)
                rows.append(row)
                if not allow and args.allow_unassigned == "auto" and row.get("objective") is None:
                    modes.append(True)
    _write(rows, machine, args)
    print(f"wrote {RESULTS / 'scale.csv'} and {RESULTS / 'scale.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
