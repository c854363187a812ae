"""Solution quality on planted populations: baselines, the planted reference and the solver.

Run by hand (not part of the tests)::

    python benchmarks/quality.py                       # sizes 100, 300, 1000
    python benchmarks/quality.py --sizes 100 --no-solver
    python benchmarks/quality.py --time-limit 120 --workers 2

For each size a planted population is generated (:mod:`peermatch.generate`);
then the random baseline, the greedy baseline (when
:mod:`peermatch.solvers.greedy` exists), the planted reference and the CP-SAT
solver (when :mod:`peermatch.solvers.cpsat` exists) are each judged by the
same independent code: :func:`peermatch.violations.violations` (count per
rule), :func:`peermatch.metrics.diversity_cost` (the solver's objective,
recomputed) and :func:`peermatch.metrics.cohort_metrics` (distinct values and
entropy per diversity attribute). The planted reference is feasible by
construction, so a solver that finds a solution should break no rule and
should not cost more than it.

Writes ``benchmarks/results/quality.csv`` (one row per size and method) and
``benchmarks/results/quality.md`` (the same as a table, with the run's settings).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peermatch.bench.baselines import evaluate, greedy_baseline, random_baseline
from peermatch.generate import generate_population
from peermatch.model import ProblemData
from peermatch.solution import Solution
from peermatch.violations import RULES

__all__ = ["main", "run"]

RESULTS = Path(__file__).resolve().parent / "results"


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _methods(
    time_limit: float, workers: int, solver: bool
) -> list[tuple[str, Callable[[ProblemData, Solution | None, int], dict[str, Any]]]]:
    def random(problem: ProblemData, _: Solution | None, seed: int) -> dict[str, Any]:
        return {"solution": random_baseline(problem, seed), "status": "heuristic"}

    def greedy(problem: ProblemData, _: Solution | None, seed: int) -> dict[str, Any]:
        return {"solution": greedy_baseline(problem, seed), "status": "heuristic"}

    def planted(_: ProblemData, reference: Solution | None, __: int) -> dict[str, Any]:
        return {"solution": reference, "status": "reference"}

    def cpsat(problem: ProblemData, _: Solution | None, seed: int) -> dict[str, Any]:
        from peermatch.solvers.cpsat import solve

        params = problem.config.solver.params().replace(
            time_limit=time_limit, seed=seed, workers=workers or None
        )
        result = solve(problem, params)
        return {
            "solution": result.solution,
            "status": str(result.status),
            "workers": result.workers,
            "first_solution_s": result.first_solution_time,
            "objective": result.objective,
            "best_bound": result.best_bound,
        }

    out: list[tuple[str, Callable[[ProblemData, Solution | None, int], dict[str, Any]]]] = [
        ("random", random)
    ]
    if _has("peermatch.solvers.greedy"):
        out.append(("greedy", greedy))
    out.append(("planted", planted))
    if solver and _has("peermatch.solvers.cpsat"):
        out.append(("cpsat", cpsat))
    return out


def run(
    sizes: list[int],
    seed: int,
    difficulty: str,
    time_limit: float,
    workers: int,
    solver: bool,
    out_dir: Path = RESULTS,
) -> list[dict[str, Any]]:
    """Run every available method on a planted population of each size; write CSV and Markdown."""
    rows: list[dict[str, Any]] = []
    code = _code_version()
    for size in sizes:
        t0 = time.perf_counter()
        pop = generate_population(size, seed, planted=True, difficulty=difficulty)
        gen_time = time.perf_counter() - t0
        problem = pop.problem
        print(
            f"size {size}: generated in {gen_time:.2f}s "
            f"({len({p.organisation for p in problem.participants})} organisations, "
            f"{len(problem.facilitators)} facilitators, {len(problem.history)} history links)",
            flush=True,
        )
        for name, method in _methods(time_limit, workers, solver):
            t0 = time.perf_counter()
            try:
                got = method(problem, pop.planted, seed)
            except Exception as exc:  # a benchmark reports a failing method and goes on
                print(f"  {name}: failed: {type(exc).__name__}: {exc}", flush=True)
                rows.append({"size": size, "method": name, "status": f"error: {exc}"})
                continue
            runtime = time.perf_counter() - t0
            rows.append(_row(size, seed, difficulty, name, problem, got, runtime))
            rows[-1]["code"] = code
            r = rows[-1]
            print(
                f"  {name:8s} {r['status']:10s} {runtime:7.2f}s  violations {r.get('violations_total', '-')!s:>5}  "
                f"cost {r.get('diversity_cost', '-')!s:>10}",
                flush=True,
            )
        _write(rows, out_dir, sizes, seed, difficulty, time_limit, workers)
    return rows


def _row(
    size: int,
    seed: int,
    difficulty: str,
    name: str,
    problem: ProblemData,
    got: dict[str, Any],
    runtime: float,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "size": size,
        "seed": seed,
        "difficulty": difficulty,
        "method": name,
        "status": got["status"],
        "runtime_s": round(runtime, 3),
        "load_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
    solution = got["solution"]
    if solution is None:
        return row
    report = evaluate(problem, solution)
    overall = report["metrics"]["overall"]
    row.update(
        {
            "feasible": report["feasible"],
            "violations_total": report["violations_total"],
            **{f"v_{rule}": report["violations"].get(rule, 0) for rule in RULES},
            "diversity_cost": report["diversity_cost"],
            "solver_objective": got.get("objective"),
            "solver_workers": got.get("workers"),
            "first_solution_s": _r(got.get("first_solution_s")),
            "best_bound": got.get("best_bound"),
            "cohorts": overall["cohorts"],
            "placed": overall["placed"],
            "unassigned": overall["unassigned"],
            "size_spread": overall["size_spread"],
            "common_hours_mean": _r(overall["common_hours_mean"]),
        }
    )
    for attr, figures in overall["attributes"].items():
        row[f"{attr}_distinct_mean"] = _r(figures["distinct_mean"])
        row[f"{attr}_best_distinct_mean"] = _r(figures["best_distinct_mean"])
        row[f"{attr}_entropy_mean"] = _r(figures["entropy_mean"])
        row[f"{attr}_best_entropy_mean"] = _r(figures["best_entropy_mean"])
        row[f"{attr}_same_pairs"] = figures["same_pairs"]
    return row


def _code_version() -> str:
    """``git describe --dirty``, plus a fingerprint of uncommitted changes under src/."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True, text=True, cwd=root, check=False,
        ).stdout.strip()  # fmt: skip
        diff = subprocess.run(
            ["git", "diff", "HEAD", "--", "src"], capture_output=True, cwd=root, check=False
        ).stdout
    except OSError:
        return "unknown"
    return (head or "unknown") + (":src-" + hashlib.sha1(diff).hexdigest()[:7] if diff else "")


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def _write(
    rows: list[dict[str, Any]],
    out_dir: Path,
    sizes: list[int],
    seed: int,
    difficulty: str,
    time_limit: float,
    workers: int,
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    columns: list[str] = []
    for r in rows:
        columns.extend(c for c in r if c not in columns)
    with (out_dir / "quality.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    used = sorted({str(r["solver_workers"]) for r in rows if r.get("solver_workers")})
    shown_workers = (
        str(workers) if workers else "solve()'s default (" + ("/".join(used) or "?") + ")"
    )
    shown = [
        ("size", "size"),
        ("method", "method"),
        ("status", "status"),
        ("runtime_s", "time (s)"),
        ("first_solution_s", "first solution (s)"),
        ("violations_total", "violations"),
        *[(f"v_{rule}", rule) for rule in RULES],
        ("diversity_cost", "diversity cost"),
        ("solver_objective", "solver objective"),
        ("industry_distinct_mean", "industries / cohort"),
        ("industry_entropy_mean", "industry entropy"),
        ("function_distinct_mean", "functions / cohort"),
        ("function_entropy_mean", "function entropy"),
        ("size_spread", "size spread"),
    ]
    lines = [
        "# Solution quality on planted populations",
        "",
        f"Generated by `benchmarks/quality.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"(Python {platform.python_version()}, {platform.machine()}): sizes "
        f"{', '.join(map(str, sizes))}, seed {seed}, difficulty {difficulty}, solver time limit "
        f"{time_limit:g}s, workers {shown_workers}. 1-minute load average after each "
        f"method: {', '.join(str(r.get('load_1m')) for r in rows)} "
        f"({os.cpu_count()} cores, shared). Code: "
        f"{', '.join(sorted({str(r.get('code')) for r in rows}))}.",
        "",
        "Every solution is judged by the same solver-free code: `violations()` per rule, "
        "`diversity_cost()` (the objective, recomputed), and `cohort_metrics()` "
        "(means over cohorts). The planted reference breaks no rule by construction. "
        "Methods missing from a size were not available (greedy, cpsat) or were skipped.",
        "",
        "| " + " | ".join(label for _, label in shown) + " |",
        "|" + "|".join("---" for _ in shown) + "|",
    ]
    for r in rows:
        lines.append("| " + " | ".join(_cell(r.get(key)) for key, _ in shown) + " |")
    best = {a: None for a in ("industry", "function")}
    for r in rows:
        for a in best:
            if r.get(f"{a}_best_entropy_mean") is not None:
                best[a] = r[f"{a}_best_entropy_mean"]
    lines += [
        "",
        "Best possible mean entropy per cohort of the last size (each cohort alone, "
        "population-capped even split): "
        + ", ".join(f"{a} {v}" for a, v in best.items() if v is not None)
        + ".",
        "",
    ]
    (out_dir / "quality.md").write_text("\n".join(lines), encoding="utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        return f"{int(value)}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--difficulty", choices=["easy", "normal", "hard"], default="normal")
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver seconds per size")
    parser.add_argument(
        "--workers", type=int, default=0, help="CP-SAT workers; 0: solve()'s default (the config's)"
    )
    parser.add_argument("--no-solver", action="store_true", help="baselines and reference only")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    run(
        args.sizes,
        args.seed,
        args.difficulty,
        args.time_limit,
        args.workers,
        not args.no_solver,
        args.out,
    )
    print(f"wrote {args.out / 'quality.csv'} and {args.out / 'quality.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
