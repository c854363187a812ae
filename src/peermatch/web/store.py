"""The only code that touches SQL: programs, inputs, runs, revisions and locks.

Each thread gets its own connection (SQLite connections are not shared
across threads); every write is one transaction, committed before the
method returns, so an answer the server gave is on disk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peermatch.web.db import connect, migrate

__all__ = ["ACTIVE", "Store"]

#: Run states in which a run still has work to do.
ACTIVE = ("queued", "running")

_RUN_FIELDS = frozenset(
    {
        "status",
        "phase",
        "elapsed",
        "objective",
        "bound",
        "gap",
        "exit_code",
        "message",
        "diagnosis",
        "out_dir",
        "stop_requested",
    }
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _dict(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else dict(row)


class Store:
    """The workspace's state in the SQLite database at ``path`` (created or migrated here)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.version = migrate(path)
        self._local = threading.local()

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (taken at once, so that a read-then-write does not race)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # --- programs ---------------------------------------------------------------

    def create_program(self, name: str) -> int:
        """A new program; its id."""
        with self._write() as conn:
            cur = conn.execute("INSERT INTO programs (name, created) VALUES (?, ?)", (name, _now()))
            assert cur.lastrowid is not None
            return cur.lastrowid

    def programs(self) -> list[dict[str, Any]]:
        """Every program, newest first."""
        rows = self.conn.execute("SELECT * FROM programs ORDER BY id DESC").fetchall()
        return [dict(r) for r in rows]

    def program(self, program_id: int) -> dict[str, Any] | None:
        """One program, ``None`` when unknown."""
        row = self.conn.execute("SELECT * FROM programs WHERE id = ?", (program_id,)).fetchone()
        return _dict(row)

    # --- inputs -----------------------------------------------------------------

    def put_input(
        self,
        program_id: int,
        name: str,
        *,
        stored: str,
        format: str,
        size: int,
    ) -> None:
        """Record (or replace) the stored file of one input table; its checks come later."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO inputs (program_id, name, stored, format, size, uploaded)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (program_id, name, stored, format, size, _now()),
            )

    def set_checks(self, program_id: int, checks: dict[str, dict[str, Any]]) -> None:
        """Store each table's ``rows``, ``warnings`` and ``problems`` after a validation."""
        with self._write() as conn:
            for name, found in checks.items():
                conn.execute(
                    "UPDATE inputs SET rows = ?, warnings = ?, problems = ?"
                    " WHERE program_id = ? AND name = ?",
                    (
                        found.get("rows"),
                        json.dumps(found.get("warnings", [])),
                        json.dumps(found.get("problems", [])),
                        program_id,
                        name,
                    ),
                )

    def inputs(self, program_id: int) -> list[dict[str, Any]]:
        """The program's input tables, by name, with their checks decoded."""
        rows = self.conn.execute(
            "SELECT * FROM inputs WHERE program_id = ? ORDER BY name", (program_id,)
        ).fetchall()
        out = []
        for r in rows:
            item = dict(r)
            item["warnings"] = json.loads(item["warnings"])
            item["problems"] = json.loads(item["problems"])
            out.append(item)
        return out

    # --- runs -------------------------------------------------------------------

    def create_run(
        self,
        program_id: int,
        *,
        kind: str = "run",
        parent_run: int | None = None,
        parent_revision: int | None = None,
        time_limit: float | None = None,
        seed: int | None = None,
        deterministic: bool = False,
        allow_unassigned: bool = False,
        idempotency_key: str | None = None,
    ) -> tuple[int, bool]:
        """A new queued run, or the one already asked for: ``(run_id, created)``.

        The same ``idempotency_key`` gives the same run; so does a run of the
        same kind (and, for a repair, of the same parent) still queued or running.
        """
        with self._write() as conn:
            if idempotency_key is not None:
                row = conn.execute(
                    "SELECT id FROM runs WHERE idempotency_key = ?", (idempotency_key,)
                ).fetchone()
                if row is not None:
                    return int(row["id"]), False
            row = conn.execute(
                "SELECT id FROM runs WHERE program_id = ? AND kind = ? AND parent_run IS ?"
                " AND status IN ('queued', 'running') ORDER BY id LIMIT 1",
                (program_id, kind, parent_run),
            ).fetchone()
            if row is not None:
                return int(row["id"]), False
            now = _now()
            cur = conn.execute(
                "INSERT INTO runs (program_id, kind, parent_run, parent_revision, status,"
                " time_limit, seed, deterministic, allow_unassigned, idempotency_key, created, updated)"
                " VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
                (
                    program_id,
                    kind,
                    parent_run,
                    parent_revision,
                    time_limit,
                    seed,
                    int(deterministic),
                    int(allow_unassigned),
                    idempotency_key,
                    now,
                    now,
                ),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid, True

    def run(self, run_id: int) -> dict[str, Any] | None:
        """One run (``diagnosis`` decoded), ``None`` when unknown."""
        row = _dict(self.conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone())
        if row is not None:
            row["diagnosis"] = json.loads(row["diagnosis"])
        return row

    def runs(self, program_id: int) -> list[dict[str, Any]]:
        """A program's runs, newest first."""
        ids = self.conn.execute(
            "SELECT id FROM runs WHERE program_id = ? ORDER BY id DESC", (program_id,)
        ).fetchall()
        return [r for i in ids if (r := self.run(int(i["id"]))) is not None]

    def update_run(self, run_id: int, *, only_if: tuple[str, ...] = (), **fields: Any) -> bool:
        """Set some fields of a run; with ``only_if``, only while its status is one of them.

        Returns whether the row changed.
        """
        unknown = set(fields) - _RUN_FIELDS
        if unknown:
            raise ValueError(f"unknown run fields {sorted(unknown)}")
        if "diagnosis" in fields:
            fields["diagnosis"] = json.dumps(fields["diagnosis"])
        sets = ", ".join(f"{k} = ?" for k in fields)
        sql = f"UPDATE runs SET {sets}, updated = ? WHERE id = ?"
        args: list[Any] = [*fields.values(), _now(), run_id]
        if only_if:
            sql += f" AND status IN ({', '.join('?' for _ in only_if)})"
            args += list(only_if)
        with self._write() as conn:
            return conn.execute(sql, args).rowcount > 0

    def runs_in(self, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
        """Every run whose status is one of ``statuses``, oldest first."""
        marks = ", ".join("?" for _ in statuses)
        ids = self.conn.execute(
            f"SELECT id FROM runs WHERE status IN ({marks}) ORDER BY id", statuses
        ).fetchall()
        return [r for i in ids if (r := self.run(int(i["id"]))) is not None]

    # --- revisions --------------------------------------------------------------

    def add_revision(
        self, run_id: int, assignment: dict[str, Any], move: dict[str, Any] | None
    ) -> int:
        """A new current revision after the current one (what was undone is dropped)."""
        with self._write() as conn:
            current = self._current(conn, run_id)
            if current is not None:
                conn.execute(
                    "DELETE FROM revisions WHERE run_id = ? AND number > ?", (run_id, current)
                )
            number = 0 if current is None else current + 1
            conn.execute(
                "INSERT INTO revisions (run_id, number, assignment, move, created)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    run_id,
                    number,
                    json.dumps(assignment),
                    None if move is None else json.dumps(move),
                    _now(),
                ),
            )
            return number

    @staticmethod
    def _current(conn: sqlite3.Connection, run_id: int) -> int | None:
        row = conn.execute(
            "SELECT MAX(number) AS n FROM revisions WHERE run_id = ? AND undone = 0", (run_id,)
        ).fetchone()
        return None if row["n"] is None else int(row["n"])

    def revision(self, run_id: int, number: int | None = None) -> dict[str, Any] | None:
        """A revision (the current one by default), its assignment and move decoded."""
        conn = self.conn
        if number is None:
            number = self._current(conn, run_id)
            if number is None:
                return None
        row = _dict(
            conn.execute(
                "SELECT * FROM revisions WHERE run_id = ? AND number = ?", (run_id, number)
            ).fetchone()
        )
        if row is not None:
            row["assignment"] = json.loads(row["assignment"])
            row["move"] = None if row["move"] is None else json.loads(row["move"])
        return row

    def moves(self, run_id: int, upto: int) -> list[dict[str, Any]]:
        """The moves that made revisions 1..``upto``, in order."""
        rows = self.conn.execute(
            "SELECT move FROM revisions WHERE run_id = ? AND number BETWEEN 1 AND ?"
            " ORDER BY number",
            (run_id, upto),
        ).fetchall()
        return [json.loads(r["move"]) for r in rows if r["move"] is not None]

    def can_redo(self, run_id: int) -> bool:
        """Whether an undone revision follows the current one."""
        current = self._current(self.conn, run_id)
        row = self.conn.execute(
            "SELECT COUNT(*) AS n FROM revisions WHERE run_id = ? AND undone = 1 AND number > ?",
            (run_id, -1 if current is None else current),
        ).fetchone()
        return int(row["n"]) > 0

    def undo(self, run_id: int) -> int | None:
        """Step back one revision (never before the run's own); the new current number."""
        with self._write() as conn:
            current = self._current(conn, run_id)
            if current is None or current == 0:
                return None
            conn.execute(
                "UPDATE revisions SET undone = 1 WHERE run_id = ? AND number = ?",
                (run_id, current),
            )
            return self._current(conn, run_id)

    def redo(self, run_id: int) -> int | None:
        """Step forward to the next undone revision; the new current number, ``None`` if none."""
        with self._write() as conn:
            current = self._current(conn, run_id)
            row = conn.execute(
                "SELECT MIN(number) AS n FROM revisions WHERE run_id = ? AND undone = 1"
                " AND number > ?",
                (run_id, -1 if current is None else current),
            ).fetchone()
            if row["n"] is None:
                return None
            conn.execute(
                "UPDATE revisions SET undone = 0 WHERE run_id = ? AND number = ?",
                (run_id, row["n"]),
            )
            return int(row["n"])

    # --- locks ------------------------------------------------------------------

    def set_lock(self, run_id: int, kind: str, target: str, locked: bool) -> None:
        """Lock or unlock a member (``kind`` ``member``) or a whole cohort (``cohort``)."""
        with self._write() as conn:
            if locked:
                conn.execute(
                    "INSERT OR IGNORE INTO locks (run_id, kind, target, created)"
                    " VALUES (?, ?, ?, ?)",
                    (run_id, kind, target, _now()),
                )
            else:
                conn.execute(
                    "DELETE FROM locks WHERE run_id = ? AND kind = ? AND target = ?",
                    (run_id, kind, target),
                )

    def locks(self, run_id: int) -> dict[str, set[str]]:
        """``{"member": {participant ids}, "cohort": {cohort ids}}`` locked in a run."""
        out: dict[str, set[str]] = {"member": set(), "cohort": set()}
        for r in self.conn.execute(
            "SELECT kind, target FROM locks WHERE run_id = ?", (run_id,)
        ).fetchall():
            out[r["kind"]].add(r["target"])
        return out
