"""The workspace's SQLite database: schema, ordered migrations, connections.

One file, ``DATA/peermatch.sqlite3``, in WAL mode (readers never wait for the
one writer; a killed process loses at most the transaction in hand). The
schema is built by :data:`MIGRATIONS`, applied in order inside one
transaction each; ``schema_version`` holds how many have run, so a newer
peermatch opens an older database by running the rest. Only
:mod:`peermatch.web.store` runs SQL against it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["DB_FILE", "MIGRATIONS", "connect", "migrate"]

#: The database's file name inside the data folder.
DB_FILE = "peermatch.sqlite3"

#: Each migration is a script run once, in order; never edit one that shipped, add another.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE programs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE inputs (
        program_id INTEGER NOT NULL REFERENCES programs(id),
        name TEXT NOT NULL,              -- participants, history, ..., config
        stored TEXT NOT NULL,            -- the server-chosen file name under inputs/
        format TEXT NOT NULL,            -- csv, xlsx or toml
        size INTEGER NOT NULL,
        rows INTEGER,
        warnings TEXT NOT NULL DEFAULT '[]',
        problems TEXT NOT NULL DEFAULT '[]',
        uploaded TEXT NOT NULL,
        PRIMARY KEY (program_id, name)
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        program_id INTEGER NOT NULL REFERENCES programs(id),
        kind TEXT NOT NULL DEFAULT 'run',        -- run or repair
        parent_run INTEGER REFERENCES runs(id),  -- a repair's run
        parent_revision INTEGER,                 -- the revision a repair started from
        status TEXT NOT NULL,                    -- queued running done failed cancelled
        phase TEXT NOT NULL DEFAULT '',
        elapsed REAL NOT NULL DEFAULT 0,
        time_limit REAL,
        seed INTEGER,
        deterministic INTEGER NOT NULL DEFAULT 0,
        allow_unassigned INTEGER NOT NULL DEFAULT 0,
        objective REAL,
        bound REAL,
        gap REAL,
        exit_code INTEGER,
        message TEXT NOT NULL DEFAULT '',
        diagnosis TEXT NOT NULL DEFAULT '[]',
        out_dir TEXT,
        idempotency_key TEXT UNIQUE,
        stop_requested INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE INDEX runs_program ON runs(program_id);
    CREATE TABLE revisions (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        number INTEGER NOT NULL,
        assignment TEXT NOT NULL,   -- {"cohorts": {id: [members]}, "unassigned": [[id, reason]]}
        move TEXT,                  -- the move that made it (JSON), null for the run's own
        undone INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        PRIMARY KEY (run_id, number)
    );
    CREATE TABLE locks (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        kind TEXT NOT NULL,          -- member or cohort
        target TEXT NOT NULL,        -- participant id or cohort id
        created TEXT NOT NULL,
        PRIMARY KEY (run_id, kind, target)
    );
    """,
)


def connect(path: Path) -> sqlite3.Connection:
    """A new connection to the database at ``path`` (one per request or thread).

    Rows come back as :class:`sqlite3.Row`; foreign keys are enforced; a
    writer waits up to 10 s for another to finish instead of failing.
    """
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def migrate(path: Path) -> int:
    """Create or bring up to date the database at ``path``; return its schema version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        version = 0 if row is None else int(row["version"])
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
        conn.execute("COMMIT")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript commits first; the BEGIN inside makes each migration all-or-nothing.
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nUPDATE schema_version SET version = {number};\nCOMMIT;"
            )
        return len(MIGRATIONS)
    finally:
        conn.close()
