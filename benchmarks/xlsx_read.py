"""Benchmark reading a participants table from an Excel workbook, next to the same table as CSV.

Generates ``--rows`` participants (100,000 by default) and writes them
twice: as participants.csv and as participants.xlsx (one sheet, written with
openpyxl's write-only mode; level as a number cell, like a typed-in sheet).
Each measurement runs in a fresh Python process that reads the table with
:func:`peermatch.io.read_participants` (reading, header matching and every
row check) and reports its wall-clock seconds and its peak resident memory
(``ru_maxrss``). A process that only imports peermatch and openpyxl gives the
baseline memory, so the table's own cost is the difference. Each format is
measured ``--repeat`` times; the report gives the median and the range.

The workbook is openpyxl's, which is the slow case for a reader: openpyxl
writes every text cell inline (Excel writes a shared-string table, which
openpyxl reads faster) and its write-only mode writes no dimension record, so
that opening the workbook scans the sheet once more. A workbook saved by
Excel reads faster than the figure here.

Writes ``benchmarks/results/xlsx_read.md`` and ``xlsx_read.json`` (machine,
commit, rows, file sizes, every measurement) unless ``--no-save``.

Usage::

    python benchmarks/xlsx_read.py [--rows N] [--repeat K] [--dir DIR] [--no-save]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = [
    "id", "name", "email", "organisation", "level", "industry", "function",
    "manager_id", "timezone", "availability",
]  # fmt: skip
ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Asia/Singapore")
WINDOWS = ("Mon-Fri 09:00-17:00", "Mon-Wed 09:00-17:00 | Thu 08:00-12:00", "Tue,Thu 13:00-18:00")
RESULTS = Path(__file__).resolve().parent / "results"


def _rows(n: int, seed: int = 0) -> list[list[object]]:
    rng = random.Random(seed)
    out: list[list[object]] = []
    for i in range(n):
        out.append(
            [
                f"P{i:06d}",
                f"Person {i}",
                f"p{i}@org{i % 5000}.example",
                f"Organisation {i % 5000}",
                rng.randint(1, 5),
                f"Industry {rng.randint(1, 12)}",
                f"Function {rng.randint(1, 9)}",
                "",
                rng.choice(ZONES),
                rng.choice(WINDOWS),
            ]
        )
    return out


def write_inputs(folder: Path, n: int) -> tuple[Path, Path]:
    """participants.csv and participants.xlsx with the same ``n`` rows."""
    from openpyxl import Workbook

    rows = _rows(n)
    csv_path = folder / "participants.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Participants")
    sheet.append(HEADER)
    for row in rows:
        sheet.append([None if v == "" else v for v in row])
    xlsx_path = folder / "participants.xlsx"
    book.save(xlsx_path)
    return csv_path, xlsx_path


def measure_here(path: str) -> dict[str, float]:
    """Read ``path`` in this process (``"none"``: only the imports); seconds and peak KiB."""
    import openpyxl  # noqa: F401 - part of the baseline: both formats pay for the import

    from peermatch.io import read_participants

    start = time.perf_counter()
    count = 0 if path == "none" else len(read_participants(path))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"seconds": seconds, "peak_kib": float(peak), "rows": float(count)}


def measure(path: str) -> dict[str, float]:
    """One measurement in a fresh interpreter, so that peak memory is this read's own."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", path],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _summary(runs: list[dict[str, float]], baseline: float) -> dict[str, float]:
    seconds = [r["seconds"] for r in runs]
    peaks = [r["peak_kib"] for r in runs]
    return {
        "median_seconds": statistics.median(seconds),
        "min_seconds": min(seconds),
        "max_seconds": max(seconds),
        "median_peak_mib": statistics.median(peaks) / 1024,
        "median_table_mib": (statistics.median(peaks) - baseline) / 1024,
    }


def _report(record: dict[str, object]) -> str:
    lines = [
        "# Reading a participants table: workbook (.xlsx) vs CSV",
        "",
        f"Commit {record['commit']}, Python {record['python']}, {record['machine']}, "
        f"openpyxl {record['openpyxl']}; {record['rows']:,} rows; "
        f"median of {record['repeat']} runs, each in a fresh process.",
        "",
        "| format | file MiB | median s | range s | peak RSS MiB | above baseline MiB |",
        "|---|---|---|---|---|---|",
    ]
    for fmt in ("csv", "xlsx"):
        s = record[fmt]  # type: ignore[index]
        lines.append(
            f"| {fmt} | {record[f'{fmt}_mib']:.1f} | {s['median_seconds']:.2f} | "  # type: ignore[index]
            f"{s['min_seconds']:.2f}-{s['max_seconds']:.2f} | {s['median_peak_mib']:.0f} | "
            f"{s['median_table_mib']:.0f} |"
        )
    lines += ["", f"Baseline (imports only): {record['baseline_mib']:.0f} MiB peak RSS.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="Where to write the inputs (default: a temp dir).")
    parser.add_argument("--no-save", action="store_true", help="Print the report only.")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure_here(args.measure)))
        return 0
    import openpyxl

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        csv_path, xlsx_path = write_inputs(folder, args.rows)
        baseline = statistics.median(measure("none")["peak_kib"] for _ in range(args.repeat))
        runs = {
            fmt: [measure(str(path)) for _ in range(args.repeat)]
            for fmt, path in (("csv", csv_path), ("xlsx", xlsx_path))
        }
        for fmt, found in runs.items():
            assert all(r["rows"] == args.rows for r in found), (fmt, found)
        record: dict[str, object] = {
            "commit": _commit(),
            "python": platform.python_version(),
            "machine": f"{platform.machine()} {platform.processor() or ''} "
            f"{os.cpu_count()} cores".strip(),
            "openpyxl": openpyxl.__version__,
            "rows": args.rows,
            "repeat": args.repeat,
            "csv_mib": csv_path.stat().st_size / 2**20,
            "xlsx_mib": xlsx_path.stat().st_size / 2**20,
            "baseline_mib": baseline / 1024,
            "runs": runs,
            **{fmt: _summary(found, baseline) for fmt, found in runs.items()},
        }
    text = _report(record)
    print(text)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "xlsx_read.md").write_text(text, encoding="utf-8")
        (RESULTS / "xlsx_read.json").write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
