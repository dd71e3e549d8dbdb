"""Paired comparisons of the chosen strategy against every other one, Holm-corrected.

Contract: `compare(chosen, scores, clusters=None, seed=0)`, with scores {strategy: {id: score}}
on one metric, returns {"family": k - 1, "pairs": {other: pair}} where each pair holds
- `diff` (chosen - other), `low`/`high` (95%) and `p_value` from the paired bootstrap
  (harness.evaluation.stats; clusters resampled when `clusters` {id: label} is given), `n`, `clusters`;
- `p_holm` (Holm's step-down adjustment over the family, statsmodels) and `significant`
  (p_holm < 0.05 and, for pass/fail scores, the exact McNemar's Holm p < 0.05 too);
- `mcnemar` for pass/fail scores (every score 0 or 1): the discordant counts `b` (chosen
  passes, other fails) and `c`, the exact McNemar p-value (statsmodels; rows taken as
  independent) and its Holm adjustment; otherwise None. Both tests must agree before a
  difference counts: on few rows the bootstrap is too sure of itself (0 vs 4 discordant rows
  of 6: bootstrap p 0.006, exact p 0.125), and McNemar ignores clusters, which the cluster
  bootstrap does not;
- `sd`, `inflation`, `mde` (harness.evaluation.power: achieved minimum detectable difference at 80% power,
  alpha 0.05) and `rows_to_settle` (test rows that would give 80% power at the observed diff);
- `verdict`: "differs" (significant after Holm), "inconclusive" (not significant and the
  observed difference is below the MDE, or no MDE), or "no detectable difference" (not
  significant although at least the MDE, or the same difference on every row).
`holm(p)` and `mcnemar_exact(a, b)` are the two library calls, wrapped.
"""
from __future__ import annotations

from harness.evaluation import power
from harness.evaluation.stats import paired_bootstrap

ALPHA = 0.05


def holm(p_values: list[float]) -> list[float]:
    if not p_values:
        return []
    from statsmodels.stats.multitest import multipletests
    return [float(x) for x in multipletests(p_values, alpha=ALPHA, method="holm")[1]]


def is_binary(*score_maps: dict) -> bool:
    vals = [v for m in score_maps for v in m.values() if v is not None]
    return bool(vals) and all(v in (0, 1) for v in vals)


def mcnemar_exact(a: dict, b: dict) -> dict | None:
    ids = [k for k in a if k in b and a[k] is not None and b[k] is not None]
    if not ids:
        return None
    from statsmodels.stats.contingency_tables import mcnemar
    n11 = sum(a[k] == 1 and b[k] == 1 for k in ids)
    n10 = sum(a[k] == 1 and b[k] == 0 for k in ids)
    n01 = sum(a[k] == 0 and b[k] == 1 for k in ids)
    n00 = len(ids) - n11 - n10 - n01
    res = mcnemar([[n11, n10], [n01, n00]], exact=True)
    return {"b": int(n10), "c": int(n01), "n": len(ids), "p_value": float(res.pvalue)}


def _verdict(pair: dict) -> str:
    if pair["significant"]:
        return "differs"
    if pair["sd"] == 0:  # the same difference on every row (e.g. identical answers)
        return "no detectable difference"
    if pair["mde"] is None or abs(pair["diff"]) < pair["mde"]:
        return "inconclusive"
    return "no detectable difference"


def compare(chosen: str, scores: dict, clusters: dict | None = None, seed: int = 0) -> dict:
    others = [n for n in scores if n != chosen]
    pairs = {}
    binary = is_binary(*scores.values())
    for o in others:
        c = paired_bootstrap(scores[chosen], scores[o], seed, clusters=clusters)
        if c is None:
            continue
        pw = power.paired(scores[chosen], scores[o], clusters) or {}
        pairs[o] = {"diff": c.diff, "low": c.low, "high": c.high, "p_value": c.p_value,
                    "n": c.n, "clusters": c.clusters, "sd": pw.get("sd"),
                    "inflation": pw.get("inflation"), "mde": pw.get("mde"),
                    "rows_to_settle": power.rows_needed(c.diff, pw.get("sd"), pw.get("inflation")),
                    "mcnemar": mcnemar_exact(scores[chosen], scores[o]) if binary else None}
    names = list(pairs)
    for n, p in zip(names, holm([pairs[n]["p_value"] for n in names])):
        pairs[n] |= {"p_holm": p, "significant": p < ALPHA}
    mc = [n for n in names if pairs[n]["mcnemar"]]
    for n, p in zip(mc, holm([pairs[n]["mcnemar"]["p_value"] for n in mc])):
        pairs[n]["mcnemar"]["p_holm"] = p
        pairs[n]["significant"] = pairs[n]["significant"] and p < ALPHA
    for n in names:
        pairs[n]["verdict"] = _verdict(pairs[n])
    return {"family": len(names), "pairs": pairs}
