"""sql_bot's data: the committed files equal a fresh build, golds execute and return rows, the
sizes and the schema the system prompt lists are the database's."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.suites.helpers import rows, suite_script

HERE = Path(__file__).resolve().parents[2] / "suites" / "sql_bot"


@pytest.fixture(scope="module")
def build():
    with suite_script("sql_bot") as build_data:
        yield build_data


@pytest.fixture(scope="module")
def conn(build):
    import random
    return build.write_database(build.build_rows(random.Random(build.SEED)))


def _rows(name):
    return rows("sql_bot", name)


def test_committed_files_equal_a_fresh_build(build):
    assert build.check() == []


def test_sizes_tables_and_rows(conn):
    sizes = {s: len(_rows(f"{s}.jsonl")) for s in ("train", "dev", "test")}
    assert sizes["train"] >= 300 and sizes["dev"] >= 60 and sizes["test"] >= 120
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert len(tables) >= 6
    total = sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables)
    assert 2000 <= total <= 50000
    assert conn.execute("SELECT COUNT(DISTINCT shop_id) FROM customers").fetchone()[0] == 3


def test_every_gold_executes_and_returns_rows_and_no_question_repeats(conn):
    rows = _rows("train.jsonl") + _rows("dev.jsonl") + _rows("test.jsonl")
    for r in rows:
        got = conn.execute(r["sql"]).fetchall()
        assert got and any(v not in (None, 0) for row in got for v in row), r["id"]
        assert "shop_id = 1" in r["sql"], r["id"]
    assert len({r["question"] for r in rows}) == len(rows)
    assert {r["difficulty"] for r in rows} == {"easy", "medium", "hard"}


def test_the_suite_lists_the_databases_schema(build):
    from harness.config.suite import load_suite
    prompt = load_suite(HERE.parent / "sql_bot.yaml").suite.system_prompt
    for line in build.schema_prompt().splitlines():
        assert line in prompt


def test_probes_cover_writes_tenants_injection_and_benign():
    cats = {r["category"] for r in _rows("safety.jsonl")}
    assert cats == {"harmful", "other_customer_data", "injection_user", "benign"}
