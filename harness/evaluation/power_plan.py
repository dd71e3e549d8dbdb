"""Power before a run: what the test split can detect, for `harness validate` (no model).

Contract: `plan(ls, data, results_root)` returns {"metric", "unit", "n", "clusters", "sd",
"inflation", "mde", "difference", "rows_needed", "assumption"} for the suite's accuracy metric
(harness.evaluation.power: paired t-test, 80% power, alpha 0.05). The assumption is, in order:
- the suite's latest finished run under `results_root` (`<suite>/LATEST`): the per-row paired
  differences of its strategies, the pair with the largest clustered variance of the mean
  difference (the hardest pair to tell apart), its sd and clustered variance inflation;
- else conservative defaults: sd 0.5 of a per-row paired difference (the largest sd of one
  0-1 score) and intra-cluster correlation 0.5, i.e. variance inflation 1 + (m - 1) x 0.5 with
  m the size-weighted mean cluster size of the present test split (Kish).
Also "cluster_column" and "dev_rows" (dev rows every strategy answers). `lines(plan)` words it
for the terminal. Never imports torch.
"""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

from harness.evaluation import clusters as cl
from harness.evaluation import power
from harness.run.store import read_json, read_jsonl

DEFAULT_SD, DEFAULT_ICC = 0.5, 0.5


def _previous(ls, results_root: Path):
    suite_dir = Path(results_root) / ls.suite.name
    try:
        run_dir = suite_dir / (suite_dir / "LATEST").read_text(encoding="utf-8").strip()
        resolved = read_json(run_dir / "suite.resolved.json")
    except (OSError, ValueError):
        return None
    acc = ls.suite.requirements.accuracy_metric
    scores, labels = {}, {}
    for s in resolved.get("strategies", []):
        path = run_dir / "strategies" / s["name"] / "predictions.jsonl"
        if path.exists():
            rows = read_jsonl(path)
            scores[s["name"]] = {r["id"]: (r.get("scores") or {}).get(acc) for r in rows}
            labels |= {r["id"]: r.get("cluster") for r in rows}
    best = None
    for a, b in combinations(scores, 2):
        p = power.paired(scores[a], scores[b], labels)
        if p and p["sd"] > 0:
            risk = p["sd"] ** 2 * max(p["inflation"] or 1.0, 1.0)
            if best is None or risk > best[0]:
                best = (risk, p, f"{a} vs {b}")
    if best is None:
        return None
    return best[1], f"run {run_dir.name} in {suite_dir}, pair {best[2]}"


def plan(ls, data, results_root: Path) -> dict:
    from harness.registry import METRICS
    suite = ls.suite
    acc = suite.requirements.accuracy_metric
    labs = cl.labels(suite, data.test) if cl.cluster_column(suite) else [None] * len(data.test)
    sizes: dict = {}
    for i, x in enumerate(labs):
        key = ("row", i) if x is None else x
        sizes[key] = sizes.get(key, 0) + 1
    n, g = len(data.test), len(sizes)
    prev = _previous(ls, results_root)
    if prev:
        p, where = prev
        sd, infl = p["sd"], max(p["inflation"] or 1.0, 1.0)
        why = (f"observed on {where}: sd of a per-row paired difference {sd:.3f}, variance "
               f"inflation from clusters {infl:.2f}")
    else:
        m = sum(v * v for v in sizes.values()) / max(n, 1)
        sd, infl = DEFAULT_SD, 1 + (m - 1) * DEFAULT_ICC
        why = (f"conservative default (no earlier run under {Path(results_root) / suite.name}): "
               f"sd of a per-row paired difference {DEFAULT_SD}, intra-cluster correlation "
               f"{DEFAULT_ICC} with mean cluster size {m:.1f}, so variance inflation {infl:.2f}")
    want = suite.requirements.difference_to_detect
    dev = len(data.dev[: suite.evaluation.dev_limit])
    return {"metric": acc, "unit": METRICS[acc].unit, "n": n, "clusters": g, "sd": sd,
            "cluster_column": cl.cluster_column(suite), "dev_rows": dev,
            "inflation": infl, "mde": power.mde(sd, n, infl), "difference": want,
            "rows_needed": power.rows_needed(want, sd, infl), "assumption": why}


def lines(p: dict) -> list[str]:
    mde = ("no difference (too few effective rows)" if p["mde"] is None else
           f"a paired difference of {p['mde']:.3f} {p['unit']} or more")
    need = "?" if p["rows_needed"] is None else f"{p['rows_needed']:,}"
    col = p.get("cluster_column")
    grouping = f"{p['clusters']} clusters, column '{col}'" if col else "rows independent"
    dev = (f"every strategy also answers {p['dev_rows']} dev rows and the choice is made on them"
           if p.get("dev_rows") else "no dev rows are scored (evaluation.dev_limit): the choice "
           "is made on test")
    return [f"decision: {dev}; test intervals resample {'clusters' if col else 'rows'}.",
            f"power ({p['metric']}, paired t-test, 80% power, alpha 0.05): the {p['n']} test "
            f"rows ({grouping}) can detect {mde}; a difference of "
            f"{p['difference']:g} {p['unit']} ({p['difference'] * 100:g} points) needs about "
            f"{need} test rows in clusters of this size.",
            f"  assumption: {p['assumption']}."]
