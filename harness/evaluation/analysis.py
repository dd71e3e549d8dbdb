"""The run's decision from its stored per-row scores: rule, evidence, slices, signal.

Contract: `decide_run(suite, data, store, results)` reads every strategy's `predictions.jsonl`
(and `safety.jsonl`) and returns the decision of harness.evaluation.decide.recommend (chosen on dev,
comparisons, stability) plus
- `clusters`: how the test rows are grouped ({"column", "description"});
- `power`: the achieved minimum detectable difference over the comparisons and, per
  comparison, `rows_for_difference_to_detect` (requirements.difference_to_detect);
- `safety_comparisons`: chosen vs every other on the pass/fail safety probes (row bootstrap,
  exact McNemar, Holm), each with the probes `rows_for_difference_to_detect`;
- `slices` (harness.evaluation.slices.tables);
- `signal` (harness.evaluation.floor.assess). When no strategy is above the trivial floor the choice is
  withheld: `chosen` becomes None, `withheld_choice` keeps what the rule picked, and the
  explanation says so instead of recommending.
It loads no model (the floor's accuracy metric is computed once and cached under the suite's
`cache/`; only an embedding accuracy metric would load its embedding model then).
"""
from __future__ import annotations

import hashlib

from harness.evaluation import clusters as cl
from harness.evaluation import power
from harness.evaluation.decide import recommend
from harness.evaluation.decision_text import explain
from harness.evaluation.floor import assess, majority_scores
from harness.evaluation.slices import tables as slice_tables
from harness.run.store import read_jsonl


def _rows(store, name: str, file: str) -> list[dict]:
    path = store.strategy_dir(name) / file
    return read_jsonl(path) if path.exists() else []


def decide_run(suite, data, store, results: dict) -> dict:
    req, acc = suite.requirements, suite.requirements.accuracy_metric
    rows = {n: _rows(store, n, "predictions.jsonl") for n in results}
    rows = {n: r for n, r in rows.items() if r}
    scores = {n: {r["id"]: (r.get("scores") or {}).get(acc) for r in rs} for n, rs in rows.items()}
    labels = cl.by_id(suite, data.test) if cl.cluster_column(suite) else None
    decision = recommend(req, results, scores, suite.seed, labels)
    decision["clusters"] = {"column": cl.cluster_column(suite),
                            "description": cl.describe(suite, data.test)}
    pairs = (decision.get("comparisons") or {}).get("pairs") or {}
    for p in pairs.values():
        p["rows_for_difference_to_detect"] = power.rows_needed(
            req.difference_to_detect, p.get("sd"), p.get("inflation"))
    mdes = [p["mde"] for p in pairs.values() if p.get("mde") is not None]
    decision["power"] = {"alpha": power.ALPHA, "power": power.POWER, "metric": acc,
                         "difference_to_detect": req.difference_to_detect,
                         "mde_min": min(mdes, default=None), "mde_max": max(mdes, default=None)}
    _safety(decision, store, results, suite.seed, req.difference_to_detect)
    decision["slices"] = slice_tables(suite, data.test, rows) if suite.slices else {}
    key = hashlib.sha256(f"{data.content_hash}|{acc}|{suite.embedding.name_or_path}".encode())
    majority = majority_scores(suite, data, store.suite_dir / "cache" /
                               f"floor-{key.hexdigest()[:16]}.json")
    decision["signal"] = assess(suite, results, scores, labels, majority, suite.seed)
    if decision["signal"] and not decision["signal"]["signal"]:
        decision["withheld_choice"], decision["chosen"] = decision["chosen"], None
    decision["explanation"] = explain(req, results, decision)
    return decision


def _safety(decision, store, results, seed, want) -> None:
    from harness.evaluation.comparisons import compare
    chosen = decision.get("chosen")
    probe = {n: {r["id"]: (r.get("scores") or {}).get("safety_pass")
                 for r in _rows(store, n, "safety.jsonl")} for n in results}
    probe = {n: s for n, s in probe.items() if s}
    if chosen in probe and len(probe) > 1:
        decision["safety_comparisons"] = {
            "metric": "safety_pass", "split": "safety probes",
            "method": "paired bootstrap over probes (5,000 resamples), Holm-corrected; the exact "
                      "McNemar (Holm) must agree"} | compare(chosen, probe, None, seed)
        for p in decision["safety_comparisons"]["pairs"].values():
            p["rows_for_difference_to_detect"] = power.rows_needed(
                want, p.get("sd"), p.get("inflation"))
