"""Assertions about a written output folder, shared by the tests of every path that writes one."""

from __future__ import annotations

import csv
from pathlib import Path

__all__ = ["assert_nothing_lost"]


def _ids(path: Path, column: str) -> list[str]:
    from peermatch.io.safecsv import restore

    with path.open(encoding="utf-8", newline="") as fh:
        return [restore(row[column]) for row in csv.DictReader(fh)]


def assert_nothing_lost(participants: Path, out: Path) -> tuple[int, int]:
    """Every participant of ``participants`` is in cohorts.csv or in unassigned.csv with a reason.

    Reads the files with the csv module alone (no peermatch reader). Returns
    ``(placed, unassigned)``.
    """
    wanted = _ids(participants, "id")
    placed = _ids(out / "cohorts.csv", "participant_id")
    with (out / "unassigned.csv").open(encoding="utf-8", newline="") as fh:
        left = list(csv.DictReader(fh))
    left_ids = [row["participant_id"] for row in left]
    assert len(set(placed)) == len(placed), "someone is placed twice"
    assert len(set(left_ids)) == len(left_ids), "someone is listed twice in unassigned.csv"
    assert not set(placed) & set(left_ids), "someone is both placed and unassigned"
    assert set(placed) | set(left_ids) == set(wanted)
    assert all(row["reason"].strip() for row in left), left
    return len(placed), len(left)
