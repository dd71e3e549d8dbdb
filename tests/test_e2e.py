"""End to end: a tiny copy of suites/support_bot.yaml through the CLI with the real model."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT

SUITE = ROOT / "suites" / "support_bot.yaml"


def _tiny_copy(tmp_path):
    raw = yaml.safe_load(SUITE.read_text())
    base = SUITE.parent
    for k in ("train", "dev", "test", "knowledge_base", "safety"):
        if raw["data"].get(k):
            raw["data"][k] = str((base / raw["data"][k]).resolve())
    raw["data"]["limit"] = {"train": 16, "dev": 4, "test": 6, "safety": 12}
    raw["model"] = raw.get("model", {}) | {"max_new_tokens": 24, "batch_size": 6}
    raw["canary"] = {"enabled": True, "limit": 6}
    raw["merged_latency"] = {"prompts": 2, "max_new_tokens": 4, "repeats": 1}
    for s in raw["strategies"]:
        if s["type"] in ("lora", "hybrid"):
            s["training"] = (s.get("training") or {}) | {"max_steps": 3,
                                                         "per_device_train_batch_size": 4}
    p = tmp_path / "support_bot_tiny.yaml"
    p.write_text("# Run: harness run support_bot_tiny.yaml\n" + yaml.safe_dump(raw, sort_keys=False))
    return p


def _run(suite, results, *python_flags):
    return subprocess.run([sys.executable, *python_flags, "-m", "harness.cli", "run", str(suite),
                           "--results", str(results)], capture_output=True, text=True, timeout=900)


def test_tiny_support_bot_end_to_end(tmp_path):
    suite, results = _tiny_copy(tmp_path), tmp_path / "results"
    r = _run(suite, results)
    assert r.returncode == 0, r.stderr[-3000:]
    run_dirs = list((results / "support_bot").glob("*/summary.json"))
    assert len(run_dirs) == 1
    run = run_dirs[0].parent
    for f in ("suite.resolved.json", "environment.json", "split.json", "decision.json",
              "decision.md"):
        assert (run / f).is_file(), f
    env = json.loads((run / "environment.json").read_text())
    assert env["packages"]["torch"] != "not installed" and env["seed"] == 0
    summary = json.loads((run / "summary.json").read_text())["results"]
    assert set(summary) == {"prompt", "rag", "lora", "hybrid"}
    for name, res in summary.items():
        sdir = run / "strategies" / name
        preds = [json.loads(l) for l in (sdir / "predictions.jsonl").read_text().splitlines()]
        assert len(preds) == 6 and all(p["output"] for p in preds)
        assert len((sdir / "safety.jsonl").read_text().splitlines()) == 12
        m = res["metrics"]
        for k in ("token_f1", "key_fact_recall", "embedding_similarity", "exact_match",
                  "safety_pass", "over_refusal", "leakage"):
            e = m[k]
            assert 0 <= e["low"] <= e["value"] <= e["high"] <= 1, (name, k, e)
        assert 0 < m["p50_latency_ms"]["value"] <= m["p95_latency_ms"]["value"]
        assert 0 < m["p50_ttft_ms"]["value"] < m["p50_latency_ms"]["value"]
        for k in ("compute_ms_per_query", "p95_batch_wall_ms"):  # the offline batch figures
            assert m[k]["value"] > 0 and m[k]["unit"].startswith("ms"), (name, k, m[k])
        assert res["request_latency"]["requests"] == len(preds)  # default 8, 6 test rows
        assert m["usd_per_1k_queries"]["value"] > 0 and m["tokens_per_s"]["value"] > 0
        assert m["usd_per_1k_queries"]["unit"] == "USD / 1,000 queries"
        if name in ("rag", "hybrid"):
            assert all(p["retrieved"] for p in preds)
            for k in ("context_precision", "context_recall"):
                assert 0 <= m[k]["low"] <= m[k]["value"] <= m[k]["high"] <= 1, (name, k)
                assert all(k in p["scores"] for p in preds)
            # per question, this prompt's tokens minus the prompt strategy's (negative when
            # 3 retrieved sentences are shorter than prompt's 3 shots)
            base = {r["id"]: r["prompt_tokens"] for r in map(json.loads, (
                run / "strategies" / "prompt" / "predictions.jsonl").read_text().splitlines())}
            want = sum(q["prompt_tokens"] - base[q["id"]] for q in preds) / len(preds)
            assert m["extra_prompt_tokens_vs_prompt"]["value"] == pytest.approx(want)
            assert all(q["prompt_tokens"] > 0 for q in preds)
        if name in ("lora", "hybrid"):
            assert (sdir / "adapter" / "adapter_model.safetensors").is_file()
            assert len(json.loads((sdir / "train.json").read_text())["losses"]) == 3
            assert m["train_usd"]["value"] > 0
            assert m["canary_drop"]["n"] == 6 and "canary_base_acc" in m
            assert m["merged_ms_per_query"]["value"] > 0 and m["unmerged_ms_per_query"]["value"] > 0
    decision = json.loads((run / "decision.json").read_text())
    md = (run / "decision.md").read_text()
    assert "All metrics" in md and "| canary_drop |" in md and "| context_recall |" in md
    _check_decision(decision, summary, json.loads((run / "suite.resolved.json").read_text()))
    out = " ".join(r.stdout.split())
    assert "token F1" in out
    if _withheld(decision):  # no strategy beats the trivial floor: no recommendation
        assert "No signal" in out and "Recommended:" not in out
    elif decision["chosen"] is None:
        assert "No strategy meets every requirement" in out and "Recommended:" not in out
    else:
        assert f"Recommended: '{decision['chosen']}'" in out and "No strategy" not in out

    # unchanged suite: nothing recomputed, the model never loaded (nor torch imported)
    again = _run(suite, results, "-X", "importtime")
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("reused finished results") == 4
    assert json.loads((run / "summary.json").read_text())["results"] == summary
    assert heavy_imports(again.stderr) == set()


HEAVY = ("torch", "transformers", "peft", "llama_index", "sentence_transformers", "lm_eval",
         "qdrant_client", "mlflow")


def heavy_imports(importtime_log: str) -> set[str]:
    """The heavy top-level packages in a `python -X importtime` log (stderr)."""
    names = {line.rsplit("|", 1)[1].strip() for line in importtime_log.splitlines()
             if line.startswith("import time:") and line.count("|") == 2}
    assert names, "no -X importtime output"
    return {n.split(".")[0] for n in names} & set(HEAVY)


def _check_decision(decision: dict, summary: dict, resolved: dict) -> None:
    """Each requirement check is the stored metric (on test; on dev for the accuracy check the
    choice is made with) against the suite's limit; a strategy meets the requirements when every
    selection check is met; and the rule picks the cheapest meeting strategy (its stored
    monthly cost), None only when none meets."""
    rows, req = decision["strategies"], resolved["requirements"]
    assert set(rows) == set(summary) and decision["selection"]["split"] == "dev"
    acc = decision["selection"]["metric"]

    def check(name, c, dev: bool) -> bool:
        m = summary[name]["dev"]["metrics"] if dev and c["requirement"] == "min_accuracy" \
            else summary[name]["metrics"]
        stored = (m.get(c["metric"]) or {}).get("value")
        assert c["value"] == stored and c["limit"] == req[c["requirement"]], (name, c)
        if c["value"] is None:  # not measured (no data): neither met nor failed
            assert c["met"] is None and c.get("measured") is False, (name, c)
            return True
        ok = c["value"] >= c["limit"] if c["direction"] == ">=" else c["value"] <= c["limit"]
        assert c["met"] == ok, (name, c)
        return ok
    for name, row in rows.items():
        assert row["checks"] and len(row["selection_checks"]) == len(row["checks"]), name
        assert row["meets_on_test"] == all([check(name, c, False) for c in row["checks"]])
        sel = row["selection_checks"]
        assert [c["metric"] for c in sel if c["requirement"] == "min_accuracy"] == [acc]
        assert row["meets"] == all([check(name, c, True) for c in sel]), (name, row)
    # the rule's pick (kept as `withheld_choice` when the no-signal check withholds it)
    pick = decision.get("withheld_choice") if _withheld(decision) else decision["chosen"]
    if _withheld(decision):
        assert decision["chosen"] is None
    meeting = [n for n, row in rows.items() if row["meets"]]
    if not meeting:
        assert pick is None
        return
    assert pick in meeting
    assert rows[pick]["monthly_cost_usd"] == min(rows[n]["monthly_cost_usd"] for n in meeting)


def _withheld(decision: dict) -> bool:
    return bool(decision.get("signal")) and not decision["signal"]["signal"]
