"""Bootstrap intervals against known cases."""
from __future__ import annotations

import numpy as np

from harness.evaluation.stats import ci, p95


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
    const = ci([1.0] * 10)   # 10 of 10: exact Clopper-Pearson [0.025^(1/10), 1], not [1, 1]
    assert const.high == 1.0 and abs(const.low - 0.025 ** 0.1) < 1e-12
    from statsmodels.stats.proportion import proportion_confint
    lo, hi = proportion_confint(0, 32, method="beta")   # 0 of 32 probes leaked
    none = ci([0.0] * 32)
    assert none.low == 0 and abs(none.high - hi) < 1e-9 and none.high > 0.1
    by_cluster = ci([0.0] * 32, clusters=[i // 4 for i in range(32)])   # 8 clusters of 4
    assert abs(by_cluster.high - proportion_confint(0, 8, method="beta")[1]) < 1e-9
    assert ci([0.5] * 4).low == ci([0.5] * 4).high == 0.5   # not a proportion: the point
    assert ci([None, 1.0, 0.0]).n == 2


def test_percentile_statistic():
    e = ci(list(range(1, 101)), p95)
    assert abs(e.value - 95.05) < 1e-6 and e.low <= e.value <= e.high


def test_paired_bootstrap_known_cases():
    from harness.evaluation.stats import paired_bootstrap
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
    # every pair alike (16 canary items): the interval still has the width 16 items allow
    alike = paired_bootstrap({str(i): 1.0 for i in range(16)}, {str(i): 1.0 for i in range(16)})
    u = 1 - 0.025 ** (1 / 16)
    assert alike.diff == 0 and abs(alike.low + u) < 1e-12 and abs(alike.high - u) < 1e-12
    ahead = paired_bootstrap({str(i): 1.0 for i in range(16)}, {str(i): 0.0 for i in range(16)})
    assert ahead.high == 1.0 and abs(ahead.low - (1 - 2 * u)) < 1e-12 and ahead.significant


def test_seed_spread_known_cases():
    from scipy import stats as st
    from harness.evaluation.stats import seed_spread
    same = seed_spread([0.5, 0.5, 0.5])
    assert same["std"] == 0 and same["low"] == same["high"] == 0.5
    two = seed_spread([0.4, 0.6])
    half = st.t.ppf(0.975, 1) * two["std"] / 2 ** 0.5  # 12.7 x std / sqrt(2) for 2 seeds
    assert abs(two["mean"] - 0.5) < 1e-12 and abs(two["std"] - 0.1414213) < 1e-6
    assert abs((two["high"] - two["low"]) / 2 - half) < 1e-9 and two["n"] == 2
    assert seed_spread([0.7])["std"] is None and seed_spread([])["mean"] is None


def test_cluster_bootstrap_of_identical_rows_equals_bootstrap_of_cluster_means():
    """Rows perfectly correlated inside clusters carry one value's worth of information per
    cluster: the clustered interval is the interval over the cluster means (same seed, same
    draws), and it is wider than the naive row interval by about sqrt(cluster size)."""
    rng = np.random.default_rng(3)
    means = rng.uniform(0, 1, 12)
    rows = np.repeat(means, 6).tolist()
    labels = np.repeat([f"c{i}" for i in range(12)], 6).tolist()
    clustered = ci(rows, clusters=labels)
    over_means = ci(means.tolist())
    assert clustered.clusters == 12 and clustered.n == 72
    assert abs(clustered.low - over_means.low) < 1e-12
    assert abs(clustered.high - over_means.high) < 1e-12
    naive = ci(rows)
    assert clustered.design_effect == round((clustered.high - clustered.low)
                                            / (naive.high - naive.low), 4)
    assert 1.8 < clustered.design_effect < 3.2  # sqrt(6) = 2.45, up to resampling noise


def test_singleton_clusters_are_the_row_bootstrap():
    xs = [float(x) for x in np.random.default_rng(4).binomial(1, 0.4, 40)]
    rows, alone = ci(xs), ci(xs, clusters=[None] * 40)
    assert (alone.low, alone.high, alone.design_effect) == (rows.low, rows.high, 1.0)
    assert ci(xs, clusters=[str(i) for i in range(40)]).design_effect == 1.0
    assert "design_effect" not in rows.to_dict() and alone.to_dict()["clusters"] == 40


def test_paired_cluster_bootstrap_resamples_clusters():
    from harness.evaluation.stats import paired_bootstrap
    diffs = np.repeat([0.5, -0.2, 0.3, 0.1, 0.0, 0.4, -0.1, 0.2], 5)
    a = {str(i): float(d) for i, d in enumerate(diffs)}
    b = {k: 0.0 for k in a}
    clusters = {str(i): f"g{i // 5}" for i in range(len(diffs))}
    clustered = paired_bootstrap(a, b, clusters=clusters)
    over_means = ci(diffs[::5].tolist(), n_resamples=5000)  # one difference per cluster
    assert clustered.clusters == 8 and clustered.n == 40
    assert abs(clustered.low - over_means.low) < 1e-12
    assert abs(clustered.high - over_means.high) < 1e-12
    naive = paired_bootstrap(a, b)
    assert naive.clusters is None and naive.high - naive.low < clustered.high - clustered.low
    assert paired_bootstrap(a, b, clusters={k: "one" for k in a}) is None  # nothing to resample


def test_constant_differences_use_the_exact_sign_test():
    from harness.evaluation.stats import paired_bootstrap
    a = {str(i): 1.0 for i in range(6)}
    b = {k: 0.0 for k in a}
    rows = paired_bootstrap(a, b)
    u6 = 1 - 0.025 ** (1 / 6)   # exact upper bound of the share that might differ: 0 of 6
    assert rows.diff == rows.high == 1.0 and abs(rows.low - (1 - 2 * u6)) < 1e-12 < rows.low
    assert rows.p_value == 2 * 0.5 ** 6 and rows.significant  # 0.03125
    three = paired_bootstrap(a, b, clusters={k: int(k) // 2 for k in a})
    assert three.p_value == 0.25 and not three.significant  # 3 clusters cannot show it
    assert three.low < 0 < three.high                      # ... and its interval agrees
