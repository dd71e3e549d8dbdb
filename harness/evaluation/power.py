"""Power: the smallest paired difference a test split can detect, and the rows a difference needs.

The test is the paired t-test on per-row differences (statsmodels' `TTestPower`, two-sided),
at alpha 0.05 and 80% power. Clustered rows carry less information than independent ones: n
rows whose mean has `inflation` times the variance it would have for independent rows count as
n / inflation effective rows (Kish's design effect on the variance). An inflation below 1
(negative within-cluster correlation, with few clusters usually noise) is taken as 1.

Contract:
- `mde(sd, n, inflation=1)`: minimum detectable difference in the metric's units, None when
  fewer than 2 effective rows or no spread (sd 0).
- `rows_needed(diff, sd, inflation=1)`: test rows (in clusters like the present ones) for 80%
  power at `diff`; None for a zero difference or sd.
- `clustered_inflation(d, labels)`: clustered / naive variance of the mean of `d`: the
  Liang-Zeger cluster-robust variance over the plug-in variance, both without small-sample
  factors (they would mostly cancel), so singleton clusters give exactly 1 and m identical rows
  per cluster exactly m; None when undefined (no spread, or fewer than 2 clusters).
- `paired(a, b, labels_by_id)`: {n, clusters, sd, inflation, mde} of the differences a - b.
"""
from __future__ import annotations

import math

import numpy as np

ALPHA, POWER = 0.05, 0.80


def _solver():
    from statsmodels.stats.power import TTestPower
    return TTestPower()


def mde(sd: float, n: float, inflation: float = 1.0, alpha: float = ALPHA,
        power: float = POWER) -> float | None:
    n_eff = n / max(inflation or 1.0, 1.0)
    if not sd or n_eff < 2:  # no spread: no variance to base a detectable difference on
        return None
    d = _solver().solve_power(effect_size=None, nobs=n_eff, alpha=alpha, power=power,
                              alternative="two-sided")
    return float(np.atleast_1d(d)[0]) * sd


def rows_needed(diff: float, sd: float, inflation: float = 1.0, alpha: float = ALPHA,
                power: float = POWER) -> int | None:
    if not diff or not sd:
        return None
    n_eff = _solver().solve_power(effect_size=abs(diff) / sd, nobs=None, alpha=alpha,
                                  power=power, alternative="two-sided")
    n_eff = max(2.0, float(np.atleast_1d(n_eff)[0]))
    # rounded first: the solver's 80.0000005 is 80 rows, not 81
    return int(math.ceil(round(n_eff * max(inflation or 1.0, 1.0), 3)))


def clustered_inflation(d, labels) -> float | None:
    from harness.evaluation.stats import codes
    d = np.asarray(d, dtype=float)
    n = d.size
    if n < 2:
        return None
    naive = float(((d - d.mean()) ** 2).sum()) / n ** 2
    code = codes(labels)
    g = int(code.max()) + 1
    if naive == 0 or g < 2:
        return None
    resid = np.bincount(code, d - d.mean(), g)
    clustered = float((resid ** 2).sum()) / n ** 2
    return clustered / naive


def paired(a: dict, b: dict, labels_by_id: dict | None = None) -> dict | None:
    ids = [k for k in a if k in b and a[k] is not None and b[k] is not None]
    if len(ids) < 2:
        return None
    d = np.array([a[k] - b[k] for k in ids], dtype=float)
    sd = float(d.std(ddof=1))
    labels = [(labels_by_id or {}).get(k) for k in ids] if labels_by_id is not None else \
        [None] * len(ids)
    from harness.evaluation.stats import codes
    g = int(codes(labels).max()) + 1
    infl = clustered_inflation(d, labels) if labels_by_id is not None else 1.0
    return {"n": len(ids), "clusters": g, "sd": sd, "inflation": infl,
            "mde": mde(sd, len(ids), infl)}
