"""Latency, throughput and cost, from measured times and token counts.

Contract: `perf_metrics(predictions, train_info, pricing)` returns {name: Estimate-dict + unit};
`pricing` is the suite's `Pricing` (or a bare $/hour number).
- Per-query compute = the batch's wall time / its size (what the query cost the machine):
  `compute_ms_per_query`; `p95_batch_wall_ms` is over the offline batches' wall times (what a
  caller of a batch job waits; n = batches). Neither is what one chat user waits: that is
  `p50/p95_latency_ms` and `p50/p95_ttft_ms`, measured one request at a time by
  harness.evaluation.request_latency (their direction is declared here).
- $ per 1,000 queries = compute seconds per query x price per hour / 3600 x 1000.
- API-backed predictions (backend openai) carry their own `cost_usd` (reported tokens x the
  suite's token prices): then $ per 1,000 queries = mean cost_usd x 1000.
- Training cost = measured training seconds x price per hour (one measurement: no interval);
  training FLOPs: an estimate, ~4 x params x tokens, interval [4, 6] x params x tokens.
"""
from __future__ import annotations

import numpy as np

from harness.metrics.spec import declare_metric
from harness.evaluation.stats import ci, p95

# The specs of the measured metrics stored per strategy next to the registered ones (this file
# computes the first block; harness.training.canary, harness.evaluation.adapter_latency, harness.evaluation.costs and
# harness.updates.update_run the rest): (name, higher is better, unit, label, short unit, format).
_MEASURED = [
    ("canary_acc", True, "fraction", "canary accuracy, lm-eval", "0-1", "{:.3f}"),
    ("canary_base_acc", True, "fraction", "canary accuracy of the base model, lm-eval", "0-1",
     "{:.3f}"),
    ("canary_drop", False, "fraction", "canary drop vs base", "0-1", "{:+.3f}"),
    ("p50_latency_ms", False, "ms", "p50 latency", "ms, batch 1", "{:,.0f}"),
    ("p95_latency_ms", False, "ms", "p95 latency", "ms, batch 1", "{:,.0f}"),
    ("p50_ttft_ms", False, "ms", "p50 time to first token", "ms, batch 1", "{:,.0f}"),
    ("p95_ttft_ms", False, "ms", "p95 time to first token", "ms, batch 1", "{:,.0f}"),
    ("compute_ms_per_query", False, "ms", "compute per query", "ms, batched", "{:,.0f}"),
    ("p95_batch_wall_ms", False, "ms", "p95 batch wall time", "ms", "{:,.0f}"),
    ("tokens_per_s", True, "tokens / s", "generation speed", "tokens/s", "{:.1f}"),
    ("prompt_tokens", False, "tokens / query", "prompt length", "tokens", "{:.0f}"),
    ("completion_tokens", False, "tokens / query", "answer length", "tokens", "{:.0f}"),
    ("extra_prompt_tokens_vs_prompt", False, "tokens / query", "extra prompt tokens vs prompt",
     "tokens", "{:+.0f}"),
    ("unmerged_ms_per_query", False, "ms", "adapter unmerged", "ms/query", "{:,.0f}"),
    ("merged_ms_per_query", False, "ms", "adapter merged", "ms/query", "{:,.0f}"),
    ("usd_per_1k_queries", False, "USD / 1,000 queries", "serving cost", "$ / 1k queries",
     "{:.4f}"),
    ("train_seconds", False, "s", "training time", "s", "{:.0f}"),
    ("train_usd", False, "USD", "training cost", "$", "{:.4f}"),
    ("train_tokens_per_s", True, "tokens / s", "training speed", "tokens/s", "{:.1f}"),
    ("train_flops_estimate", False, "FLOPs", "training compute", "FLOPs, est.", "{:.2e}"),
    ("update_seconds", False, "s", "absorbing one update", "s", "{:.1f}"),
    ("update_usd", False, "USD", "absorbing one update", "$", "{:.6f}"),
]
for _i, (_n, _hib, _unit, _label, _short, _fmt) in enumerate(_MEASURED):
    declare_metric(_n, higher_is_better=_hib, unit=_unit, label=_label, short_unit=_short,
                   format=_fmt, order=180 + 10 * _i)
# True where higher is better, by name (what scoring stores with each measured entry; gates
# may name these). update_* are the strategy's, not a query's: not gateable, as before.
PERF_METRICS = {n: hib for n, hib, *_ in _MEASURED if not n.startswith("update_")}


def _entry(est, unit: str) -> dict:
    return est.to_dict() | {"unit": unit}


def serving_usd_per_query(preds, pricing) -> tuple[np.ndarray, str]:
    """USD per query and the basis. API predictions carry `cost_usd` (their reported tokens x the
    suite's token price table, set by the openai backend); local ones cost measured compute
    seconds x price per hour, even when the suite also sets token prices for an API strategy."""
    if preds and all(getattr(p, "cost_usd", None) is not None for p in preds):
        return np.array([p.cost_usd for p in preds], dtype=float), "tokens x API price table"
    per_hour = getattr(pricing, "compute_usd_per_hour", pricing)
    secs = np.array([p.latency_s / max(p.batch_size, 1) for p in preds])
    return secs * per_hour / 3600, "measured compute seconds x price per hour"


def perf_metrics(preds, train_info: dict | None, pricing, seed: int = 0) -> dict:
    usd_per_hour = getattr(pricing, "compute_usd_per_hour", pricing)
    # One figure per generation batch (its queries share its wall time), so n counts batches:
    # one batch is one measurement, not a zero-width interval over its queries.
    wall_ms = list({(p.latency_s, p.batch_size): p.latency_s * 1000 for p in preds}.values())
    secs = np.array([p.latency_s / max(p.batch_size, 1) for p in preds])
    toks = np.array([p.completion_tokens for p in preds], dtype=float)
    usd, basis = serving_usd_per_query(preds, pricing)
    out = {
        "compute_ms_per_query": _entry(ci(secs * 1000, seed=seed),
                                       "ms of compute / query (batch wall time / batch size)"),
        "p95_batch_wall_ms": _entry(ci(wall_ms, p95, seed), "ms (wall time of a batch; n = batches)"),
        "usd_per_1k_queries": _entry(ci(usd * 1000, seed=seed), "USD / 1,000 queries") | {
            "basis": basis},
        "prompt_tokens": _entry(ci([p.prompt_tokens for p in preds], seed=seed), "tokens / query"),
        "completion_tokens": _entry(ci(toks, seed=seed), "tokens / query"),
    }
    if len(preds):
        # Throughput is a ratio of sums; bootstrap it over queries as pairs.
        idx = np.arange(len(preds))
        out["tokens_per_s"] = _entry(
            ci(idx, lambda i: toks[i.astype(int)].sum() / max(secs[i.astype(int)].sum(), 1e-9), seed),
            "generated tokens / s")
    if train_info and "train_seconds" in train_info:
        s = float(train_info["train_seconds"])
        out["train_seconds"] = {"value": s, "low": s, "high": s, "n": 1, "unit": "s (measured once)"}
        usd = s * usd_per_hour / 3600
        out["train_usd"] = {"value": usd, "low": usd, "high": usd, "n": 1, "unit": "USD (measured once)"}
        tps = train_info.get("train_tokens", 0) / max(s, 1e-9)
        out["train_tokens_per_s"] = {"value": tps, "low": tps, "high": tps, "n": 1,
                                     "unit": "tokens / s (measured once)"}
        flops = float(train_info.get("train_flops_estimate") or 0.0)
        if flops:  # 4NT counts forward + activation gradients; 6NT as if frozen weights had grads
            high = float(train_info.get("train_flops_high") or flops * 1.5)  # a strategy's own
            out["train_flops_estimate"] = {"value": flops, "low": flops, "high": high,
                                           "n": 1, "unit": "FLOPs (estimate: 4-6 x params x tokens)"}
    return out
