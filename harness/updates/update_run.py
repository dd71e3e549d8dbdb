"""Measure every knowledge update of the suite on one prepared strategy (`harness run`).

Contract: `measure_updates(cfg, strategy, suite, data, backend, sdir, cache_dir, info, qa_rows)`
runs after the strategy's test evaluation (`qa_rows`: its scored test rows) and returns
{"updates": {update name: record}, "metrics": {"update_seconds", "update_usd"}} (empty when the
suite declares no updates). Per update:
- `stale`: the accuracy metrics on the update's questions (scored against their new answers)
  answered before the update is absorbed;
- per absorbing method (harness.updates.update_absorb, cheapest first): `seconds` and `usd` (seconds x
  `pricing.compute_usd_per_hour`), what was done, and after it the metrics on the `changed`
  questions and on the `unchanged` ones (the test rows the update does not replace), plus
  `unchanged_vs_before`: the paired difference in the accuracy metric against the strategy's
  own test answers (cluster bootstrap, 95% interval);
- `unchanged_before`: the unchanged rows' metrics before the update;
- `cheapest`: the cheapest method that does not break the unchanged answers (`_cheapest`:
  its `unchanged_vs_before` interval lies wholly below 0), and `breaks`: the methods that do.
  When every method breaks them, the cheapest of all, and `cheapest_breaks` is true.
Every estimate is {value, low, high, n, unit}; intervals resample the suite's clusters.
`update_usd` / `update_seconds` (in the strategy's metrics, read by harness.evaluation.decide) are the
cheapest method's cost, averaged over the declared updates. Rows are written to
`<sdir>/updates/<update>/{stale,<method>_changed,<method>_unchanged}.jsonl` and the records to
`<sdir>/updates.json`.
"""
from __future__ import annotations

from harness.evaluation import clusters as cl
from harness.run.progress import bar
from harness.evaluation.stats import ci, paired_bootstrap
from harness.run.store import write_json, write_jsonl
from harness.run.strategy import Query
from harness.updates.update_absorb import Where, absorb, methods


def _summary(suite, examples, rows) -> dict:
    """{metric: clustered 95% estimate} over scored rows aligned with `examples`."""
    from harness.registry import METRICS
    labels = cl.labels(suite, examples) if cl.cluster_column(suite) else None
    return {n: ci([r["scores"].get(n) for r in rows], seed=suite.seed, clusters=labels).to_dict()
            | {"unit": METRICS[n].unit} for n in suite.metrics}


def _answer(strategy, suite, examples, folder, name, label):
    from harness.evaluation.scoring import score_dev
    if not examples:
        return {}, []
    with bar(label, len(examples)) as b:
        preds = strategy.predict([Query(e.id, e.question) for e in examples], b)
    _, rows = score_dev(suite, examples, preds)
    for r, e in zip(rows, examples):
        r |= {"question": e.question, "reference": e.answer}
    write_jsonl(folder / f"{name}.jsonl", rows)
    return _summary(suite, examples, rows), rows


def _vs_before(suite, examples, after_rows, before: dict) -> dict | None:
    acc = suite.requirements.accuracy_metric
    c = paired_bootstrap({r["id"]: r["scores"].get(acc) for r in after_rows}, before, suite.seed,
                         clusters=cl.by_id(suite, examples) if cl.cluster_column(suite) else None)
    return None if c is None else {"value": c.diff, "low": c.low, "high": c.high, "n": c.n,
                                   "p_value": c.p_value, "metric": acc,
                                   "unit": f"{acc}, after minus before (paired)"}


def _one(cfg, strategy, suite, data, upd, w: Where, qa_rows) -> dict:
    changed_ids = {e.id for e in upd.questions}
    unchanged = [e for e in data.test if e.id not in changed_ids]
    old_rows = {r["id"]: r for r in qa_rows}
    before_rows = [old_rows[e.id] for e in unchanged if e.id in old_rows]
    acc = suite.requirements.accuracy_metric
    before = {r["id"]: r["scores"].get(acc) for r in before_rows}
    stale, stale_rows = _answer(strategy, suite, upd.questions, w.folder, "stale",
                                f"{cfg.name}: {upd.name}, before")
    rec = {"changed_questions": len(upd.questions), "unchanged_questions": len(unchanged),
           "changed_docs": upd.changed_doc_ids(data.kb), "new_train_pairs": len(upd.train),
           "stale": stale, "unchanged_before": _summary(suite, unchanged, before_rows),
           "methods": {}}
    price = suite.pricing.compute_usd_per_hour / 3600
    for method in methods(cfg, upd):
        with bar(f"{cfg.name}: {upd.name}, {method}") as b:
            fresh, done = absorb(method, strategy, cfg, upd, w, b)
        done["usd"] = done["seconds"] * price
        if method == "none":  # same answers as before: nothing is asked again
            after = {"changed": stale, "unchanged": rec["unchanged_before"],
                     "unchanged_vs_before": _vs_before(suite, unchanged, before_rows, before)}
        else:
            ch, _ = _answer(fresh, suite, upd.questions, w.folder, f"{method}_changed",
                            f"{cfg.name}: {upd.name}, {method}, changed")
            un, un_rows = _answer(fresh, suite, unchanged, w.folder, f"{method}_unchanged",
                                  f"{cfg.name}: {upd.name}, {method}, unchanged")
            after = {"changed": ch, "unchanged": un,
                     "unchanged_vs_before": _vs_before(suite, unchanged, un_rows, before)}
        rec["methods"][method] = done | after
    rec |= _cheapest(rec["methods"])
    return rec


def _cheapest(methods: dict) -> dict:
    """{"cheapest", "breaks", "cheapest_breaks"}: the cheapest method by USD among those whose
    paired after - before difference on the unchanged questions is not wholly below 0 (a cheap
    update that makes the strategy forget what it knew is not a way to absorb it)."""
    breaks = [m for m, r in methods.items()
              if (r.get("unchanged_vs_before") or {}).get("high", 0) < 0]
    safe = [m for m in methods if m not in breaks] or list(methods)
    best = min(safe, key=lambda m: methods[m]["usd"])
    return {"cheapest": best, "breaks": breaks, "cheapest_breaks": best in breaks}


def measure_updates(cfg, strategy, suite, data, backend, sdir, cache_dir, info, qa_rows) -> dict:
    if not data.updates:
        return {}
    records = {}
    for upd in data.updates:
        w = Where(suite, data, backend, sdir / "updates" / upd.name, cache_dir, info)
        records[upd.name] = _one(cfg, strategy, suite, data, upd, w, qa_rows)
    write_json(sdir / "updates.json", records)
    cheapest = [r["methods"][r["cheapest"]] for r in records.values()]
    n = len(cheapest)
    unit = f"per knowledge update, cheapest way (mean of {n} measured once each)"
    secs = sum(c["seconds"] for c in cheapest) / n
    usd = sum(c["usd"] for c in cheapest) / n
    return {"updates": records, "metrics": {
        "update_seconds": {"value": secs, "low": secs, "high": secs, "n": n, "unit": f"s {unit}",
                           "higher_is_better": False},
        "update_usd": {"value": usd, "low": usd, "high": usd, "n": n, "unit": f"USD {unit}",
                       "higher_is_better": False}}}
