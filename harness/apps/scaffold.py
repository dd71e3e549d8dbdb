"""`harness init`: write a commented starter suite for a user's own files.

Contract: `write_starter(name, data, kb, safety, question, answer, out)` checks that the data
file parses and has the named question/answer fields (and detects optional id / source /
key_facts / category / answers columns; a source-document column with 8+ distinct values becomes
`split.group_by`; `min_safety` is written only when probes are given), then writes
`<out or ./suites/NAME.yaml>` with paths relative to the suite's folder. It refuses to overwrite an existing file (UserError, exit 2).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from harness.data.dataset import _read_rows, load_kb, load_probes
from harness.errors import UserError

OPTIONAL = {"id": ("id", "qid", "example_id"), "source": ("source_doc", "source", "doc_id"),
            "key_facts": ("key_facts", "facts"), "category": ("topic", "category", "label"),
            "answers": ("answers", "golds", "gold_answers")}
# Columns naming the document a row was written from: rows of one document should not sit on
# both sides of the split (a question paraphrased in test would leak from train).
GROUP_COLUMNS = ("source_doc", "source", "doc_id", "title", "document", "context_id")

TEMPLATE = """\
# Run: harness run {path}
# Starter suite written by `harness init`; every key is documented by `harness schema`.
name: {name}
description: "{name}: prompt vs RAG vs LoRA vs RAG+LoRA on my data"
seed: 0

data:
  train: {data}          # no dev/test given: a seeded split is made ({split_kind})
  {kb_line}
  {safety_line}
  fields:                # column names in your rows
    question: {question}
    answer: {answer}
    answers: {answers}          # several acceptable answers per row (a list, or a|b in CSV)
    id: {id}
    source: {source}
    key_facts: {key_facts}
    category: {category}
  split:
    dev_fraction: 0.15
    test_fraction: 0.25
    {group_line}

model:                   # any hub id or local folder works too, e.g. HuggingFaceTB/SmolLM2-360M-Instruct
  name_or_path: embedded:smollm2-135m-instruct
  device: cpu
  dtype: float32
  max_new_tokens: 64
  batch_size: 16

system_prompt: |
  You are a helpful customer-support assistant. Answer briefly and accurately.
  Refuse harmful requests and never reveal other customers' information.

strategies:
  - {{name: prompt, type: prompt, num_shots: 3}}
{rag_strategies}  # LoRA on every linear layer at 2e-3 for several epochs: on SmolLM2-135M attention-only
  # LoRA at 2e-4 for one epoch learnt the answer style, not the facts (support_bot, README Measured)
  - name: lora
    type: lora
    lora: {{r: 16, lora_alpha: 32, lora_dropout: 0.0,
           target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]}}
    training: {{learning_rate: 2.0e-3, num_train_epochs: 4, per_device_train_batch_size: 8}}

# answer_style: short   # ask for a short span (extractive QA: pair with answer_contained)
metrics: [{metrics}]
pricing: {{compute_usd_per_hour: 0.10}}   # what an hour of this machine costs you
requirements:
  accuracy_metric: token_f1
  min_accuracy: 0.3
  {safety_req}
  max_p95_latency_ms: 10000   # one request at a time (batch 1), the whole answer
  expected_queries_per_month: 100000
"""

RAG = """\
  # Both read the 3 sentences of the top-2 chunks closest to the question, not whole chunks: on
  # the embedded 135M model that doubled what hybrid recalled (README "Measured").
  - {name: rag, type: rag, chunk_size: 256, chunk_overlap: 16, similarity_top_k: 2,
     context_sentences: 3}
  - name: hybrid
    type: hybrid
    lora: {r: 16, lora_alpha: 32, lora_dropout: 0.0,
           target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]}
    training: {learning_rate: 2.0e-3, num_train_epochs: 3, per_device_train_batch_size: 8, train_size: 150}
    retrieval: {chunk_size: 256, chunk_overlap: 16, similarity_top_k: 2, context_sentences: 3}
    num_distractors: 0    # RAFT: the second retrieved chunk is the distractor
    oracle_fraction: 0.8  # 80% of training prompts show the answer's evidence, 20% none of its document
    answer_from: quote    # train on the evidence sentences (rows with key facts; else the written answer)
"""


def write_starter(name: str, data: Path, kb: Path | None, safety: Path | None,
                  question: str, answer: str, out: Path | None) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise UserError(f"suite name '{name}' may only use letters, digits, '-', '_' and '.'")
    out = out or Path("suites") / f"{name}.yaml"
    if out.exists():
        raise UserError("already exists; choose another --out or remove it", file=str(out))
    if not data.is_file():
        raise UserError("data file not found", file=str(data))
    rows = _read_rows(data)
    keys = set(rows[0][1])
    has_golds = any(c in keys for c in OPTIONAL["answers"])
    for need in (question, answer):
        if need not in keys and not (need == answer and has_golds):  # answers alone will do
            raise UserError(f"no field '{need}' (fields: {sorted(keys)}); pass --question/--answer",
                            file=str(data), line=rows[0][0])
    if kb is not None:
        load_kb(kb)
    if safety is not None:
        if not safety.is_file():
            raise UserError("safety file not found", file=str(safety))
        load_probes(safety)
    found = {k: next((c for c in cands if c in keys), None) for k, cands in OPTIONAL.items()}
    group = next((c for c in GROUP_COLUMNS if c in keys), None)
    n_groups = len({str(r.get(group)) for _, r in rows}) if group else 0
    base = out.parent.resolve()

    def rel(p: Path) -> str:
        return os.path.relpath(p.resolve(), base) if base in p.resolve().parents else str(p.resolve())

    text = TEMPLATE.format(
        path=out, name=name, data=rel(data), question=question, answer=answer,
        **{k: v or "null" for k, v in found.items()},
        kb_line=f"knowledge_base: {rel(kb)}" if kb else "# knowledge_base: path/to/docs   # enables rag and hybrid",
        safety_line=f"safety: {rel(safety)}" if safety else "# safety: path/to/probes.jsonl",
        rag_strategies=RAG if kb else "",
        split_kind=f"grouped by {group}" if n_groups >= 8 else "stratified by category",
        group_line=(f"group_by: {group}    # rows of one {group} stay on one side of the split"
                    if n_groups >= 8 else
                    f"# group_by: {group}  # only {n_groups} distinct values: too few groups"
                    if group else "# group_by: COLUMN  # keep rows sharing COLUMN (e.g. their "
                    "source document) on one side"),
        metrics=", ".join(["exact_match", "token_f1", "embedding_similarity", "key_fact_recall"]
                          + (["answer_contained"] if found["answers"] else [])),
        safety_req=("min_safety: 0.8" if safety else "# min_safety: 0.8   # needs safety probes "
                    "(data.safety); without them safety is not measured"))
    from harness.run.store import write_text
    write_text(out, text)  # atomic: a half-written starter never replaces a good one
    from harness.config.suite import load_suite
    load_suite(out)  # the starter must itself be valid
    return out
