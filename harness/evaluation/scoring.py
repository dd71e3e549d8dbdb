"""Score one strategy's predictions: per-example scores, then aggregates with 95% intervals.

Contract: `score(suite, examples, preds, probes, probe_preds, prepare_info, cfg=, kb=, guard=,
judge=, task=)` returns (metrics, qa_rows, safety_rows). The metrics are those of the suite's
task kind (harness.registry.metrics_for); `task` is its runtime (`Dataset.task`). `metrics`
maps a metric name to {value, low, high, n, unit, higher_is_better}; `safety_by_category` maps each probe category to
its pass rate with interval. Rows are the per-example records written to the run store.
Retrieval strategies (`cfg.retrieves`, with a knowledge base `kb`) also get the ragas (qa)
metrics of harness.metrics.rag; judge metrics carry `missing` (unparseable judge outputs).
`guard` (harness.metrics.pii.PiiGuard) lets safety metrics catch leaked personal data.
Intervals of per-test-row metrics (accuracy, ragas) resample the suite's clusters of rows
(harness.evaluation.clusters; each row record carries its `cluster`); safety probes and latencies are
resampled one by one.
`score_dev(suite, examples, preds, task=None)` scores dev predictions on the accuracy metrics only:
({"n", "metrics"}, rows).
"""
from __future__ import annotations

from collections import defaultdict

from harness.evaluation import clusters as cl
from harness.metrics.perf import PERF_METRICS, perf_metrics
from harness.registry import METRICS, metrics_for
from harness.evaluation.stats import ci


def _per_item(suite, names, outputs, items, guard=None, task=None):
    known = metrics_for(suite.task.kind)
    return {n: known[n].score(outputs, items, suite.embedding.name_or_path, guard, task)
            for n in names}


def _qa(suite, examples, preds, task=None):
    """Accuracy metrics: ({metric: clustered estimate + unit}, {metric: per-row scores}, labels)."""
    qa_names = list(suite.metrics)
    qa = _per_item(suite, qa_names, [p.output for p in preds], examples, task=task)
    labels = cl.labels(suite, examples) if cl.cluster_column(suite) else None
    metrics = {n: ci(qa[n], seed=suite.seed, clusters=labels).to_dict() | {
        "unit": METRICS[n].unit, "higher_is_better": METRICS[n].higher_is_better}
        for n in qa_names}
    return metrics, qa, labels


def score_dev(suite, examples, preds, task=None):
    metrics, qa, labels = _qa(suite, examples, preds, task)
    rows = [{"id": e.id, "output": p.output, "cluster": None if labels is None else labels[i],
             "scores": {n: v[i] for n, v in qa.items()}}
            for i, (e, p) in enumerate(zip(examples, preds))]
    return {"n": len(examples), "metrics": metrics}, rows


def score(suite, examples, preds, probes, probe_preds, prepare_info: dict, cfg=None, kb=(),
          guard=None, judge=None, task=None):
    qa_names = list(suite.metrics)
    known = metrics_for(suite.task.kind)
    metrics, qa, labels = _qa(suite, examples, preds, task)
    qa_rows = [{"id": e.id, "question": e.question, "reference": e.answer, "source": e.source,
                "cluster": None if labels is None else labels[i],
                "output": p.output, "prompt_tokens": p.prompt_tokens,
                "completion_tokens": p.completion_tokens, "latency_ms": round(p.latency_s * 1000, 1),
                "retrieved": p.retrieved, "scores": {n: qa[n][i] for n in qa_names}}
               | ({"messages": p.prompt} if p.prompt else {})
               | ({"prompt_cut_tokens": p.prompt_cut_tokens} if p.prompt_cut_tokens else {})
               | ({"answers": list(e.answers)} if len(e.answers) > 1 else {})
               | ({"ttft_ms": round(p.ttft_s * 1000, 1)} if p.ttft_s is not None else {})
               | ({"cost_usd": p.cost_usd} if p.cost_usd is not None else {})
               for i, (e, p) in enumerate(zip(examples, preds))]
    if cfg is not None and cfg.retrieves and kb and any(m.kind == "rag" for m in known.values()):
        from harness.metrics.rag import score_rag
        rag_m, rag_rows, reasons = score_rag(cfg, examples, preds, kb, judge,
                                             suite.judge.limit if suite.judge else None, suite.seed,
                                             labels)
        metrics |= rag_m
        for i, row in enumerate(qa_rows):
            row["scores"] |= {n: v[i] for n, v in rag_rows.items()}
            if row["id"] in reasons:
                row["judge_missing"] = reasons[row["id"]]
    safety_rows, by_cat = [], {}
    for n in [n for n in metrics if n in METRICS and METRICS[n].kind != "safety"]:
        if metrics[n].get("n") != len(examples):  # e.g. key facts on only some rows
            metrics[n]["rows"] = len(examples)    # shown as "n=14 of 72" in every table
    if probes:
        names = [n for n, m in known.items() if m.kind == "safety"]
        sf = _per_item(suite, names, [p.output for p in probe_preds], probes, guard, task)
        for n in names:
            m = known[n]
            metrics[n] = ci(sf[n], seed=suite.seed).to_dict() | {
                "unit": m.unit, "higher_is_better": m.higher_is_better}
        groups = defaultdict(list)
        for i, p in enumerate(probes):
            groups[p.category].append(sf["safety_pass"][i])
        by_cat = {c: ci(v, seed=suite.seed).to_dict() | {"unit": "fraction passed"}
                  for c, v in sorted(groups.items())}
        safety_rows = [{"id": pr.id, "category": pr.category, "prompt": pr.prompt,
                        "must_refuse": pr.must_refuse, "output": p.output, "retrieved": p.retrieved,
                        "scores": {n: sf[n][i] for n in names},
                        "pii_found": guard.leaks(p.output, pr.prompt) if guard else []}
                       | ({"messages": p.prompt} if p.prompt else {})
                       | ({"prompt_cut_tokens": p.prompt_cut_tokens} if p.prompt_cut_tokens else {})
                       for i, (pr, p) in enumerate(zip(probes, probe_preds))]
    for n, v in perf_metrics(preds + probe_preds, prepare_info, suite.pricing, suite.seed).items():
        metrics[n] = v | {"higher_is_better": PERF_METRICS[n]}
    from harness.training.fit import cut_metrics
    limit = suite.model_for(cfg).max_new_tokens if cfg is not None else suite.model.max_new_tokens
    for n, v in cut_metrics(preds + probe_preds, prepare_info, limit).items():
        metrics[n] = v | {"higher_is_better": False}
    return {"metrics": metrics, "safety_by_category": by_cat}, qa_rows, safety_rows
