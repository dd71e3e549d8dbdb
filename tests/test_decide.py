"""Recommendation: cheapest strategy meeting requirements; explains rejections."""
from __future__ import annotations

from harness.evaluation.decide import recommend
from harness.config.suite import Requirements


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


def test_lead_over_every_other_strategy_is_holm_corrected():
    res = {"rag": _m(0.50, 0.9, 800, 0.01), "lora": _m(0.55, 0.9, 400, 0.03)}
    same = {str(i): float(i % 2) for i in range(60)}
    d = recommend(REQ, res, {"rag": same, "lora": dict(same)})
    assert d["chosen"] == "rag" and d["runner_up"] == "lora"
    assert d["comparisons"]["pairs"]["lora"]["verdict"] == "no detectable difference"
    assert "'lora' +0.000" in d["explanation"] and "no detectable difference" in d["explanation"]
    worse = {k: 0.0 for k in same}
    d = recommend(REQ, res, {"rag": {k: 1.0 for k in same}, "lora": worse})
    pair = d["comparisons"]["pairs"]["lora"]
    assert pair["significant"] and pair["verdict"] == "differs" and pair["mcnemar"]["b"] == 60
    assert "'lora' +1.000" in d["explanation"] and "a real difference" in d["explanation"]


def test_choice_is_made_on_dev_and_reported_on_test():
    """Dev says rag is the cheapest strategy meeting min_accuracy; test alone would say lora
    (rag's test point estimate is below the limit): the dev choice stands, the test numbers are
    reported, and the disagreement is flagged."""
    res = {"rag": _m(0.35, 0.9, 800, 0.01), "lora": _m(0.55, 0.9, 400, 0.03)}
    res["rag"]["dev"] = {"n": 24, "metrics": {"token_f1": {"value": 0.45, "low": 0.4,
                                                           "high": 0.5, "n": 24}}}
    res["lora"]["dev"] = {"n": 24, "metrics": {"token_f1": {"value": 0.42, "low": 0.3,
                                                            "high": 0.5, "n": 24}}}
    d = recommend(REQ, res)
    assert d["selection"]["split"] == "dev" and d["selection"]["warning"] is None
    assert d["chosen"] == "rag" and d["chosen_on_test"] == "lora"
    rag = d["strategies"]["rag"]
    assert rag["meets"] and not rag["meets_on_test"]
    assert next(c for c in rag["selection_checks"] if c["requirement"] == "min_accuracy")[
        "value"] == 0.45
    assert next(c for c in rag["checks"] if c["requirement"] == "min_accuracy")["value"] == 0.35
    rk = d["rankings"]
    assert rk["dev"] == ["rag", "lora"] and rk["test"] == ["lora", "rag"]
    assert rk["kendall_tau"] == -1.0 and "disagree on the winner" in rk["warning"]
    assert "the rule picks 'rag' on dev but 'lora' on test" in rk["warning"]
    res["lora"]["metrics"]["token_f1"] = {"value": 0.3, "low": 0.25, "high": 0.35, "n": 50}
    warning = recommend(REQ, res)["rankings"]["warning"]   # nothing meets on test
    assert "the rule picks 'rag' on dev but no strategy on test" in warning, warning
    res["lora"]["metrics"]["token_f1"] = {"value": 0.55, "low": 0.5, "high": 0.6, "n": 50}
    assert "Its test estimate: token_f1 0.35" in d["explanation"]
    assert "on the test split it fails min_accuracy" in d["explanation"]
    res["rag"]["dev"]["tuned_on"] = True  # a sweep tuned on these dev rows: said so
    assert "sweep tuned the strategies" in recommend(REQ, res)["selection"]["warning"]
    del res["lora"]["dev"]  # one strategy without dev scores: chosen on test, with a warning
    d = recommend(REQ, res)
    assert d["selection"]["split"] == "test" and "winner's curse" in d["selection"]["warning"]
    assert d["chosen"] == "lora"


def test_decision_record_shows_every_metric_with_interval_and_unit():
    from harness.evaluation.decide import decision_markdown
    res = {"rag": _m(0.50, 0.9, 800, 0.01), "lora": _m(0.55, 0.9, 400, 0.03, train=5.0)}
    for r in res.values():
        r["metrics"]["faithfulness"] = {"value": 0.8, "low": 0.7, "high": 0.9, "n": 4,
                                        "unit": "fraction", "missing": 2, "judged": 6}
        for e in r["metrics"].values():
            e.setdefault("unit", "fraction")
    res["lora"]["seed_variance"] = {"seeds": [0, 1], "per_seed": {"0": {"token_f1": 0.5},
                                                                  "1": {"token_f1": 0.6}},
                                    "metrics": {"token_f1": {"mean": 0.55, "std": 0.07,
                                                             "low": -0.08, "high": 1.18, "n": 2}}}
    md = decision_markdown("s", "r1", recommend(REQ, res), res)
    table = md.split("All metrics")[1]
    for k in ("token_f1", "safety_pass", "p95_latency_ms", "usd_per_1k_queries", "faithfulness"):
        row = next(l for l in table.splitlines() if l.startswith(f"| {k} |"))
        assert row.count("[") == 2, row  # an interval in every strategy's cell
    assert "(2 of 6 missing)" in table and "Seed variance of 'lora'" in md and "0: 0.5" in md


def test_requirement_without_data_is_not_measured_never_failed_or_passed():
    from harness.evaluation.decide import decision_markdown
    from harness.evaluation.report import cell
    res = {"prompt": _m(0.5, 0.9, 500, 0.01), "rag": _m(0.6, 0.9, 500, 0.02)}
    for r in res.values():          # no safety probes: no safety_pass at all
        del r["metrics"]["safety_pass"]
    res["rag"]["metrics"]["key_fact_recall"] = {"value": 0.4, "low": 0.2, "high": 0.6, "n": 14,
                                                "rows": 72}
    d = recommend(REQ, res)
    assert d["chosen"] == "prompt" and d["strategies"]["rag"]["meets"]
    (safety,) = [c for c in d["strategies"]["prompt"]["checks"] if c["requirement"] == "min_safety"]
    assert safety["measured"] is False and safety["met"] is None
    assert "Caution" not in d["explanation"] and "Rejected" not in d["explanation"]
    assert "Not measured (no data for the metric, so neither met nor failed): min_safety " \
           "(safety_pass)." in d["explanation"]
    md = decision_markdown("s", "r", d, res)
    assert "min_safety: n/a >= 0.8 not measured" in md and "FAIL" not in md
    assert "| key_fact_recall | " in md and "0.4 [0.2, 0.6] (n=14 of 72)" in md
    assert cell(res["rag"]["metrics"]["key_fact_recall"], "{:.2f}") == "0.40 [0.20, 0.60] (n=14 of 72)"
    d = recommend(REQ, {"p": _m(0.1, 0.9, 500, 0.01)})  # measured and below: still failed
    assert d["chosen"] is None and "min_accuracy (failed by p)" in d["explanation"]


def test_safety_comparisons_say_probes_and_how_many_a_difference_would_need(tmp_path):
    """Probes are not clustered: the safety table counts probes, not rows, and gives the probes
    a difference of requirements.difference_to_detect would need (it used to show '—')."""
    import json
    from types import SimpleNamespace

    from harness.evaluation import power
    from harness.evaluation.analysis import _safety
    from harness.evaluation.decide import decision_markdown
    res = {"rag": _m(0.50, 0.9, 800, 0.01), "lora": _m(0.55, 0.7, 400, 0.03)}
    passes = {"rag": [1] * 25 + [0] * 5, "lora": [1] * 15 + [0] * 15}   # lora fails 10 more
    for name, xs in passes.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "safety.jsonl").write_text("".join(
            json.dumps({"id": f"p{i}", "scores": {"safety_pass": float(x)}}) + "\n"
            for i, x in enumerate(xs)))
    d = recommend(REQ, res)
    assert d["chosen"] == "rag"
    _safety(d, SimpleNamespace(strategy_dir=lambda n: tmp_path / n), res, 0, 0.05)
    pair = d["safety_comparisons"]["pairs"]["lora"]
    need = power.rows_needed(0.05, pair["sd"], pair["inflation"])
    assert pair["rows_for_difference_to_detect"] == need and need > 30
    md = decision_markdown("s", "r", d, res)
    section = md[md.index("## Safety comparisons"):]
    assert "| probes for ±0.05 |" in section and f"| {need:,} |" in section
    assert "and clustering" not in section.split("\n\n")[1]   # the method line
