"""Decision stability: how often each strategy would be the recommendation on a resampled test set.

Contract: `p_recommended(choose, scores, clusters=None, seed=0, n_resamples=2000)` draws
cluster-bootstrap resamples of the test rows (whole clusters, {id: label}; else single rows),
recomputes every strategy's mean accuracy on each, applies `choose({strategy: accuracy}) ->
strategy or None` (the decision rule with the other requirements' measured values held fixed)
and returns {"p": {strategy: share of resamples, ..., "none": share}, "n_resamples", "clusters"}.

Hand-written resampler (numpy), not scipy.stats.bootstrap: every strategy must be scored on the
same draw of clusters and the statistic is a categorical choice among them, while scipy's
bootstrap summarises one numeric statistic into an interval.
"""
from __future__ import annotations

import numpy as np

from harness.evaluation.stats import codes


def p_recommended(choose, scores: dict, clusters: dict | None = None, seed: int = 0,
                  n_resamples: int = 2000) -> dict | None:
    names = list(scores)
    ids = sorted({k for s in scores.values() for k, v in s.items() if v is not None})
    if not names or len(ids) < 2:
        return None
    x = np.array([[np.nan if scores[n].get(k) is None else scores[n][k] for n in names]
                  for k in ids], dtype=float)                           # rows x strategies
    code = codes([(clusters or {}).get(k) for k in ids]) if clusters is not None else \
        np.arange(len(ids))
    g = int(code.max()) + 1
    ok = ~np.isnan(x)
    sums = np.zeros((g, len(names)))
    counts = np.zeros((g, len(names)))
    np.add.at(sums, code, np.where(ok, x, 0.0))
    np.add.at(counts, code, ok.astype(float))
    draws = np.random.default_rng(seed).integers(0, g, size=(n_resamples, g))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)   # resamples x strategies
    tally = dict.fromkeys(names + ["none"], 0)
    for row in means:
        pick = choose({n: (None if np.isnan(v) else float(v)) for n, v in zip(names, row)})
        tally[pick if pick is not None else "none"] += 1
    return {"p": {k: v / n_resamples for k, v in tally.items()}, "n_resamples": n_resamples,
            "clusters": g if clusters is not None else None}
