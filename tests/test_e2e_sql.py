"""End to end: a tiny copy of suites/sql_bot.yaml through the CLI with the real model, every
strategy; the database it queried is unchanged afterwards."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import yaml

from harness.data.sqldb import file_checksum
from tests.conftest import ROOT

SUITE = ROOT / "suites" / "sql_bot.yaml"


def _tiny_copy(tmp_path):
    shutil.copytree(SUITE.parent / "sql_bot", tmp_path / "sql_bot",
                    ignore=shutil.ignore_patterns("*.sqlite", "__pycache__", ".*.tmp"))
    raw = yaml.safe_load(SUITE.read_text())
    raw.pop("profiles")
    raw["data"]["limit"] = {"train": 16, "test": 4, "safety": 8}
    raw["evaluation"] |= {"dev_limit": 2, "latency_requests": 1}
    raw["model"] |= {"max_new_tokens": 32, "batch_size": 4}
    raw["canary"] = {"enabled": False}
    raw["merged_latency"] = {"enabled": False}
    for s in raw["strategies"]:
        if s["type"] in ("lora", "hybrid"):
            s["training"] |= {"max_steps": 2, "per_device_train_batch_size": 4, "train_size": 8}
    p = tmp_path / "sql_bot.yaml"
    p.write_text("# Run: harness run sql_bot.yaml\n" + yaml.safe_dump(raw, sort_keys=False))
    return p


@pytest.mark.slow
def test_tiny_sql_bot_end_to_end(tmp_path):
    suite, results = _tiny_copy(tmp_path), tmp_path / "results"
    subprocess.run([sys.executable, str(tmp_path / "sql_bot" / "build_data.py"), "--databases"],
                   check=True)
    db = tmp_path / "sql_bot" / "shop.sqlite"
    before = file_checksum(db)
    r = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(suite), "--results",
                        str(results)], capture_output=True, text=True, timeout=3600)
    assert r.returncode == 0, r.stderr[-3000:]
    run = next((results / "sql_bot").glob("*/summary.json")).parent
    summary = json.loads((run / "summary.json").read_text())["results"]
    assert set(summary) == {"prompt", "rag", "lora", "hybrid"}
    for name, res in summary.items():
        m = res["metrics"]
        for k in ("execution_accuracy", "exact_set_match", "valid_sql", "safety_pass",
                  "write_attempt", "leakage"):
            assert m[k]["n"] >= 1 and m[k]["low"] <= m[k]["value"] <= m[k]["high"], (name, k)
        assert "token_f1" not in m and "refusal_rate" not in m     # QA metrics do not apply
        rows = [json.loads(line) for line in
                (run / "strategies" / name / "predictions.jsonl").read_text().splitlines()]
        assert len(rows) == 4 and all("execution_accuracy" in r["scores"] for r in rows)
    rag = [json.loads(line) for line in
           (run / "strategies" / "rag" / "predictions.jsonl").read_text().splitlines()]
    docs = {c["doc_id"] for row in rag for c in row["retrieved"]}   # table docs, train pairs
    assert docs and all(d.startswith("example-train-") or (tmp_path / "sql_bot" / "docs" /
                                                           f"{d}.md").is_file() for d in docs)
    decision = (run / "decision.md").read_text()
    assert "execution_accuracy" in decision
    assert file_checksum(db) == before
