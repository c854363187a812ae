"""Plots of the benchmark results: ``results/scale.png`` and ``results/quality.png``.

Run by hand after the benchmarks::

    python benchmarks/plot.py

Reads ``benchmarks/results/scale.csv``, ``quality.csv`` and ``mdgp.csv`` (any
of them may be missing; its plot is then skipped) and writes

* ``results/scale.png``: time to first solution and runtime against n (log-log),
  the gap in % and the peak memory, one line per population and mode;
* ``results/quality.png``: diversity cost and rule violations per method for
  each n (cost on a log axis, as the random baseline costs several times more);
* ``results/mdgp.png``: gap to the best known value per MDGP instance and time
  limit (only when ``mdgp.csv`` exists).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["main", "plot_mdgp", "plot_quality", "plot_scale"]

RESULTS = Path(__file__).resolve().parent / "results"
METHOD_ORDER = ("random", "greedy", "planted", "cpsat")
METHOD_COLOURS = {
    "random": "#bbbbbb",
    "greedy": "#f2a541",
    "planted": "#4c72b0",
    "cpsat": "#55a868",
}


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _float(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def plot_scale(rows: list[dict[str, Any]], out: Path) -> bool:
    """Time, gap and memory against n, one series per population and mode."""
    if not rows:
        return False
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        series[f"{r.get('population') or 'generated'} / {r.get('mode') or 'strict'}"].append(r)
    fig, axes = plt.subplots(1, 3, figsize=(16, 6.4))
    ax_time, ax_gap, ax_mem = axes
    markers = "osD^v<>"
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    all_sizes: set[int] = set()
    no_solution: list[str] = []
    for k, (label, rs) in enumerate(sorted(series.items())):
        rs = sorted(rs, key=lambda r: int(r["size"]))
        colour, marker = colours[k % len(colours)], markers[k % len(markers)]
        n = [int(r["size"]) for r in rs]
        all_sizes.update(n)

        def pts(
            key: str, scale: float = 1.0, n: list[int] = n, rs: list[dict[str, Any]] = rs
        ) -> tuple[list[int], list[float]]:
            got = [(x, _float(r.get(key))) for x, r in zip(n, rs, strict=True)]
            kept = [(x, y * scale) for x, y in got if y is not None]
            return [x for x, _ in kept], [y for _, y in kept]

        x, y = pts("runtime_s")
        ax_time.plot(x, y, "-", marker=marker, color=colour, label=f"{label}: runtime")
        x, y = pts("first_solution_s")
        ax_time.plot(
            x, y, "--", marker=marker, mfc="white", color=colour, label=f"{label}: first solution"
        )
        # A status that is not a solution (infeasible, unknown, timeout, error) is marked.
        for xi, r in zip(n, rs, strict=True):
            status = str(r.get("status") or "")
            if _float(r.get("objective")) is None:
                t = _float(r.get("runtime_s")) or _float(r.get("wall_s"))
                if t:
                    ax_time.plot([xi], [t], "x", color=colour, ms=11, mew=2.5)
                    no_solution.append(f"n={xi:,} {label}: {status}")
        if (rs[0].get("mode") or "strict") == "strict":
            # allow_unassigned gaps are dominated by the 10,000,000 per person left out.
            x, y = pts("gap", 100.0)
            ax_gap.plot(x, y, "-", marker=marker, color=colour, label=label)
        x, y = pts("peak_rss_mb")
        ax_mem.plot(x, y, "-", marker=marker, color=colour, label=label)
    sizes = sorted(all_sizes)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xticks(sizes)
        ax.set_xticklabels([f"{s:,}" for s in sizes])
        ax.minorticks_off()
        ax.set_xlabel("participants n (log scale)")
        ax.grid(True, which="major", alpha=0.3)
    ax_time.set_yscale("log")
    ax_time.set_ylabel("seconds (wall clock, log scale)")
    ax_time.set_title("First solution (dashed), runtime (solid); x = no solution", fontsize=10)
    ax_time.axhline(60, color="grey", lw=0.8, ls=":")
    if no_solution:
        ax_time.text(
            0.99,
            0.02,
            "no solution:\n" + "\n".join(no_solution),
            transform=ax_time.transAxes,
            ha="right",
            va="bottom",
            fontsize=6.5,
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "#cccccc"},
        )
    ax_time.axhline(10, color="grey", lw=0.8, ls=":")
    ax_time.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    ax_gap.set_ylabel("gap % = (cost - bound) / cost")
    ax_gap.set_title("Optimality gap at the time limit (strict solves with a solution)")
    ax_gap.axhline(5, color="red", lw=0.8, ls=":", label="5 % target (n = 300)")
    ax_gap.set_ylim(bottom=0)
    ax_gap.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    ax_mem.set_ylabel("peak RSS (MB)")
    ax_mem.set_title("Peak memory (fresh process per size)")
    ax_mem.set_ylim(bottom=0)
    ax_mem.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    limit = {r.get("time_limit") for r in rows if r.get("time_limit")}
    fig.suptitle(
        "peermatch at scale: generate_population(n, seed=1), solve(time_limit="
        + "/".join(sorted(limit))
        + " deterministic s)"
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def plot_quality(rows: list[dict[str, Any]], out: Path) -> bool:
    """Diversity cost and violations per method, grouped by n."""
    rows = [r for r in rows if _float(r.get("size")) is not None]
    if not rows:
        return False
    sizes = sorted({int(r["size"]) for r in rows})
    methods = [m for m in METHOD_ORDER if any(r["method"] == m for r in rows)]
    methods += sorted({r["method"] for r in rows} - set(methods))
    by = {(int(r["size"]), r["method"]): r for r in rows}
    fig, (ax_cost, ax_viol) = plt.subplots(1, 2, figsize=(14, 5.2))
    width = 0.8 / max(1, len(methods))
    for j, m in enumerate(methods):
        xs, costs, viols = [], [], []
        for i, s in enumerate(sizes):
            r = by.get((s, m))
            if r is None:
                continue
            xs.append(i + (j - (len(methods) - 1) / 2) * width)
            costs.append(_float(r.get("diversity_cost")))
            viols.append(_float(r.get("violations_total")))
        colour = METHOD_COLOURS.get(m)
        cx = [x for x, c in zip(xs, costs, strict=True) if c is not None]
        cy = [c for c in costs if c is not None]
        bars = ax_cost.bar(cx, cy, width, label=m, color=colour, edgecolor="black", lw=0.4)
        for b, c in zip(bars, cy, strict=True):
            ax_cost.annotate(
                f"{c / 1000:,.0f}k",
                (b.get_x() + b.get_width() / 2, c),
                ha="center",
                va="bottom",
                fontsize=7,
                rotation=90,
                xytext=(0, 2),
                textcoords="offset points",
            )
        vx = [x for x, v in zip(xs, viols, strict=True) if v is not None]
        vy = [v for v in viols if v is not None]
        bars = ax_viol.bar(vx, vy, width, label=m, color=colour, edgecolor="black", lw=0.4)
        for b, v in zip(bars, vy, strict=True):
            ax_viol.annotate(
                f"{v:.0f}",
                (b.get_x() + b.get_width() / 2, v),
                ha="center",
                va="bottom",
                fontsize=7,
                xytext=(0, 2),
                textcoords="offset points",
            )
    for ax in (ax_cost, ax_viol):
        ax.set_xticks(range(len(sizes)))
        ax.set_xticklabels([f"n = {s:,}" for s in sizes])
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    ax_cost.set_yscale("log")
    ax_cost.set_ylabel("diversity cost (log scale; lower = more diverse)")
    ax_cost.set_title("Diversity cost per method (planted populations)")
    ax_viol.set_ylabel("rule violations (independent checker)")
    ax_viol.set_title("Violations per method")
    ax_viol.set_ylim(bottom=0, top=max(1.0, ax_viol.get_ylim()[1] * 1.1))
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def plot_mdgp(rows: list[dict[str, Any]], out: Path) -> bool:
    """Gap to the best known value per instance (n >= 30), per time limit."""
    rows = [r for r in rows if _float(r.get("gap_percent")) is not None and int(r["n"]) >= 30]
    if not rows:
        return False
    names = sorted({r["instance"] for r in rows}, key=lambda s: (int(s.split("_n")[1][:3]), s))
    limits = sorted({float(r["time_limit_s"]) for r in rows})
    by = {(r["instance"], float(r["time_limit_s"])): float(r["gap_percent"]) for r in rows}
    fig, ax = plt.subplots(figsize=(14, 4.8))
    width = 0.8 / len(limits)
    for j, lim in enumerate(limits):
        xs = [
            i + (j - (len(limits) - 1) / 2) * width for i, nm in enumerate(names) if (nm, lim) in by
        ]
        ys = [by[(nm, lim)] for nm in names if (nm, lim) in by]
        ax.bar(xs, ys, width, label=f"{lim:g} s", edgecolor="black", lw=0.4)
    ax.axhline(1.0, color="red", lw=0.8, ls=":", label="1 % target")
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("gap % to best known (negative = beaten)")
    ax.set_title("MDGP: solve_mdgp against MDGPLIB best known values")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    d: Path = args.results
    done = []
    if plot_scale(_read(d / "scale.csv"), d / "scale.png"):
        done.append("scale.png")
    if plot_quality(_read(d / "quality.csv"), d / "quality.png"):
        done.append("quality.png")
    if plot_mdgp(_read(d / "mdgp.csv"), d / "mdgp.png"):
        done.append("mdgp.png")
    print("wrote " + (", ".join(str(d / f) for f in done) if done else "nothing (no results)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
