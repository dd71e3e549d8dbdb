"""A tiny two-tenant SQLite database for the SQL tests (written in the test's tmp folder)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

ROWS = [(1, 1, "Ana", "ana@example.com", "Lisbon"), (2, 1, "Rui", "rui@example.com", "Porto"),
        (3, 1, "Eva", "eva@example.com", "Lisbon"), (4, 2, "Max", "max@other.example", "Berlin")]


def make_db(folder: Path) -> tuple[Path, Path]:
    """(full database, tenant-1-only database)."""
    paths = []
    for name, rows in (("full.sqlite", ROWS), ("tenant.sqlite", [r for r in ROWS if r[1] == 1])):
        p = folder / name
        conn = sqlite3.connect(p)
        conn.execute("CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, shop_id INTEGER, "
                     "name TEXT, email TEXT, city TEXT)")
        conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?)", rows)
        conn.commit()
        conn.close()
        paths.append(p)
    return paths[0], paths[1]


def runtime(folder: Path, timeout_ms: int = 2000, row_cap: int = 1000):
    from harness.data.sqldb import Database
    from harness.tasks.sql import SqlRuntime
    full, tenant = make_db(folder)
    return SqlRuntime(Database(full, timeout_ms, row_cap), Database(tenant, timeout_ms, row_cap))


def example(sql: str, i: int = 0):
    from harness.data.dataset import Example
    return Example(id=f"q{i}", question="?", answer=sql)
