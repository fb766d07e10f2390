"""The search archive: every trial of a search in one SQLite file.

Only the search's main process writes (workers return their results to it), and every state change
is one committed transaction, so a search killed at any moment (kill -9 included) keeps every
finished trial; trials it was running are found in state `running` with a dead owner and queued
again on resume (`requeue_interrupted`).
"""
import json
import os
import sqlite3
import time
from typing import Any, Dict, List, Optional

SCHEMA = """
CREATE TABLE IF NOT EXISTS trials (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  family    TEXT NOT NULL,
  arch      TEXT NOT NULL,   -- canonical JSON (space.key)
  proposer  TEXT NOT NULL,
  status    TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  created   REAL NOT NULL,
  started   REAL,
  finished  REAL,
  owner     INTEGER,         -- pid of the search process running it
  metrics   TEXT,            -- JSON: quality and costs, each with how it was obtained
  curve     TEXT,            -- JSON: the training curve
  error     TEXT,
  wall_seconds REAL,
  cpu_seconds  REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS trials_arch ON trials (family, arch);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Archive:
    def __init__(self, path: str):
        self.path = path
        self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _tx(self, sql: str, args=()) -> sqlite3.Cursor:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            cur = self.db.execute(sql, args)
            self.db.execute("COMMIT")
            return cur
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def setting(self, name: str, value: Optional[str] = None) -> Optional[str]:
        """Reads a setting, or records it the first time (a resumed search keeps its first values)."""
        row = self.db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        if row is None and value is not None:
            self._tx("INSERT INTO settings (name, value) VALUES (?, ?)", (name, value))
            return value
        return row["value"] if row else None

    def has(self, family: str, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM trials WHERE family = ? AND arch = ?", (family, key)).fetchone() is not None

    def add(self, family: str, key: str, proposer: str) -> int:
        return self._tx("INSERT INTO trials (family, arch, proposer, status, created) VALUES (?, ?, ?, 'queued', ?)",
                        (family, key, proposer, time.time())).lastrowid

    def start(self, trial_id: int) -> None:
        self._tx("UPDATE trials SET status = 'running', started = ?, owner = ? WHERE id = ?", (time.time(), os.getpid(), trial_id))

    def finish(self, trial_id: int, metrics: Dict[str, Any], curve: List[Any], wall: float, cpu: float) -> None:
        self._tx("UPDATE trials SET status = 'done', finished = ?, metrics = ?, curve = ?, wall_seconds = ?, cpu_seconds = ? WHERE id = ?",
                 (time.time(), json.dumps(metrics), json.dumps(curve), wall, cpu, trial_id))

    def fail(self, trial_id: int, error: str, wall: float, cpu: float) -> None:
        self._tx("UPDATE trials SET status = 'failed', finished = ?, error = ?, wall_seconds = ?, cpu_seconds = ? WHERE id = ?",
                 (time.time(), error, wall, cpu, trial_id))

    def add_metrics(self, trial_id: int, more: Dict[str, Any]) -> None:
        """Adds figures to a finished trial (a later place and route), keeping the others."""
        row = self.db.execute("SELECT metrics FROM trials WHERE id = ?", (trial_id,)).fetchone()
        metrics = dict(json.loads(row["metrics"]) if row and row["metrics"] else {}, **more)
        self._tx("UPDATE trials SET metrics = ? WHERE id = ?", (json.dumps(metrics), trial_id))

    def requeue_interrupted(self) -> int:
        """Trials left `running` by a search process that no longer exists go back to the queue."""
        n = 0
        for row in self.db.execute("SELECT id, owner FROM trials WHERE status = 'running'").fetchall():
            if row["owner"] != os.getpid() and not _alive(row["owner"]):
                self._tx("UPDATE trials SET status = 'queued', started = NULL, owner = NULL WHERE id = ?", (row["id"],))
                n += 1
        return n

    def trials(self, status: Optional[str] = None) -> List[Dict[str, Any]]:
        sql, args = "SELECT * FROM trials", ()
        if status:
            sql, args = sql + " WHERE status = ?", (status,)
        out = []
        for r in self.db.execute(sql + " ORDER BY id", args).fetchall():
            t = dict(r)
            t["arch"] = json.loads(t["arch"])
            for k in ("metrics", "curve"):
                t[k] = json.loads(t[k]) if t[k] else None
            out.append(t)
        return out


def _alive(pid: Optional[int]) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
