"""Text-to-SQL pairs from a SQLite database: sources, prompts and the execution check of `synth`.

Contract:
- `connect_ro(path)` opens the database read-only: a `mode=ro` URI, `PRAGMA query_only`, and an
  authorizer that allows reads only (so neither a write nor an ATTACH or PRAGMA can run, whatever
  the SQL). A missing file or one that is not a SQLite database raises `UserError` naming it.
- `sources(path)`: one `Source` per table (id `table:<name>`), its text the table's CREATE
  statement and those of the tables its foreign keys name, as stored in `sqlite_master`.
- `focuses(source, k)`: up to k of the table's columns, foreign-key and id columns last.
- `question_messages` / `sql_messages`: the two chat prompts (a question a user could answer
  from those tables, about one column; then one SQLite SELECT answering it, schema in the prompt).
- `clean_sql(text)`: the SQL of a reply (code fences and a leading "SQL:" removed).
- `check(path, sql, timeout_s, max_rows) -> reason | None`: None when the query is one statement
  that executes on the read-only connection within `timeout_s` seconds (a progress handler stops
  it) and returns at least one row; else `not_one_statement`, `not_read_only`, `sql_error`,
  `sql_timeout` or `no_rows`.
"""
from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

from harness.errors import UserError
from harness.synth.synth_qa import Source

_READ = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
         getattr(sqlite3, "SQLITE_RECURSIVE", 33)}


def _authorize(action, *_):
    return sqlite3.SQLITE_OK if action in _READ else sqlite3.SQLITE_DENY


def connect_ro(path: Path, authorize: bool = True) -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise UserError("database file not found", file=str(path), key="--database")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as e:
        raise UserError(f"not a readable SQLite database ({e})", file=str(path),
                        key="--database") from None
    if authorize:  # off only for this module's own schema queries (PRAGMA table_info)
        conn.set_authorizer(_authorize)
    return conn


def sources(path: Path) -> list[Source]:
    conn = connect_ro(path, authorize=False)
    try:
        tables = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                   "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall())
        out = []
        for name, sql in tables.items():
            refs = re.findall(r"REFERENCES\s+[\"`\[]?(\w+)", sql or "", flags=re.I)
            related = [tables[r] for r in dict.fromkeys(refs) if r in tables and r != name]
            quoted = '"' + name.replace('"', '""') + '"'
            cols = tuple(r[1] for r in conn.execute(f"PRAGMA table_info({quoted})"))
            out.append(Source(f"table:{name}", name, "\n".join([sql] + related), cols))
        if not out:
            raise UserError("the database has no tables", file=str(path), key="--database")
        return out
    finally:
        conn.close()


def focuses(source: Source, k: int) -> list[str]:
    cols = source.columns
    keyish = [c for c in cols if c.lower() == "id" or c.lower().endswith("_id")]
    return ([c for c in cols if c not in keyish] + keyish)[:k]


SYSTEM_Q = ("You write the questions a shop's staff ask about their database. Reply with one "
            "short question only.")
SYSTEM_SQL = "You write SQLite queries. Reply with one SELECT statement only."


def question_messages(source: Source, column: str) -> tuple[dict, ...]:
    return ({"role": "system", "content": SYSTEM_Q},
            {"role": "user", "content": f"Tables:\n{source.text}\n\nWrite one question about "
                                        f"{source.doc_id}.{column} that a SQL query can answer."})


def sql_messages(source: Source, question: str) -> tuple[dict, ...]:
    return ({"role": "system", "content": SYSTEM_SQL},
            {"role": "user", "content": f"Tables:\n{source.text}\n\nQuestion: {question}\nSQL:"})


def clean_sql(text: str) -> str:
    m = re.search(r"```(?:sql)?\s*(.*?)(?:```|$)", text, flags=re.S | re.I)
    text = m.group(1) if m else text
    return re.sub(r"^\s*SQL:\s*", "", text, flags=re.I).strip()


def check(path: Path, sql: str, timeout_s: float = 2.0, max_rows: int = 1000) -> str | None:
    if not sql.strip():
        return "not_one_statement"
    conn = connect_ro(path)
    deadline = time.monotonic() + timeout_s
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
    try:
        rows = conn.execute(sql).fetchmany(max_rows)
    except sqlite3.DatabaseError as e:
        msg = str(e)
        if "one statement" in msg:
            return "not_one_statement"
        if "interrupted" in msg:
            return "sql_timeout"
        return "not_read_only" if "not authorized" in msg or "readonly" in msg else "sql_error"
    except sqlite3.Warning:  # older Pythons: "You can only execute one statement at a time."
        return "not_one_statement"
    finally:
        conn.close()
    return None if rows else "no_rows"
