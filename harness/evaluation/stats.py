"""Statistics: 95% bootstrap confidence intervals (scipy), over rows or over clusters of rows.

Contract:
- `ci(values, statistic, clusters=None)` returns `Estimate(value, low, high, n)`. None values
  are dropped. When every value is 0 or every value is 1 (a proportion seen at its floor or
  ceiling: 0 of 32 probes leaked) the mean's interval is the exact Clopper-Pearson one over the
  rows (or clusters), not a bootstrap, which has nothing to resample and would say [0, 0]. Other
  constant samples, or fewer than 2 values, collapse to the point; with none, everything is None.
  With `clusters` (one label per value; None = a cluster of its own) the statistic must be the
  mean: the bootstrap then resamples whole clusters (Miller 2024, "Adding Error Bars to Evals"),
  and the estimate also carries `clusters` (how many) and `design_effect` (clustered / naive
  interval width: 1 for independent rows, ~sqrt(cluster size) for identical rows in a cluster).
- `paired_bootstrap(a, b, clusters=None)`: the mean of per-id differences a - b, its interval
  and a two-sided p-value, resampling clusters when given ({id: cluster label}); None when
  fewer than 2 ids (or, clustered and not constant, fewer than 2 clusters) are shared. When
  every difference is the same (e.g. two strategies answer 16 canary items alike) and the scores
  are in [0, 1], the interval bounds how far the mean difference could be off if up to the
  exact 95% upper bound of the share of rows (clusters) that might differ did: 0 of 16 items
  differing gives [-0.206, +0.206], not [0, 0].
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
    clusters: int | None = None        # set when the interval resampled clusters
    design_effect: float | None = None  # clustered / naive interval width

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items()
                if v is not None or k not in ("clusters", "design_effect")}


def _none_of(n: int, level: float = 0.95) -> float:
    """Clopper-Pearson upper bound of a proportion seen 0 times in n: 1 - (alpha/2)^(1/n)."""
    return 1.0 - ((1 - level) / 2) ** (1.0 / n)


def codes(labels) -> np.ndarray:
    """Cluster labels -> integer codes 0..G-1 (first-seen order); a None label is its own."""
    seen: dict = {}
    out = []
    for i, c in enumerate(labels):
        key = ("row", i) if c is None else ("label", c)
        out.append(seen.setdefault(key, len(seen)))
    return np.asarray(out, dtype=int)


def _bootstrap_clusters(xs: np.ndarray, code: np.ndarray, seed: int, n_resamples: int,
                        level: float):
    """scipy.stats.bootstrap over the cluster codes: each resample draws G clusters with
    replacement and the statistic is the mean over all rows of the drawn clusters
    (sum of their row sums / sum of their row counts), so scipy does the resampling and the
    percentile interval; `bootstrap_distribution` carries the resampled means."""
    g = int(code.max()) + 1
    sums, counts = np.bincount(code, xs, g), np.bincount(code, minlength=g).astype(float)

    def mean_of(idx, axis=-1):
        return sums[idx].sum(axis=axis) / counts[idx].sum(axis=axis)
    return stats.bootstrap((np.arange(g),), mean_of, confidence_level=level,
                           n_resamples=n_resamples, method="percentile", vectorized=True,
                           random_state=np.random.default_rng(seed))


def ci(values, statistic=np.mean, seed: int = 0, n_resamples: int = 2000,
       level: float = 0.95, clusters=None) -> Estimate:
    if clusters is not None and statistic is not np.mean:
        raise ValueError("a clustered interval is defined for the mean only")
    values = list(values)
    keep = [i for i, v in enumerate(values) if v is not None]
    xs = np.asarray([values[i] for i in keep], dtype=float)
    if xs.size == 0:
        return Estimate(None, None, None, 0)
    point = float(statistic(xs))
    code = None if clusters is None else codes([clusters[i] for i in keep])
    g = None if code is None else int(code.max()) + 1
    if np.all(xs == xs[0]) and statistic is np.mean and xs[0] in (0.0, 1.0):
        u = _none_of(g or int(xs.size), level)   # exact, over the independent units
        lo, hi = (0.0, u) if xs[0] == 0 else (1.0 - u, 1.0)
        return Estimate(point, lo, hi, int(xs.size), g)
    if xs.size < 2 or np.all(xs == xs[0]):
        return Estimate(point, point, point, int(xs.size), g)
    res = stats.bootstrap((xs,), statistic, confidence_level=level, n_resamples=n_resamples,
                          method="percentile", random_state=np.random.default_rng(seed),
                          vectorized=False)
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if code is None or g < 2:  # one cluster: nothing to resample; the row interval, clusters=1
        return Estimate(point, min(lo, point), max(hi, point), int(xs.size), g)
    cres = _bootstrap_clusters(xs, code, seed, n_resamples, level)
    clo, chi = float(cres.confidence_interval.low), float(cres.confidence_interval.high)
    deff = None if hi <= lo else round((chi - clo) / (hi - lo), 4)
    return Estimate(point, min(clo, point), max(chi, point), int(xs.size), g, deff)


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
    clusters: int | None = None

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05

    def to_dict(self) -> dict:
        return asdict(self) | {"significant": self.significant}


def paired_bootstrap(a: dict, b: dict, seed: int = 0, n_resamples: int = 5000,
                     clusters: dict | None = None) -> Comparison | None:
    """Paired bootstrap over the ids both score (None scores dropped), resampling the clusters
    of `clusters` ({id: label}; ids without one are their own) or else single rows. Two-sided
    p-value: twice the smaller share of resampled mean differences on either side of zero
    (counted as (k + 1) / (B + 1), capped at 1), from scipy's bootstrap distribution; when
    every difference is the same, the exact sign test over the clusters."""
    ids = [k for k in a if k in b and a[k] is not None and b[k] is not None]
    if len(ids) < 2:
        return None
    d = np.array([a[k] - b[k] for k in ids], dtype=float)
    code = codes([clusters.get(k) for k in ids] if clusters is not None else [None] * len(ids))
    g = int(code.max()) + 1
    kept_g = g if clusters is not None else None
    if np.all(d == d[0]):  # no spread to resample: exact sign test over the g clusters (or
        # rows), all of one sign with probability 2 x 0.5^g under "no difference"
        p = 1.0 if d[0] == 0 else min(1.0, 2 * 0.5 ** g)
        c, lo, hi = float(d[0]), float(d[0]), float(d[0])
        if all(0 <= x[k] <= 1 for x in (a, b) for k in ids):
            u = _none_of(g)   # each differing unit moves the mean by at most (1 - c) or (1 + c)
            lo, hi = max(-1.0, c - u * (1 + c)), min(1.0, c + u * (1 - c))
        return Comparison(c, lo, hi, p, len(ids), kept_g)
    if g < 2:  # every row in one cluster: there is no between-cluster spread to resample
        return None
    res = _bootstrap_clusters(d, code, seed, n_resamples, 0.95)
    means = res.bootstrap_distribution
    # (count + 1) / (B + 1) (Davison & Hinkley 1997): a finite bootstrap never proves p = 0
    tail = min((means <= 0).sum(), (means >= 0).sum())
    p = min(1.0, 2 * (tail + 1) / (means.size + 1))
    return Comparison(float(d.mean()), float(res.confidence_interval.low),
                      float(res.confidence_interval.high), float(p), len(ids), kept_g)


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
