"""Knowledge updates: incremental re-index, continued training, bad `updates:` blocks, the
decision's update term, and `harness run` on the tiny suite's price-change update."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from tests.conftest import ROOT

TINY = ROOT / "tests" / "fixtures" / "tiny"
UPDATES = TINY / "updates.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def loaded():
    from harness.data.dataset import load_dataset
    from harness.config.suite import load_suite
    ls = load_suite(UPDATES)
    return ls, load_dataset(ls)


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.name.encode()); h.update(p.read_bytes())
    return h.hexdigest()


def test_reindex_embeds_only_the_changed_documents(loaded, tmp_path):
    from llama_index.core import Document as LIDocument
    from llama_index.core.node_parser import SentenceSplitter

    from harness.data.retrieval import build_retriever
    from harness.updates.update_data import UpdateSet
    from harness.updates.update_index import refresh_index
    ls, data = loaded
    knobs = ls.suite.strategy("rag")
    emb = ls.suite.embedding.name_or_path
    before, folder, _ = build_retriever(data.kb, knobs, emb, tmp_path)
    persisted = _digest(folder)
    upd = data.updates[0]
    changed = upd.changed_doc_ids(data.kb)
    assert changed == ["plans", "storage-add-ons"]   # refunds.md is an unchanged copy
    splitter = SentenceSplitter(chunk_size=knobs.chunk_size, chunk_overlap=knobs.chunk_overlap)
    expected = len(splitter.get_nodes_from_documents(
        [LIDocument(text=d.text, doc_id=d.id) for d in upd.docs if d.id in changed]))
    after, stats = refresh_index(folder, data.kb, upd, knobs, emb)
    assert stats["embedded_chunks"] == expected < stats["chunks"]
    assert stats["changed_docs"] == changed
    nodes = lambda r: {d: sorted(i.node_ids) for d, i in r.index.ref_doc_info.items()}  # noqa: E731
    old, new = nodes(before), nodes(after)
    for doc in ("refunds", "security"):   # untouched: the very same chunks, not re-embedded
        assert new[doc] == old[doc]
    assert set(new["plans"]).isdisjoint(old["plans"]) and "storage-add-ons" in new
    texts = {c.doc_id: c.text for c in after.chunks}
    assert "$5.99" in texts["plans"] and "$4.99" not in " ".join(c.text for c in after.chunks)
    assert after.retrieve_many(["extra storage add-on price"])[0][0].doc_id == "storage-add-ons"
    assert _digest(folder) == persisted   # the cached index is read, never written
    # removing a document: delete_ref_doc drops its chunks and embeds nothing
    gone = UpdateSet(upd.config.model_copy(update={"removed": ["security"]}), [], [], [])
    after2, stats2 = refresh_index(folder, data.kb, gone, knobs, emb)
    assert stats2["embedded_chunks"] == 0
    assert "security" not in {c.doc_id for c in after2.chunks}
    assert len(after2.chunks) == len(before.chunks) - len(old["security"])


def test_continued_training_starts_from_the_stored_adapter(backend, tmp_path):
    from harness.data.prompting import build_messages
    from harness.config.suite import LoraKnobs, TrainingKnobs
    from harness.training.training import train_lora
    from tests.test_training import PAIRS, SYSTEM
    pairs = [(build_messages(SYSTEM, q), a) for q, a in PAIRS]
    knobs = TrainingKnobs(learning_rate=2e-3, max_steps=8, per_device_train_batch_size=4,
                          save_steps=0)   # one step = all four pairs: losses are comparable
    lora = LoraKnobs(r=8, lora_alpha=16)
    old = train_lora(backend, pairs, lora, knobs, tmp_path / "old")
    weights = (tmp_path / "old" / "adapter_model.safetensors").read_bytes()
    drop = old.losses[0] - old.losses[-1]
    assert drop > 0.5, old.losses
    cont = train_lora(backend, pairs, lora, knobs.model_copy(update={"max_steps": 2}),
                      tmp_path / "cont", init_adapter=tmp_path / "old")
    # its first step sees the old adapter: loss near the old final loss, far below a fresh start
    assert abs(cont.losses[0] - old.losses[-1]) < 0.25 * drop, (old.losses, cont.losses)
    assert (tmp_path / "old" / "adapter_model.safetensors").read_bytes() == weights
    assert (tmp_path / "cont" / "adapter_model.safetensors").read_bytes() != weights


def _bad(tmp_path, edit) -> str:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    text = (folder / "updates.yaml").read_text()
    (folder / "updates.yaml").write_text(edit(text))
    res = runner.invoke(app, ["validate", str(folder / "updates.yaml")])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
    assert "Traceback" not in res.output
    return " ".join(res.output.split())


def _line(text: str, needle: str) -> int:
    return next(i for i, l in enumerate(text.splitlines(), 1) if needle in l)


@pytest.mark.parametrize("old, new, key, words", [
    ("questions: price-change/questions.jsonl", "questions: price-change/nope.jsonl",
     "updates.0.questions", "not found"),
    ("replay: 2", "replay: -1", "updates.0.replay", "greater than or equal to 0"),
    ("replay: 2", "replays: 2", "updates.0.replays", "unknown key 'replays'"),
    ("training: {max_steps: 2}", "removed: [no-such-doc]", "updates.0.removed.0",
     "'no-such-doc' is not in the knowledge base"),
    ("knowledge_base: price-change/kb", "knowledge_base: price-change/questions.jsonl",
     "updates.0.knowledge_base", "expected a folder"),
    ("    train: price-change/train.jsonl\n", "    knowledge_base: kb\n",
     "updates.0", "changes nothing"),
])
def test_bad_updates_block_is_one_message_with_file_key_and_line(tmp_path, old, new, key, words):
    text = UPDATES.read_text()
    if "changes nothing" in words:  # the update's documents are the knowledge base itself
        edit = lambda t: (t.replace("    knowledge_base: price-change/kb\n", "")  # noqa: E731
                          .replace(old, new))
    else:
        edit = lambda t: t.replace(old, new)  # noqa: E731
    out = _bad(tmp_path, edit)
    edited = edit(text)
    line = _line(edited, new.strip() if key != "updates.0" else "- name: price-change")
    assert f"updates.yaml:{line} (key '{key}')" in out and words in out, out


def test_bad_update_row_names_its_file_and_line(tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    with open(folder / "price-change" / "questions.jsonl", "a") as f:
        f.write('{"id": "u2", "answer": "no question"}\n')
    res = runner.invoke(app, ["validate", str(folder / "updates.yaml")])
    out = " ".join(res.output.split())
    assert res.exit_code == 2 and "questions.jsonl:3" in out and "question" in out, out


def test_update_cadence_changes_the_cheapest_strategy():
    from harness.evaluation.decide import recommend
    from harness.config.suite import Requirements

    def res(train, per_1k, update):
        one = lambda v: {"value": v, "low": v, "high": v, "n": 1}  # noqa: E731
        m = {"key_fact_recall": {"value": 0.5, "low": 0.4, "high": 0.6, "n": 30},
             "train_usd": one(train), "usd_per_1k_queries": one(per_1k), "update_usd": one(update)}
        return {"metrics": m}
    # lora is cheaper to serve, rag cheap to update: the cadence decides
    results = {"rag": res(0.0, 0.02, 0.0001), "lora": res(0.01, 0.01, 0.01)}
    for per_month, want in ((0, "lora"), (30, "rag")):
        req = Requirements(accuracy_metric="key_fact_recall", min_accuracy=0.3,
                           expected_queries_per_month=10_000, updates_per_month=per_month)
        d = recommend(req, results)
        assert d["chosen"] == want
        assert d["strategies"]["lora"]["monthly_cost_usd"] == pytest.approx(
            0.01 + 0.01 * 10 + 0.01 * per_month)
        rows = {c["updates_per_month"]: c["chosen"] for c in d["update_cadences"]["cadences"]}
        assert rows[0] == "lora" and rows[720] == "rag"


def test_the_cheapest_way_to_absorb_must_keep_the_unchanged_answers():
    """Continued training that is cheaper but makes the strategy forget its other answers (the
    paired after - before interval wholly below 0) is not chosen; scratch is. When every method
    breaks them, the cheapest is chosen and flagged."""
    from harness.updates.update_run import _cheapest

    def m(usd, low, high):
        return {"usd": usd, "unchanged_vs_before": {"value": (low + high) / 2, "low": low,
                                                    "high": high}}
    forgets, keeps = m(0.001, -0.29, -0.03), m(0.006, -0.09, +0.07)
    assert _cheapest({"continued": forgets, "scratch": keeps}) == {
        "cheapest": "scratch", "breaks": ["continued"], "cheapest_breaks": False}
    assert _cheapest({"continued": m(0.001, -0.2, 0.0), "scratch": keeps})["cheapest"] == \
        "continued"   # an interval that reaches 0 is not a detected break
    assert _cheapest({"continued": forgets, "scratch": m(0.006, -0.3, -0.1)}) == {
        "cheapest": "continued", "breaks": ["continued", "scratch"], "cheapest_breaks": True}
    assert _cheapest({"none": {"usd": 0.0}})["cheapest"] == "none"


def test_run_measures_the_update_per_strategy(tmp_path):
    res = runner.invoke(app, ["run", str(UPDATES), "--results", str(tmp_path)])
    assert res.exit_code == 0, res.output
    run = next((tmp_path / "tiny_updates").glob("*/decision.md")).parent
    upd = {n: json.loads((run / "strategies" / n / "metrics.json").read_text())
           for n in ("prompt", "rag", "lora")}
    rec = {n: m["updates"]["price-change"] for n, m in upd.items()}
    assert list(rec["prompt"]["methods"]) == ["none"]
    assert list(rec["rag"]["methods"]) == ["reindex"]
    assert list(rec["lora"]["methods"]) == ["continued", "scratch"]
    for r in rec.values():
        assert r["changed_questions"] == 2 and r["unchanged_questions"] == 2
        assert r["stale"]["token_f1"]["n"] == 2
        for m in r["methods"].values():
            assert m["unchanged"]["token_f1"]["n"] == 2 and m["usd"] >= 0
    lora = rec["lora"]["methods"]
    assert lora["continued"]["steps"] == 2 and lora["continued"]["examples"] == 5  # 3 + 2 replay
    assert lora["continued"]["from_adapter"].endswith("strategies/lora/adapter")
    assert lora["scratch"]["steps"] == 4 and lora["continued"]["seconds"] > 0
    assert rec["rag"]["methods"]["reindex"]["embedded_chunks"] == 2
    chosen = rec["lora"]["cheapest"]
    assert chosen in ("continued", "scratch") and set(rec["lora"]["breaks"]) <= {"continued",
                                                                                 "scratch"}
    assert upd["lora"]["metrics"]["update_usd"]["value"] == pytest.approx(lora[chosen]["usd"])
    md = (run / "decision.md").read_text()
    assert "## Knowledge updates" in md and "Decision by update cadence" in md
    assert "+ absorbing 30 knowledge updates/month" in json.loads(
        (run / "decision.json").read_text())["ranking_rule"]
    assert (run / "strategies" / "rag" / "updates" / "price-change" / "reindex_changed.jsonl"
            ).exists()
