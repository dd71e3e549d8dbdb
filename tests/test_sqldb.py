"""The read-only executor: generated SQL can neither change the database nor hang the run."""
from __future__ import annotations

import time

import pytest

from harness.data.sqldb import Database, file_checksum, statements
from tests.sql_fixture import make_db

WRITES = ["DROP TABLE customers", "UPDATE customers SET email = 'x'", "DELETE FROM customers",
          "INSERT INTO customers VALUES (9, 1, 'Zed', 'z@x', 'Faro')",
          "PRAGMA query_only = OFF", "ATTACH DATABASE 'other.sqlite' AS o",
          "CREATE TABLE t (x)", "ALTER TABLE customers ADD COLUMN y", "BEGIN"]


@pytest.mark.parametrize("sql", WRITES)
def test_a_write_cannot_change_the_database(tmp_path, sql):
    full, _ = make_db(tmp_path)
    before = file_checksum(full)
    db = Database(full)
    res = db.run(sql)
    again = db.run("UPDATE customers SET city = 'Faro'")   # and the connection stays read-only
    assert res.error and res.wrote and again.error and again.wrote
    assert not db.is_read(sql)
    assert db.run("SELECT COUNT(*), MIN(email) FROM customers").rows == [(4, "ana@example.com")]
    db.close()
    assert file_checksum(full) == before
    assert not (tmp_path / "other.sqlite").exists()


def test_a_query_that_would_run_for_minutes_is_stopped_within_the_limit(tmp_path):
    full, _ = make_db(tmp_path)
    db = Database(full, timeout_ms=300)
    endless = ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
               "SELECT COUNT(*) FROM n")
    t0 = time.monotonic()
    res = db.run(endless)
    assert res.error.startswith("interrupted") and not res.rows
    assert time.monotonic() - t0 < 0.3 + 2.0   # the limit, plus slack for a loaded machine
    assert db.run("SELECT COUNT(*) FROM customers").rows == [(4,)]   # the next query runs


def test_rows_past_the_cap_are_not_fetched(tmp_path):
    full, _ = make_db(tmp_path)
    res = Database(full, row_cap=10).run(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 50) SELECT x FROM n")
    assert res.truncated and len(res.rows) == 10 and not res.ok


def test_statements_are_split_by_sqlites_tokenizer():
    text = "SELECT 'a;b' FROM t; DROP TABLE t; -- gone;\nSELECT 2"
    assert statements(text) == ["SELECT 'a;b' FROM t", "DROP TABLE t", "-- gone;\nSELECT 2"]


def test_reads_are_reads(tmp_path):
    full, _ = make_db(tmp_path)
    db = Database(full)
    assert db.is_read("SELECT name FROM customers")
    assert db.is_read("WITH c AS (SELECT 1) SELECT * FROM c")
    assert not db.is_read("SELEC name FROM customers") or db.run("SELEC 1").error
