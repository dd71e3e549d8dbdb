"""Latency, throughput and cost, from measured times and token counts.

Contract: `perf_metrics(predictions, train_info, pricing)` returns {name: Estimate-dict + unit}.
- Per-query compute seconds = the batch's wall time / its size (what the query cost the machine);
  `latency_ms` percentiles use the batch wall time (what a client waiting on the batch saw).
- $ per 1,000 queries = compute seconds per query x price per hour / 3600 x 1000.
- API-backed predictions (backend openai) carry their own `cost_usd` (reported tokens x the
  suite's token prices): then $ per 1,000 queries = mean cost_usd x 1000, and TTFT percentiles
  (`p50_ttft_ms`, `p95_ttft_ms`) are reported when the backend streamed.
- Training cost = measured training seconds x price per hour (one measurement: no interval).
"""
from __future__ import annotations

import numpy as np

from harness.stats import ci, p50, p95

# Stored per strategy next to the registered metrics; True where higher is better.
PERF_METRICS = {"p50_latency_ms": False, "p95_latency_ms": False, "usd_per_1k_queries": False,
                "prompt_tokens": False, "completion_tokens": False, "tokens_per_s": True,
                "train_seconds": False, "train_usd": False, "train_tokens_per_s": True,
                "p50_ttft_ms": False, "p95_ttft_ms": False}


def _entry(est, unit: str) -> dict:
    return est.to_dict() | {"unit": unit}


def perf_metrics(preds, train_info: dict | None, usd_per_hour: float, seed: int = 0) -> dict:
    lat_ms = [p.latency_s * 1000 for p in preds]
    secs = np.array([p.latency_s / max(p.batch_size, 1) for p in preds])
    toks = np.array([p.completion_tokens for p in preds], dtype=float)
    out = {
        "p50_latency_ms": _entry(ci(lat_ms, p50, seed), "ms"),
        "p95_latency_ms": _entry(ci(lat_ms, p95, seed), "ms"),
        "usd_per_1k_queries": _entry(ci(secs * usd_per_hour / 3.6, seed=seed), "USD / 1,000 queries"),
        "prompt_tokens": _entry(ci([p.prompt_tokens for p in preds], seed=seed), "tokens / query"),
        "completion_tokens": _entry(ci(toks, seed=seed), "tokens / query"),
    }
    if preds and all(getattr(p, "cost_usd", None) is not None for p in preds):
        out["usd_per_1k_queries"] = _entry(ci([p.cost_usd * 1000 for p in preds], seed=seed),
                                           "USD / 1,000 queries")
    if preds and all(getattr(p, "ttft_s", None) is not None for p in preds):
        ttft = [p.ttft_s * 1000 for p in preds]
        out["p50_ttft_ms"] = _entry(ci(ttft, p50, seed), "ms")
        out["p95_ttft_ms"] = _entry(ci(ttft, p95, seed), "ms")
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
    return out
