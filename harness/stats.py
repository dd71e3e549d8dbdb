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
