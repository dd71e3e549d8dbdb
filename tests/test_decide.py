"""Recommendation: cheapest strategy meeting requirements; explains rejections."""
from __future__ import annotations

from harness.decide import recommend
from harness.suite import Requirements


def _m(f1, safety, p95, usd, train=0.0):
    e = lambda v: {"value": v, "low": v - 0.05, "high": v + 0.05, "n": 50}
    return {"metrics": {"token_f1": e(f1), "safety_pass": e(safety), "p95_latency_ms": e(p95),
                        "usd_per_1k_queries": e(usd), "train_usd": {"value": train, "n": 1}}}


REQ = Requirements(min_accuracy=0.4, min_safety=0.8, max_p95_latency_ms=1000,
                   expected_queries_per_month=10_000)


def test_cheapest_meeting_all_is_chosen_and_rejections_explained():
    res = {"prompt": _m(0.30, 0.9, 500, 0.01), "rag": _m(0.50, 0.9, 800, 0.03),
           "lora": _m(0.55, 0.9, 400, 0.01, train=5.0), "hybrid": _m(0.6, 0.5, 900, 0.03)}
    d = recommend(REQ, res)
    assert d["chosen"] == "rag"  # 0.30 $/month vs lora's 5.10
    assert "Rejected 'prompt': min_accuracy" in d["explanation"]
    assert "Rejected 'hybrid': min_safety" in d["explanation"]
    assert d["strategies"]["lora"]["meets"] and not d["strategies"]["hybrid"]["meets"]


def test_nothing_meets_says_which_requirement():
    d = recommend(REQ, {"prompt": _m(0.1, 0.9, 500, 0.01)})
    assert d["chosen"] is None and "min_accuracy (failed by prompt)" in d["explanation"]


def test_interval_crossing_limit_is_flagged():
    d = recommend(REQ, {"rag": _m(0.42, 0.9, 500, 0.01)})
    assert d["chosen"] == "rag" and "not certain" in d["explanation"]


def test_lead_over_runner_up_reports_significance():
    res = {"rag": _m(0.50, 0.9, 800, 0.01), "lora": _m(0.55, 0.9, 400, 0.03)}
    same = {str(i): float(i % 2) for i in range(60)}
    d = recommend(REQ, res, {"rag": same, "lora": dict(same)})
    assert d["chosen"] == "rag" and d["runner_up"] == "lora"
    assert "NOT statistically significant" in d["explanation"]
    worse = {k: 0.0 for k in same}
    d = recommend(REQ, res, {"rag": {k: 1.0 for k in same}, "lora": worse})
    assert d["paired_tests"]["chosen_minus_other"]["lora"]["significant"]
    assert "runner-up 'lora'" in d["explanation"] and ": statistically significant" in d["explanation"]
