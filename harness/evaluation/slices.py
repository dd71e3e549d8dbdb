"""Per-slice results: every accuracy metric of every strategy on each value of a test-row column.

Contract: `tables(suite, examples, rows)` with rows {strategy: its predictions.jsonl rows}
returns {column: [{"value", "n", "metrics": {metric: {strategy: estimate}}}]} for each column
of the suite's `slices`, values in order of first appearance among the test rows; a row without
the column counts under the value "(none)". An estimate is the mean with its 95% interval
(harness.evaluation.stats.ci, resampling the suite's clusters inside the slice) and its n.
"""
from __future__ import annotations

from harness.evaluation import clusters as cl
from harness.evaluation.stats import ci

NONE = "(none)"


def tables(suite, examples, rows: dict[str, list[dict]]) -> dict:
    scores = {n: {r["id"]: r.get("scores") or {} for r in rs} for n, rs in rows.items()}
    labels = cl.by_id(suite, examples) if cl.cluster_column(suite) else None
    out = {}
    for col in suite.slices:
        groups: dict[str, list[str]] = {}
        for e in examples:
            groups.setdefault(e.column(col) or NONE, []).append(e.id)
        out[col] = [{"value": v, "n": len(ids), "metrics": {
            m: {n: _estimate(scores[n], ids, m, labels, suite.seed) for n in scores}
            for m in suite.metrics}} for v, ids in groups.items()]
    return out


def _estimate(by_id: dict, ids: list[str], metric: str, labels, seed: int) -> dict:
    vals = [(by_id.get(i) or {}).get(metric) for i in ids]
    lab = None if labels is None else [labels.get(i) for i in ids]
    return ci(vals, seed=seed, clusters=lab).to_dict()
