"""The MDGP benchmark script: any instance folder, beats-BKS column, missing rows."""

from __future__ import annotations

import csv
from pathlib import Path
from types import ModuleType

import numpy as np

from helpers import load_benchmark


def _load() -> ModuleType:
    return load_benchmark("mdgp_bench")


def _instance(path: Path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lines = [f"{n} 2 ds {n // 2 - 1} {n // 2 + 1} {n // 2 - 1} {n // 2 + 1}"]
    lines += [f"{i} {j} {rng.integers(0, 10)}" for i in range(n) for j in range(i + 1, n)]
    path.write_text("\n".join(lines) + "\n")


def test_bench_marks_beaten_values_and_lists_missing_files(tmp_path: Path) -> None:
    bench = _load()
    inst_dir = tmp_path / "held_out"
    inst_dir.mkdir()
    _instance(inst_dir / "Tiny_a.txt", 8, 0)
    _instance(inst_dir / "Tiny_b.txt", 8, 1)
    (tmp_path / "bks.csv").write_text(
        "instance,n,m,bks,source,reference_time_limit_s,mip_1800s\n"
        "Tiny_a,8,2,1,made up (far below the optimum),,\n"
        "Tiny_b,8,2,100000,made up (above any grouping),,\n"
        "Absent_n120_ss_01,120,10,5,not in the folder,3,\n"
    )
    out = tmp_path / "results"
    code = bench.main(
        ["--data", str(tmp_path), "--instances", str(inst_dir), "--small-time", "2",
         "--results", str(out)]
    )  # fmt: skip
    assert code == 0
    with (out / "mdgp.csv").open(newline="") as fh:
        rows = {r["instance"]: r for r in csv.DictReader(fh)}
    assert rows["Tiny_a"]["beats_bks"] == "yes" and float(rows["Tiny_a"]["gap_percent"]) < 0
    assert rows["Tiny_b"]["beats_bks"] == "" and float(rows["Tiny_b"]["gap_percent"]) > 0
    report = (out / "mdgp.md").read_text()
    assert "without an instance file: 1" in report
    assert "- n = 120: 1 (Absent_n120_ss_01)" in report
    assert "- commit: " in report
    # The raw recomputation reads the file's own lines.
    groups = tuple(tuple(range(k, k + 4)) for k in (0, 4))
    d = sum(
        float(line.split()[2])
        for line in (inst_dir / "Tiny_a.txt").read_text().splitlines()[1:]
        if (int(line.split()[0]) < 4) == (int(line.split()[1]) < 4)
    )
    assert bench.raw_objective(inst_dir / "Tiny_a.txt", groups) == d
