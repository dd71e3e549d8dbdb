"""Statistics: 95% bootstrap confidence intervals (scipy).

Contract: `ci(values, statistic)` returns `Estimate(value, low, high, n)`. None values are
dropped. With fewer than 2 values, or all values equal, the interval collapses to the point (a
constant sample has no sampling spread to estimate); with none, everything is None.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float | None
    high: float | None
    n: int

    def to_dict(self) -> dict:
        return asdict(self)


def ci(values, statistic=np.mean, seed: int = 0, n_resamples: int = 2000,
       level: float = 0.95) -> Estimate:
    xs = np.asarray([v for v in values if v is not None], dtype=float)
    if xs.size == 0:
        return Estimate(None, None, None, 0)
    point = float(statistic(xs))
    if xs.size < 2 or np.all(xs == xs[0]):
        return Estimate(point, point, point, int(xs.size))
    res = stats.bootstrap((xs,), statistic, confidence_level=level, n_resamples=n_resamples,
                          method="percentile", random_state=np.random.default_rng(seed),
                          vectorized=False)
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return Estimate(point, min(lo, point), max(hi, point), int(xs.size))


def p95(x):
    return np.percentile(x, 95)


def p50(x):
    return np.percentile(x, 50)


@dataclass(frozen=True)
class Comparison:
    """Paired comparison of two strategies on the same examples: mean(a - b)."""
    diff: float
    low: float
    high: float
    p_value: float
    n: int

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05

    def to_dict(self) -> dict:
        return asdict(self) | {"significant": self.significant}


def paired_bootstrap(a: dict, b: dict, seed: int = 0, n_resamples: int = 5000) -> Comparison | None:
    """Paired bootstrap over the ids both score (None scores dropped). Two-sided p-value: twice
    the smaller share of resampled mean differences on either side of zero (capped at 1).
    Written out rather than scipy.stats.bootstrap because we need the resampled distribution
    itself for the p-value, not only its interval."""
    ids = [k for k in a if k in b and a[k] is not None and b[k] is not None]
    if len(ids) < 2:
        return None
    d = np.array([a[k] - b[k] for k in ids], dtype=float)
    if np.all(d == d[0]):
        return Comparison(float(d[0]), float(d[0]), float(d[0]), 1.0 if d[0] == 0 else 0.0, len(ids))
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(n_resamples, len(d)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    p = min(1.0, 2 * min((means <= 0).mean(), (means >= 0).mean()))
    return Comparison(float(d.mean()), float(lo), float(hi), float(p), len(ids))


def seed_spread(values, level: float = 0.95) -> dict:
    """Across-seed variation of one metric: mean, sample std (ddof=1) and a Student-t interval
    for the mean over seeds. A t-interval, not a bootstrap: with 2-5 seeds a bootstrap has
    almost no distinct resamples, while t widens honestly for small n (n=2: 12.7 x std/sqrt 2)."""
    xs = np.asarray([v for v in values if v is not None], dtype=float)
    if xs.size == 0:
        return {"mean": None, "std": None, "low": None, "high": None, "n": 0}
    mean = float(xs.mean())
    if xs.size < 2:
        return {"mean": mean, "std": None, "low": mean, "high": mean, "n": 1}
    std = float(xs.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, xs.size - 1) * std / np.sqrt(xs.size))
    return {"mean": mean, "std": std, "low": mean - half, "high": mean + half, "n": int(xs.size)}
