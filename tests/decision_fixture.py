"""A small generated suite and a deterministic backend for run-level decision tests.

The model is not what these tests test (the statistics and the decision are), so the backend
is a stand-in: it answers with the reference answer when the system prompt contains ORACLE and
the row is `coverage: seen` (ORACLE_ALL: every row), and otherwise repeats the question's first
words (no key fact). Test rows: 8 source documents x 3 paraphrases (24 rows, 8 clusters),
topics alternating a/b by document, coverage seen for documents 0-4 and unseen for 5-7.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from harness.backends.base import Generation

ANSWERS: dict[str, str] = {}
COVERAGE: dict[str, str] = {}


def _row(rid, q, doc, topic, coverage):
    ans = f"Fact {doc}: the code is K{doc}7."
    ANSWERS[q], COVERAGE[q] = ans, coverage
    return {"id": rid, "question": q, "answer": ans, "source_doc": f"doc{doc}",
            "key_facts": [f"K{doc}7"], "topic": topic, "coverage": coverage}


def write_suite(folder: Path, strategies: list[dict], **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    test = [_row(f"x{d}{k}", f"variant {k} asking about document {d}?", d, "ab"[d % 2],
                 "seen" if d < 5 else "unseen") for d in range(8) for k in range(3)]
    dev = [_row(f"d{d}", f"dev question on document {d}?", d, "ab"[d % 2],
                "seen" if d < 5 else "unseen") for d in range(8)]
    train = [_row(f"t{d}", f"train question on document {d}?", d, "ab"[d % 2], "seen")
             for d in range(5)]
    train += [{"id": f"t{9 + i}", "question": f"other {i}?", "answer": "Please contact support."}
              for i in range(3)]
    for name, rows in (("train", train), ("dev", dev), ("test", test)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    suite = {"name": "decision", "data": {"train": "train.jsonl", "dev": "dev.jsonl",
                                          "test": "test.jsonl"},
             "system_prompts": {"oracle": "ORACLE", "oracle_all": "ORACLE_ALL"},
             "metrics": ["exact_match", "token_f1", "key_fact_recall"],
             "requirements": {"accuracy_metric": "key_fact_recall"},
             "evaluation": {"dev_limit": 6}, "slices": ["topic", "coverage"],
             "canary": {"enabled": False}, "merged_latency": {"enabled": False},
             "strategies": strategies} | extra
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


class OracleBackend:
    name = "hf"
    calls: list[int] = []

    def __init__(self, cfg):
        self.cfg = cfg

    def generate(self, requests, progress=None):
        OracleBackend.calls.append(len(requests))
        out = []
        for r in requests:
            system, q = r.messages[0]["content"], r.messages[-1]["content"]
            knows = "ORACLE_ALL" in system or ("ORACLE" in system and COVERAGE.get(q) == "seen")
            out.append(Generation(ANSWERS[q] if knows else " ".join(q.split()[:3]), 20, 6, 0.01))
        if progress:
            progress(len(requests))
        return out
