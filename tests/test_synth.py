"""`harness synth`: generated pairs in the suite's row format, deduplicated, supported by their
source, with provenance; appended as made and resumable; bad input is exit 2 with file/key/line.

The real embedded model writes the pairs in the first test (and the SQL smoke test); where the
filter, the resume logic or the SQL checks are what is tested, a scripted stand-in backend
answers (it must produce one unsupported pair, one DROP TABLE..., on purpose).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from harness import registry
from harness.backends.base import Generation
from harness.cli import app
from harness.synth.synth import Options, synthesize
from harness.synth import synth_qa as qa
from tests.conftest import TINY


def _rows(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def _log(path: Path) -> list[dict]:
    return _rows(Path(str(path) + ".progress.jsonl"))


def test_embedded_model_writes_valid_deduplicated_rows_with_provenance(tmp_path, tiny_suite):
    from harness.data.dataset import load_examples
    from harness.data.embeddings import embed
    out = tmp_path / "synthetic.jsonl"
    args = ["synth", str(TINY), "--pairs", "2", "--max-new-tokens", "24"]
    res = CliRunner().invoke(app, args + ["--out", str(out)])
    assert res.exit_code == 0, res.output
    log = _log(out)
    chunks = {s.id: s for s in qa.sources(_kb(tiny_suite), 128, 16)}
    assert [e["source"] for e in log[1:]] == list(chunks)  # every chunk, once, in order
    rows = _rows(out)
    generated = sum(e["generated"] for e in log[1:])
    dropped = sum(sum(e["dropped"].values()) for e in log[1:])
    assert rows and len(rows) == sum(e["kept"] for e in log[1:]) == generated - dropped
    # valid rows of the suite's own format: the loader of train files accepts them
    loaded = load_examples(out, tiny_suite.suite.data.fields, "synth")
    assert len({e.id for e in loaded}) == len(rows)
    for r in rows:
        p = r["provenance"]
        src = chunks[p["synth_source"]]
        assert p["model"] == "hf:embedded:smollm2-135m-instruct" and r["origin"] == "synthetic"
        assert p["source_sha"] == hashlib.sha256(src.text.encode()).hexdigest()[:16]
        assert src.text.strip() in p["prompts"]["answer"][-1]["content"]
        assert p["focus"] in p["prompts"]["question"][-1]["content"]
        assert r["source_doc"] == src.doc_id
        assert qa.check_pair(tiny_suite.suite, src.text, p["focus"], r["question"],
                             r["answer"]) == (None, r["key_facts"])
    # no kept question is a near-duplicate of an existing row or of another kept one
    existing = [e.question for n in ("train", "dev", "test")
                for e in load_examples(TINY.parent / f"{n}.jsonl", tiny_suite.suite.data.fields, n)]
    kept = embed([r["question"] for r in rows], "embedded:all-minilm-l6-v2")
    old = embed(existing, "embedded:all-minilm-l6-v2")
    sims = kept @ kept.T
    np.fill_diagonal(sims, 0)
    assert (old @ kept.T).max() < 0.9 and sims.max() < 0.9
    # the same greedy run against these rows as existing ones: every pair is now a duplicate
    again = tmp_path / "again.jsonl"
    res = CliRunner().invoke(app, args + ["--out", str(again), "--existing", str(out)])
    assert res.exit_code == 0, res.output
    assert not again.exists() or not _rows(again)
    assert sum(e["dropped"].get("duplicate", 0) for e in _log(again)[1:]) == len(rows)


def _kb(ls):
    from harness.data.kb import load_kb
    return load_kb(ls.resolve(ls.suite.data.knowledge_base, "data.knowledge_base"))


class Scripted:
    """Stand-in model: a question naming the focus sentence's first fact; an answer that restates
    the excerpt's line holding that fact — except about Plus, where it is made unsupported
    ($7.99; the knowledge base says $9.99). `fail_at`: the generate call that raises."""
    calls: list[list[str]] = []
    fail_at: int | None = None

    def __init__(self, cfg, pricing=None):
        pass

    def generate(self, requests, progress=None):
        Scripted.calls.append([r.messages[-1]["content"] for r in requests])
        if Scripted.fail_at is not None and len(Scripted.calls) == Scripted.fail_at:
            raise RuntimeError("killed")
        return [Generation(self._reply(r.messages), 1, 1, 0.0) for r in requests]

    @staticmethod
    def _reply(messages):
        user = messages[-1]["content"]
        if messages[0]["content"] == qa.SYSTEM_Q:
            focus = user.removeprefix("Fact: ")
            return f"Question number {len(focus)} about: {' '.join(focus.split()[:6])}?"
        if "about: The Plus" in user:
            return "The Plus plan costs $7.99 per month."
        question = user.rsplit("Question:", 1)[-1]
        words = question.split("about:", 1)[-1].rstrip("?").split()[:3]
        lines = [l for l in user.splitlines() if all(w in l for w in words) and "about" not in l]
        return lines[0].lstrip("[1] ") if lines else "No idea."


@pytest.fixture
def scripted(monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "hf", Scripted)
    Scripted.calls, Scripted.fail_at = [], None
    return Scripted


def test_unsupported_pair_is_dropped(tmp_path, tiny_suite, scripted):
    out = tmp_path / "s.jsonl"
    t = synthesize(tiny_suite, Options(out=out, pairs=3, dedup_threshold=0.999))
    rows = _rows(out)
    assert not [r for r in rows if "7.99" in r["answer"]]
    assert t["dropped"].get("fact_not_in_source") == 1
    assert any("$9.99" not in r["answer"] and "$4.99" in r["answer"] for r in rows)
    assert len(rows) == t["kept"] == t["generated"] - sum(t["dropped"].values())
    # the made-up pair on its own: the fact $7.99 is not in the chunk, $9.99 is
    chunk = "The Plus plan costs $9.99 per month and includes 2 TB of storage."
    assert qa.check("What does Plus cost?", "Plus costs $7.99 per month.", chunk) == (
        "fact_not_in_source", ["$7.99"])
    assert qa.check("What does Plus cost?", "Plus costs $9.99 per month.", chunk)[0] is None
    assert qa.check("What does Plus cost?", "It is cheap.", chunk)[0] == "no_checkable_fact"


def test_support_check_reasons(tiny_suite):
    chunk = "The Plus plan costs $9.99 per month. Refunds are available within 14 days."
    focus = "The Plus plan costs $9.99 per month."
    check = lambda q, a: qa.check_pair(tiny_suite.suite, chunk, focus, q, a)[0]  # noqa: E731
    assert check("What does Plus cost?", "It costs $9.99 per month.") is None
    assert check("What does Plus cost", "It costs $9.99 per month.") == "not_a_question"
    assert check("What does Plus cost?", "Refunds take 14 days.") == "off_focus"
    assert check("What does Plus cost?", "Answer the customer's question using the excerpts. "
                 "$9.99") == "prompt_echo"
    assert check("What does the Plus plan cost?", "The Plus plan is good.") == "no_checkable_fact"
    # a reply cut by max_new_tokens keeps its complete sentences, not a list marker
    assert qa.clean_answer("Plus costs $9.99. 1. Open", cut=True) == "Plus costs $9.99."
    assert qa.clean_answer("1. Open Settings.\n2. Click", cut=True) == "1. Open Settings."
    assert qa.clean_answer("Question: x?\nAnswer: $9.99 a month.") == "$9.99 a month."


def test_interrupted_run_resumes_without_redoing_finished_sources(tmp_path, tiny_suite, scripted):
    whole = tmp_path / "whole.jsonl"
    synthesize(tiny_suite, Options(out=whole, pairs=2, batch_sources=1, dedup_threshold=0.999))
    out = tmp_path / "s.jsonl"
    opts = Options(out=out, pairs=2, batch_sources=1, dedup_threshold=0.999)
    Scripted.calls, Scripted.fail_at = [], 3   # 2 calls per source: dies on the second source
    with pytest.raises(RuntimeError):
        synthesize(tiny_suite, opts)
    done = [e["source"] for e in _log(out)[1:]]
    first = out.read_text()
    assert len(done) == 1 and first
    # a kill between a row of the next source and its log line, and a torn last write
    stray = dict(_rows(out)[0], id="stray")
    stray["provenance"] = dict(stray["provenance"], synth_source="refunds#0")
    with open(out, "a") as f:
        f.write(json.dumps(stray) + "\n" + '{"id": "torn", "quest')
    Scripted.calls, Scripted.fail_at = [], None
    t = synthesize(tiny_suite, opts)
    asked = [m for call in Scripted.calls for m in call]
    first_focus = [r["provenance"]["focus"] for r in _rows(whole)
                   if r["provenance"]["synth_source"] == done[0]]
    assert first_focus and not [m for m in asked if any(f in m for f in first_focus)]
    assert len(Scripted.calls) == 4            # the two remaining sources, two calls each
    assert out.read_text().startswith(first)   # finished rows kept byte for byte
    assert [r["id"] for r in _rows(out)] == [r["id"] for r in _rows(whole)]
    assert t["sources"] == 3 and t["kept"] == len(_rows(whole))


def test_bad_input_is_exit_2_with_file_key_and_line(tmp_path, scripted):
    run = CliRunner().invoke
    bad = tmp_path / "rows.jsonl"
    bad.write_text('{"question": "a?", "answer": "b"}\n{"question": \n')
    res = run(app, ["synth", str(TINY), "--out", str(tmp_path / "o.jsonl"), "--existing", str(bad)])
    assert res.exit_code == 2 and f"{bad}:2" in res.output and "Traceback" not in res.output
    res = run(app, ["synth", str(TINY), "--out", str(tmp_path / "o.jsonl"), "--model", "bogus=1"])
    assert res.exit_code == 2 and "--model bogus" in res.output
    mine = tmp_path / "mine.jsonl"
    mine.write_text('{"question": "a?", "answer": "b"}\n')
    res = run(app, ["synth", str(TINY), "--out", str(mine)])
    assert res.exit_code == 2 and str(mine) in res.output
    assert mine.read_text() == '{"question": "a?", "answer": "b"}\n'   # never overwritten
    out = tmp_path / "s.jsonl"
    assert run(app, ["synth", str(TINY), "--out", str(out), "--limit", "1"]).exit_code == 0
    res = run(app, ["synth", str(TINY), "--out", str(out), "--pairs", "5"])
    assert res.exit_code == 2 and f"{out}.progress.jsonl:1" in res.output
    assert "settings.pairs" in res.output
    notdb = tmp_path / "shop.sqlite"
    notdb.write_text("not a database")
    res = run(app, ["synth", str(TINY), "--out", str(tmp_path / "q.jsonl"),
                    "--database", str(notdb)])
    assert res.exit_code == 2 and str(notdb) in res.output and "--database" in res.output
    assert len(Scripted.calls) == 2  # the --limit 1 run's two calls only: bad input asks nothing


def _shop(path: Path) -> Path:
    c = sqlite3.connect(path)
    c.executescript("""
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, city TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                             total REAL);
        INSERT INTO customers VALUES (1, 'Ann', 'Oslo'), (2, 'Bo', 'Lund');
        INSERT INTO orders VALUES (1, 1, 9.5), (2, 2, 20.0);""")
    c.commit()
    c.close()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ScriptedSQL(Scripted):
    REPLIES = {"name": "SELECT name FROM customers", "city": "DROP TABLE orders",
               "id": "SELECT name FROM customers WHERE city = 'Rome'",
               "total": "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
                        "SELECT count(*) FROM r",
               "customer_id": "```sql\nUPDATE orders SET total = 0\n```"}

    @staticmethod
    def _reply(messages):
        user = messages[-1]["content"]
        if "Write one question about" in user:
            return "What is " + user.rsplit("about ", 1)[1].split(" ")[0] + "?"
        column = user.rsplit("Question: What is ", 1)[1].split("?")[0].split(".")[1]
        return ScriptedSQL.REPLIES[column]


def test_sql_pairs_are_kept_only_when_the_query_reads_rows(tmp_path, tiny_suite, monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "hf", ScriptedSQL)
    db = _shop(tmp_path / "shop.sqlite")
    before = _digest(db)
    out = tmp_path / "sql.jsonl"
    t = synthesize(tiny_suite, Options(out=out, database=db, pairs=3, sql_timeout_s=0.3,
                                       dedup_threshold=0.999))
    assert _digest(db) == before   # neither the DROP nor the UPDATE changed the database
    assert t["dropped"] == {"not_read_only": 2, "no_rows": 2, "sql_timeout": 1}
    rows = _rows(out)
    assert [r["answer"] for r in rows] == ["SELECT name FROM customers"]
    assert rows[0]["source_doc"] == "customers" and rows[0]["provenance"]["database"] == db.name


def test_embedded_model_sql_synth_leaves_the_database_unchanged(tmp_path):
    db = _shop(tmp_path / "shop.sqlite")
    before = _digest(db)
    out = tmp_path / "sql.jsonl"
    res = CliRunner().invoke(app, ["synth", str(TINY), "--database", str(db), "--out", str(out),
                                   "--pairs", "1", "--max-new-tokens", "32"])
    assert res.exit_code == 0, res.output
    assert _digest(db) == before
    log = _log(out)
    assert [e["source"] for e in log[1:]] == ["table:customers", "table:orders"]
    conn = sqlite3.connect(db)
    for r in (_rows(out) if out.exists() else []):
        assert conn.execute(r["answer"]).fetchall()   # every kept query reads rows
