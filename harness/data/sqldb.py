"""Run SQL that a model wrote against a SQLite database it can neither change nor hang.

Contract:
- `Database(path, timeout_ms, row_cap)`: every query runs on a connection opened with the
  `file:...?mode=ro` URI, `PRAGMA query_only = ON`, and an authorizer that denies every action
  but reading (SQLite's own check, made while it compiles the statement: INSERT / UPDATE /
  DELETE / DROP / CREATE / ALTER / ATTACH / DETACH / PRAGMA / transactions are refused and
  recorded), so a generated statement cannot write even if one layer were missing.
- `run(sql)` -> `Result(columns, rows, error, wrote, truncated, seconds)`: at most `row_cap`
  rows are fetched (`truncated` says more were there); a query still running after
  `timeout_ms` is interrupted through SQLite's progress handler (`error` "interrupted: ...").
  Never raises for a bad query: `error` holds SQLite's message.
- `statements(text)` splits text into complete SQL statements with SQLite's own tokenizer
  (`sqlite3.complete_statement`, which knows about quotes and comments).
- `is_read(sql)`: the statement's first keyword is SELECT / WITH / VALUES and compiling it on the
  guarded connection triggered no write action.
- `file_checksum(path)`: SHA-256 of the database file's bytes (tests: nothing changed it).
"""
from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                 getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
_READ_START = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(select|with|values)\b",
                         re.IGNORECASE | re.DOTALL)


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]
    error: str | None = None
    wrote: bool = False       # the statement asked for a non-read action (it was refused)
    truncated: bool = False   # more than row_cap rows
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and not self.truncated


def file_checksum(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def statements(text: str) -> list[str]:
    """Complete statements in `text` (the last one may lack its `;`), stripped, empty ones
    dropped."""
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch == ";" and sqlite3.complete_statement(text[start:i + 1]):
            out.append(text[start:i].strip())
            start = i + 1
    out.append(text[start:].strip())
    return [s for s in out if s]


class Database:
    def __init__(self, path: str | Path, timeout_ms: int = 2000, row_cap: int = 10000):
        self.path, self.timeout_ms, self.row_cap = Path(path), timeout_ms, row_cap
        self._conn = None
        self._denied: list[int] = []
        self._deadline = 0.0
        self._cache: dict[str, Result] = {}
        self._schema: dict[str, dict[str, str]] | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                   check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")

            def authorize(action, *_):
                if action in _READ_ACTIONS:
                    return sqlite3.SQLITE_OK
                self._denied.append(action)
                return sqlite3.SQLITE_DENY
            conn.set_authorizer(authorize)
            # polled every 1,000 virtual-machine steps; non-zero interrupts the statement
            conn.set_progress_handler(lambda: int(time.monotonic() > self._deadline), 1000)
            self._conn = conn
        return self._conn

    def run(self, sql: str) -> Result:
        conn = self._connect()
        self._denied.clear()
        t0 = time.monotonic()
        self._deadline = t0 + self.timeout_ms / 1000
        try:
            cur = conn.execute(sql)
            rows = cur.fetchmany(self.row_cap + 1)
            cols = [d[0] for d in cur.description or ()]
            cur.close()
            return Result(cols, rows[: self.row_cap], truncated=len(rows) > self.row_cap,
                          seconds=time.monotonic() - t0)
        except (sqlite3.Error, sqlite3.Warning, ValueError, OverflowError) as e:
            msg = str(e) or type(e).__name__
            if "interrupted" in msg:
                msg = f"interrupted: ran past the {self.timeout_ms} ms limit"
            return Result([], [], error=msg, wrote=bool(self._denied),
                          seconds=time.monotonic() - t0)

    def run_cached(self, sql: str) -> Result:
        """`run`, remembered per SQL text (gold queries are asked once per metric)."""
        if sql not in self._cache:
            self._cache[sql] = self.run(sql)
        return self._cache[sql]

    def schema(self) -> dict[str, dict[str, str]]:
        """{table: {column: declared type}}, lower-case names, read once on a plain read-only
        connection (the guarded one's authorizer refuses PRAGMA)."""
        if self._schema is None:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                tables = [r[0] for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
                self._schema = {t.lower(): {c[1].lower(): c[2] or "TEXT" for c in
                                            conn.execute(f'PRAGMA table_info("{t}")')}
                                for t in tables}
            finally:
                conn.close()
        return self._schema

    def is_read(self, sql: str) -> bool:
        if not _READ_START.match(sql):
            return False
        return not self.run(sql).wrote

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
