"""Cost model: measured compute time x $/hour, or tokens x an API price table."""
from __future__ import annotations

from harness.metrics.perf import perf_metrics
from harness.run.strategy import Prediction
from harness.config.suite import Pricing


def _preds(cost_usd=None):
    return [Prediction(str(i), "a", prompt_tokens=1000, completion_tokens=100, latency_s=2.0,
                       batch_size=4, cost_usd=cost_usd) for i in range(5)]


def test_local_model_priced_by_compute_time():
    m = perf_metrics(_preds(), None, Pricing(compute_usd_per_hour=3.6))
    # a suite that also prices an API strategy by tokens still prices local models by time
    both = Pricing(compute_usd_per_hour=3.6, input_usd_per_1m_tokens=0.15,
                   output_usd_per_1m_tokens=0.60)
    assert perf_metrics(_preds(), None, both)["usd_per_1k_queries"] == m["usd_per_1k_queries"]
    # 2 s batch / 4 queries = 0.5 s per query x $3.6/h = $0.0005 per query = $0.5 per 1,000
    assert abs(m["usd_per_1k_queries"]["value"] - 0.5) < 1e-9
    assert m["usd_per_1k_queries"]["basis"].startswith("measured compute")


def test_api_model_priced_by_tokens():
    p = Pricing(input_usd_per_1m_tokens=0.15, output_usd_per_1m_tokens=0.60)
    per_query = (1000 * p.input_usd_per_1m_tokens + 100 * p.output_usd_per_1m_tokens) / 1e6
    m = perf_metrics(_preds(cost_usd=per_query), {"train_seconds": 10, "train_tokens": 100,
                                "train_flops_estimate": 4e12}, p)
    # (1000 x 0.15 + 100 x 0.60) / 1e6 = $0.00021 per query = $0.21 per 1,000
    assert abs(m["usd_per_1k_queries"]["value"] - 0.21) < 1e-9
    assert m["usd_per_1k_queries"]["basis"] == "tokens x API price table"
    f = m["train_flops_estimate"]
    assert f["low"] == 4e12 < f["high"] and "FLOPs" in f["unit"]


def test_batch_wall_time_counts_batches_not_the_queries_in_them():
    one = perf_metrics(_preds(), None, Pricing())["p95_batch_wall_ms"]
    assert one["n"] == 1 and one["value"] == 2000.0   # 5 queries of one 2-s batch: 1 figure
    two = _preds() + [Prediction("x", "a", prompt_tokens=10, completion_tokens=5, latency_s=3.0,
                                 batch_size=1)]
    m = perf_metrics(two, None, Pricing())["p95_batch_wall_ms"]
    assert m["n"] == 2 and m["low"] < m["high"] and "n = batches" in m["unit"]
