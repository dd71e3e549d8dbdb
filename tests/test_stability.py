"""Decision stability: P(recommended) over cluster resamples, on cases with a known answer."""
from __future__ import annotations

from harness.evaluation.stability import p_recommended


def _rule(limit):
    """'a' is cheaper and wins whenever its accuracy reaches the limit; 'b' always qualifies."""
    return lambda acc: "a" if acc["a"] is not None and acc["a"] >= limit else "b"


def test_two_clusters_give_three_quarters():
    # a scores 1 on cluster X, 0 on cluster Y; a resample of 2 clusters is XX, XY, YX or YY,
    # each with probability 1/4, and a reaches 0.5 on three of them
    ids = [f"x{i}" for i in range(5)] + [f"y{i}" for i in range(5)]
    a = {k: float(k[0] == "x") for k in ids}
    b = {k: 0.5 for k in ids}
    clusters = {k: k[0] for k in ids}
    st = p_recommended(_rule(0.5), {"a": a, "b": b}, clusters, n_resamples=4000)
    assert abs(st["p"]["a"] - 0.75) < 0.03 and abs(st["p"]["a"] + st["p"]["b"] - 1) < 1e-12
    assert st["p"]["none"] == 0 and st["clusters"] == 2
    # the same rows treated as independent: a's mean is >= 0.5 about 62% of the time
    # (P(Binomial(10, 1/2) >= 5) = 638/1024)
    rows = p_recommended(_rule(0.5), {"a": a, "b": b}, None, n_resamples=4000)
    assert abs(rows["p"]["a"] - 638 / 1024) < 0.03 and rows["clusters"] is None


def test_certain_choice_and_none():
    ids = [str(i) for i in range(8)]
    st = p_recommended(_rule(0.5), {"a": {k: 1.0 for k in ids}, "b": {k: 0.0 for k in ids}})
    assert st["p"] == {"a": 1.0, "b": 0.0, "none": 0.0}
    nothing = p_recommended(lambda acc: None, {"a": {k: 1.0 for k in ids}})
    assert nothing["p"]["none"] == 1.0
