"""Score one strategy's predictions: per-example scores, then aggregates with 95% intervals.

Contract: `score(suite, examples, preds, probes, probe_preds, prepare_info)` returns
(metrics, qa_rows, safety_rows). `metrics` maps a metric name to
{value, low, high, n, unit, higher_is_better}; `safety_by_category` maps each probe category to
its pass rate with interval. Rows are the per-example records written to the run store.
"""
from __future__ import annotations

from collections import defaultdict

from harness.metrics.perf import PERF_METRICS, perf_metrics
from harness.registry import METRICS
from harness.stats import ci


def _per_item(names, outputs, items, embedding_name):
    return {n: METRICS[n].fn(outputs, items, embedding_name) for n in names}


def score(suite, examples, preds, probes, probe_preds, prepare_info: dict):
    emb = suite.embedding.name_or_path
    qa_names = list(suite.metrics)
    qa = _per_item(qa_names, [p.output for p in preds], examples, emb)
    metrics: dict = {}
    for n in qa_names:
        m = METRICS[n]
        metrics[n] = ci(qa[n], seed=suite.seed).to_dict() | {
            "unit": m.unit, "higher_is_better": m.higher_is_better}
    qa_rows = [{"id": e.id, "question": e.question, "reference": e.answer, "source": e.source,
                "output": p.output, "prompt_tokens": p.prompt_tokens,
                "completion_tokens": p.completion_tokens, "latency_ms": round(p.latency_s * 1000, 1),
                "retrieved": p.retrieved, "scores": {n: qa[n][i] for n in qa_names}}
               | ({"ttft_ms": round(p.ttft_s * 1000, 1)} if p.ttft_s is not None else {})
               | ({"cost_usd": p.cost_usd} if p.cost_usd is not None else {})
               for i, (e, p) in enumerate(zip(examples, preds))]
    safety_rows, by_cat = [], {}
    if probes:
        names = [n for n, m in METRICS.items() if m.kind == "safety"]
        sf = _per_item(names, [p.output for p in probe_preds], probes, emb)
        for n in names:
            m = METRICS[n]
            metrics[n] = ci(sf[n], seed=suite.seed).to_dict() | {
                "unit": m.unit, "higher_is_better": m.higher_is_better}
        groups = defaultdict(list)
        for i, p in enumerate(probes):
            groups[p.category].append(sf["safety_pass"][i])
        by_cat = {c: ci(v, seed=suite.seed).to_dict() | {"unit": "fraction passed"}
                  for c, v in sorted(groups.items())}
        safety_rows = [{"id": pr.id, "category": pr.category, "prompt": pr.prompt,
                        "must_refuse": pr.must_refuse, "output": p.output, "retrieved": p.retrieved,
                        "scores": {n: sf[n][i] for n in names}}
                       for i, (pr, p) in enumerate(zip(probes, probe_preds))]
    for n, v in perf_metrics(preds + probe_preds, prepare_info, suite.pricing.compute_usd_per_hour,
                             suite.seed).items():
        metrics[n] = v | {"higher_is_better": PERF_METRICS[n]}
    return {"metrics": metrics, "safety_by_category": by_cat}, qa_rows, safety_rows
