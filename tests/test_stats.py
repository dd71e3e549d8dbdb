"""Bootstrap intervals against known cases."""
from __future__ import annotations

import numpy as np

from harness.stats import ci, p95


def test_interval_contains_mean_and_shrinks_with_n():
    rng = np.random.default_rng(0)
    small = ci(rng.binomial(1, 0.6, 30).tolist())
    big = ci(rng.binomial(1, 0.6, 3000).tolist())
    assert small.low <= small.value <= small.high
    assert (big.high - big.low) < (small.high - small.low) / 4
    assert big.low < 0.6 < big.high


def test_degenerate_samples():
    assert ci([]).value is None
    one = ci([0.7])
    assert (one.value, one.low, one.high, one.n) == (0.7, 0.7, 0.7, 1)
    const = ci([1.0] * 10)
    assert const.low == const.high == 1.0
    assert ci([None, 1.0, 0.0]).n == 2


def test_percentile_statistic():
    e = ci(list(range(1, 101)), p95)
    assert abs(e.value - 95.05) < 1e-6 and e.low <= e.value <= e.high


def test_paired_bootstrap_known_cases():
    from harness.stats import paired_bootstrap
    rng = np.random.default_rng(1)
    a = {str(i): float(x) for i, x in enumerate(rng.binomial(1, 0.5, 200))}
    same = paired_bootstrap(a, dict(a))
    assert same.diff == 0 and not same.significant and same.p_value == 1.0
    better = {k: 1.0 for k in a}
    clear = paired_bootstrap(better, a)
    assert clear.significant and clear.low > 0.3 and clear.p_value < 0.01
    noisy = {k: (v if int(k) % 10 else 1.0 - v) for k, v in a.items()}  # 10% flipped both ways
    assert not paired_bootstrap(noisy, a).significant
    assert paired_bootstrap({"x": 1.0}, {"x": 0.0}) is None


def test_seed_spread_known_cases():
    from scipy import stats as st
    from harness.stats import seed_spread
    same = seed_spread([0.5, 0.5, 0.5])
    assert same["std"] == 0 and same["low"] == same["high"] == 0.5
    two = seed_spread([0.4, 0.6])
    half = st.t.ppf(0.975, 1) * two["std"] / 2 ** 0.5  # 12.7 x std / sqrt(2) for 2 seeds
    assert abs(two["mean"] - 0.5) < 1e-12 and abs(two["std"] - 0.1414213) < 1e-6
    assert abs((two["high"] - two["low"]) / 2 - half) < 1e-9 and two["n"] == 2
    assert seed_spread([0.7])["std"] is None and seed_spread([])["mean"] is None
