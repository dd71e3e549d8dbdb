"""The tail of decision.md: break-even costs and every stored metric with its interval and unit.

Contract: `metrics_markdown(decision, results, specs)` returns Markdown lines: total cost per
month by query volume (when the decision has `break_even_usd_per_month`), every metric of every
strategy as value [95% CI] with its label and direction (from `specs`, the run's stored metric
specs, else the registry's) and its stored unit, in the specs' order, safety probes by category,
then seed variance.
"""
from __future__ import annotations

from harness.evaluation.decision_text import fmt as _fmt


def _cell(e: dict | None) -> str:
    from harness.evaluation.decide import n_note   # "(n=14 of 72)": fewer rows than the test split
    if not e or e.get("value") is None:
        return "n/a" + (f" ({e['missing']} missing)" if e and e.get("missing") else "") + n_note(e)
    s = f"{_fmt(e['value'])} [{_fmt(e.get('low'))}, {_fmt(e.get('high'))}]"
    missing = f" ({e['missing']} of {e.get('judged')} missing)" if e.get("missing") else ""
    return s + missing + n_note(e)


def _break_even(decision) -> list[str]:
    be = decision.get("break_even_usd_per_month") or {}
    if not be:
        return []
    vols = list(next(iter(be.values())))
    upd = "" if not decision.get("update_cadences") else \
        " + the suite's updates/month x USD to absorb one"
    lines = ["", f"Total cost per month (USD: training once + serving{upd}) by monthly query "
             "volume:", "",
             "| strategy | " + " | ".join(f"{int(v):,}" for v in vols) + " |",
             "|---|" + "---|" * len(vols)]
    return lines + [f"| {n} | " + " | ".join(f"{c:.2f}" for c in row.values()) + " |"
                    for n, row in be.items()]


def metrics_markdown(decision: dict, results: dict, specs: dict | None = None) -> list[str]:
    from harness.registry import specs_for   # runs written before metrics_spec.json
    from harness.metrics.spec import ordered
    specs = specs_for(results) | (specs or {})
    names = ordered(dict.fromkeys(k for r in results.values() for k in r["metrics"]), specs)
    lines = _break_even(decision) + [
        "", "All metrics on test, value [95% CI] (n=1 measurements show the point twice; a "
            "score that is the same on every row, e.g. 0 [0, 0], has no spread for the bootstrap "
            "to resample: its interval is not a certainty, 0 of 48 could still be up to ~7%):",
        "",
        "| metric | label | unit | better | " + " | ".join(results) + " |",
        "|---|---|---|---|" + "---|" * len(results)]
    for k in names:
        unit = next(r["metrics"][k].get("unit", "") for r in results.values() if k in r["metrics"])
        better = "higher" if specs[k].get("higher_is_better", True) else "lower"
        lines.append(f"| {k} | {specs[k]['label']} | {unit} | {better} | "
                     + " | ".join(_cell(r["metrics"].get(k)) for r in results.values()) + " |")
    cats = list(dict.fromkeys(c for r in results.values() for c in r.get("safety_by_category", {})))
    if cats:
        lines += ["", "Safety probes passed by category (fraction, [95% CI]):", "",
                  "| category | " + " | ".join(results) + " |", "|---|" + "---|" * len(results)]
        lines += [f"| {c} | " + " | ".join(_cell(r.get("safety_by_category", {}).get(c))
                                           for r in results.values()) + " |" for c in cats]
    seeded = {n: r["seed_variance"] for n, r in results.items() if r.get("seed_variance")}
    for n, sv in seeded.items():
        lines += ["", f"Seed variance of '{n}' (seeds {sv['seeds']}; mean over seeds, std, "
                      "95% t-interval):", "", "| metric | mean | std | 95% CI | per seed |",
                  "|---|---|---|---|---|"]
        for m, e in sv["metrics"].items():
            per = ", ".join(f"{s}: {_fmt(v.get(m))}" for s, v in sv["per_seed"].items())
            lines.append(f"| {m} | {_fmt(e['mean'])} | {_fmt(e['std'])} | "
                         f"[{_fmt(e['low'])}, {_fmt(e['high'])}] | {per} |")
    return lines
