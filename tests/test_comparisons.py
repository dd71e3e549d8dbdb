"""Family-wise comparisons and pass/fail tests against known answers (statsmodels, by hand)."""
from __future__ import annotations

import numpy as np
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from harness.evaluation.comparisons import compare, holm, mcnemar_exact


def test_holm_equals_statsmodels_and_the_hand_computation():
    p = [0.01, 0.04, 0.03, 0.005]
    # by hand: sorted 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06,
    # 0.04 x 1 -> max(0.06, 0.04) = 0.06 (step-down: never below an earlier adjusted p)
    assert np.allclose(holm(p), [0.03, 0.06, 0.06, 0.02])
    assert np.allclose(holm(p), multipletests(p, method="holm")[1])
    assert holm([]) == []


def test_exact_mcnemar_equals_statsmodels_on_a_2x2_table():
    # 30 rows: both pass 10, only a passes 8, only b passes 2, both fail 10
    a, b = {}, {}
    for i, (x, y) in enumerate([(1, 1)] * 10 + [(1, 0)] * 8 + [(0, 1)] * 2 + [(0, 0)] * 10):
        a[str(i)], b[str(i)] = float(x), float(y)
    got = mcnemar_exact(a, b)
    assert (got["b"], got["c"], got["n"]) == (8, 2, 30)
    assert abs(got["p_value"] - mcnemar([[10, 8], [2, 10]], exact=True).pvalue) < 1e-12
    assert abs(got["p_value"] - 2 * (1 + 10 + 45) / 1024) < 1e-12  # binomial(10, 1/2), by hand


def test_compare_every_other_strategy_with_holm_verdicts():
    rng = np.random.default_rng(0)
    ids = [str(i) for i in range(120)]
    base = rng.binomial(1, 0.5, 120)
    chosen = {k: 1.0 for k in ids}                                  # clearly better than both
    close = {k: float(v) for k, v in zip(ids, base)}
    near = {k: (1.0 if i % 40 else 0.0) for i, k in enumerate(ids)}  # 3 rows worse: inconclusive
    out = compare("c", {"c": chosen, "close": close, "near": near})
    assert out["family"] == 2
    pc, pn = out["pairs"]["close"], out["pairs"]["near"]
    assert pc["verdict"] == "differs" and pc["significant"]
    assert pn["verdict"] == "inconclusive" and not pn["significant"]
    assert np.allclose([pc["p_holm"], pn["p_holm"]],
                       multipletests([pc["p_value"], pn["p_value"]], method="holm")[1])
    assert pn["mde"] > pn["diff"] > 0 and pn["rows_to_settle"] > 120
    assert pn["mcnemar"]["b"] == 3 and pn["mcnemar"]["c"] == 0
    assert "p_holm" in pn["mcnemar"]
    graded = {k: 0.5 for k in ids}  # not pass/fail: no McNemar
    assert compare("c", {"c": chosen, "g": graded})["pairs"]["g"]["mcnemar"] is None


def test_pass_fail_difference_counts_only_when_exact_mcnemar_agrees():
    """6 rows, the other strategy passes 4 the chosen one fails (read in a real byod run): the
    paired bootstrap says p < 0.01, the exact McNemar 2 x 0.5^4 = 0.125 — no real difference
    can be claimed from 4 discordant rows. With 40 such rows both agree."""
    few_a = {str(i): 0.0 for i in range(6)}
    few_b = {str(i): float(i < 4) for i in range(6)}
    pair = compare("a", {"a": few_a, "b": few_b})["pairs"]["b"]
    assert pair["p_holm"] < 0.05 and abs(pair["mcnemar"]["p_value"] - 0.125) < 1e-12
    assert not pair["significant"] and pair["verdict"] != "differs"
    many_a = {str(i): 0.0 for i in range(60)}
    many_b = {str(i): float(i < 40) for i in range(60)}
    pair = compare("a", {"a": many_a, "b": many_b})["pairs"]["b"]
    assert pair["significant"] and pair["verdict"] == "differs"
    assert pair["mcnemar"]["p_holm"] < 1e-9
