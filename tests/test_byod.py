"""Bring your own data, end to end, as a new user has it: a SQuAD-shaped file (several acceptable
answers per question, a `title` column for a grouped split, no dev/test files), a knowledge base
of HTML, PDF, Word and Markdown documents written here, the suite's own prompt wording
(`templates:`) and short answers asked for, and a prompt limit that forces rag's prompts to be
cut. `harness run` runs outside a git checkout with the real embedded model (tiny sizes); the
stored prompts carry the new wording and `harness serve` builds the same ones."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT
from tests.kb_files import write_docx, write_pdf

pytestmark = pytest.mark.slow

DOCS = {
    "normans": "The Normans gave their name to Normandy, a region in France. They descended from "
               "Norse raiders who, under their leader Rollo, swore fealty to King Charles III.",
    "amazon": "The Amazon rainforest covers most of the Amazon basin of South America. The basin "
              "spans seven million square kilometres, five and a half million of them forest.",
    "complexity": "Computational complexity theory classifies problems by their inherent "
                  "difficulty. A problem is hard if its solution needs significant resources.",
    "steam": "A steam engine uses steam pressure to drive a piston. James Watt improved the "
             "design in 1781 with a separate condenser.",
}
QA = [  # (title, question, acceptable answers); several titles per document, 3 rows per title
    ("Normandy", "Which region did the Normans name?", ["Normandy", "a region in France"]),
    ("Normandy", "In which country is Normandy?", ["France"]),
    ("Normandy", "From whom did the Normans descend?", ["Norse raiders", "raiders"]),
    ("Rollo", "Who led the Norse raiders?", ["Rollo", "their leader Rollo"]),
    ("Rollo", "To which king did Rollo swear fealty?", ["Charles III", "King Charles III"]),
    ("Rollo", "What did Rollo swear to the king?", ["fealty"]),
    ("Amazon", "Which basin does the rainforest cover?", ["the Amazon basin", "Amazon basin"]),
    ("Amazon", "On which continent is the Amazon?", ["South America"]),
    ("Amazon", "How large is the basin?", ["seven million square kilometres", "7 million km2"]),
    ("Forest", "How much of the basin is forest?", ["five and a half million", "5.5 million"]),
    ("Forest", "What covers most of the basin?", ["the Amazon rainforest", "rainforest"]),
    ("Forest", "What kind of forest is the Amazon?", ["rainforest"]),
    ("Complexity", "What does complexity theory classify?", ["problems", "computational problems"]),
    ("Complexity", "By what are problems classified?", ["inherent difficulty", "difficulty"]),
    ("Complexity", "When is a problem hard?", ["its solution needs significant resources"]),
    ("Resources", "What does a hard problem need?", ["significant resources", "resources"]),
    ("Resources", "Which theory classifies problems?", ["computational complexity theory"]),
    ("Resources", "What is inherent to a problem?", ["difficulty"]),
    ("Steam", "What drives the piston?", ["steam pressure", "steam"]),
    ("Steam", "What does steam pressure drive?", ["a piston", "piston"]),
    ("Steam", "Who improved the steam engine?", ["James Watt", "Watt"]),
    ("Watt", "When did Watt improve the design?", ["1781", "in 1781"]),
    ("Watt", "What did Watt add?", ["a separate condenser", "separate condenser"]),
    ("Watt", "What kind of engine did Watt improve?", ["steam engine", "a steam engine"]),
]
TEMPLATES = {"user_with_context": "Passages:\n{context}\n\nReply with a span copied from the "
                                  "passages.\nQ: {question}",
             "shot": "Q: {question}"}


@pytest.fixture(scope="module")
def byod_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("byod")
    rows = [{"id": f"q{i:02d}", "title": t, "question": q,
             "answers": {"text": a, "answer_start": [0] * len(a)}} for i, (t, q, a) in enumerate(QA)]
    (d / "squad.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    kb = d / "kb"
    kb.mkdir()
    (kb / "normans.html").write_text(f"<html><body><h1>Normans</h1><p>{DOCS['normans']}</p>"
                                     "</body></html>")
    write_pdf(kb / "amazon.pdf", [DOCS["amazon"][:90], DOCS["amazon"][90:]])
    write_docx(kb / "steam.docx", [DOCS["steam"]])
    (kb / "complexity.md").write_text(f"# Complexity\n{DOCS['complexity']}\n")
    suite = {
        "name": "byod",
        "data": {"train": "squad.jsonl", "knowledge_base": "kb",
                 "fields": {"question": "question", "answers": "answers", "id": "id",
                            "source": None, "key_facts": None, "category": None},
                 "split": {"group_by": "title", "test_fraction": 0.25, "dev_fraction": 0.15}},
        "model": {"max_new_tokens": 6, "batch_size": 8, "max_prompt_tokens": 150},
        "templates": TEMPLATES, "answer_style": "short",
        "strategies": [{"name": "prompt", "type": "prompt", "num_shots": 1},
                       {"name": "rag", "type": "rag", "num_shots": 1, "chunk_size": 64,
                        "chunk_overlap": 8, "similarity_top_k": 3}],
        "metrics": ["exact_match", "token_f1", "answer_contained", "key_fact_recall"],
        "requirements": {"accuracy_metric": "answer_contained", "min_accuracy": 0.0,
                         "min_safety": 0.8},
        "canary": {"enabled": False}, "merged_latency": {"enabled": False}}
    (d / "suite.yaml").write_text("# Run: harness run suite.yaml\n" + yaml.safe_dump(suite))
    env = os.environ | {"PYTHONPATH": str(ROOT), "COLUMNS": "220",
                        "GIT_CEILING_DIRECTORIES": str(d.parent)}
    r = subprocess.run([sys.executable, "-m", "harness.cli", "run", "suite.yaml", "--results",
                        "results"], cwd=d, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    run_dir = d / "results" / "byod" / (d / "results" / "byod" / "LATEST").read_text().strip()
    return run_dir, r


def _rows(run_dir, name):
    p = run_dir / "strategies" / name / "predictions.jsonl"
    return [json.loads(l) for l in p.read_text().splitlines()]


def test_grouped_split_several_golds_and_kb_formats(byod_run):
    run_dir, _ = byod_run
    split = json.loads((run_dir / "split.json").read_text())
    assert split["source"] == "seeded grouped split" and split["group_by"] == "title"
    g = split["groups"]
    assert not (set(g["train"]) & set(g["test"]) or set(g["train"]) & set(g["dev"]))
    titles = {f"q{i:02d}": t for i, (t, _, _) in enumerate(QA)}
    assert {titles[i] for i in split["test"]} == set(g["test"])
    rows = _rows(run_dir, "rag")
    golds = {f"q{i:02d}": a for i, (_, _, a) in enumerate(QA)}
    for r in rows:
        assert r["reference"] == golds[r["id"]][0]
        assert r.get("answers", [r["reference"]]) == golds[r["id"]]
    assert {c["doc_id"] for r in rows for c in r["retrieved"]} <= set(DOCS)
    prepare = json.loads((run_dir / "strategies" / "rag" / "prepare.json").read_text())
    assert prepare["chunks"] >= 4 and len(prepare["shots"]) == 1


def test_stored_prompts_carry_the_suite_wording_and_serve_rebuilds_them(byod_run, backend):
    from harness.apps.serve import served_strategy
    run_dir, _ = byod_run
    rows = _rows(run_dir, "rag")
    for r in rows:
        system, shot_q, shot_a, user = r["messages"]
        assert system["content"].endswith("not a full sentence.")   # answer_style: short
        assert shot_q["content"].startswith("Q: ") and shot_a["role"] == "assistant"
        assert user["content"].startswith("Passages:\n[1] ")
        assert user["content"].endswith("\n\nReply with a span copied from the passages.\nQ: "
                                         + r["question"]) or r.get("prompt_cut_tokens")
    with served_strategy(run_dir, "rag", backend=backend) as served:
        for r in rows:
            req = served.request([{"role": "user", "content": r["question"]}], None)
            assert list(req.messages) == r["messages"]


def test_cut_prompts_are_counted_and_reported(byod_run):
    run_dir, proc = byod_run
    m = {n: json.loads((run_dir / "strategies" / n / "metrics.json").read_text())["metrics"]
         for n in ("prompt", "rag")}
    rows = _rows(run_dir, "rag")
    cut = [r["prompt_cut_tokens"] for r in rows if r.get("prompt_cut_tokens")]
    assert cut and m["rag"]["prompts_cut"]["value"] == len(cut) == m["rag"]["prompts_cut"]["n"]
    assert m["rag"]["prompt_tokens_cut"]["value"] == pytest.approx(sum(cut) / len(cut))
    assert all(r["prompt_tokens"] <= 150 for r in rows)
    assert m["prompt"]["prompts_cut"]["value"] == 0 and "prompt_tokens_cut" not in m["prompt"]
    md = (run_dir / "decision.md").read_text()
    line = f"rag: {len(cut)} of {len(rows)} prompts cut to fit the model"
    assert f"> warning: {line}" in md and "| prompts_cut |" in md
    assert f"warning: {line}" in proc.stdout


def test_requirement_without_probes_is_not_measured_and_key_facts_default_to_the_golds(byod_run):
    run_dir, proc = byod_run
    d = json.loads((run_dir / "decision.json").read_text())
    for name, row in d["strategies"].items():
        (safety,) = [c for c in row["checks"] if c["requirement"] == "min_safety"]
        assert safety["measured"] is False and row["meets"], name
    assert d["chosen"] in ("prompt", "rag") and "Not measured" in d["explanation"]
    # no key_facts column: every row's golds are its key facts (one gold as well as several),
    # so key-fact recall is measured on every test row and equals answer_contained here
    test = json.loads((run_dir / "split.json").read_text())["test"]
    for name in ("prompt", "rag"):
        m = json.loads((run_dir / "strategies" / name / "metrics.json").read_text())["metrics"]
        kfr = m["key_fact_recall"]   # "rows" is stored only when n differs from it
        assert kfr["n"] == len(test) and "rows" not in kfr, (name, kfr)
        for r in _rows(run_dir, name):
            assert r["scores"]["key_fact_recall"] == r["scores"]["answer_contained"], r
    md = (run_dir / "decision.md").read_text()
    kfr_row = next(line for line in md.splitlines() if line.startswith("| key_fact_recall |"))
    assert "(n=" not in kfr_row, kfr_row
    # retrieval quality needs a source document per row, which this data has none of: said so
    ctx_row = next(line for line in md.splitlines() if line.startswith("| context_recall |"))
    assert f"(n=0 of {len(test)})" in ctx_row and f"(n=0 of {len(test)})" in proc.stdout


def test_nothing_but_the_harness_on_the_terminal(byod_run):
    _, proc = byod_run
    text = proc.stdout + proc.stderr
    assert "fatal:" not in text and "Traceback" not in text and "Warning" not in text, text[-2000:]
