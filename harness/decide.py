"""The recommendation: the cheapest strategy that meets the suite's requirements.

Contract: `recommend(requirements, results)` takes {strategy: metrics-dict} and returns a
JSON-able decision: per strategy, each requirement's check (value, interval, limit, met, and
whether the whole 95% interval is on the right side), the monthly cost used to rank, the chosen
strategy (or None) and a one-paragraph explanation. Cost ranks by
training $ + serving $ per 1,000 queries x expected monthly queries / 1,000.
"""
from __future__ import annotations


def _fmt(v, digits=3):
    return "n/a" if v is None else f"{v:.{digits}g}"


def _checks(req, m: dict) -> list[dict]:
    out = []

    def add(name, metric, limit, at_least, unit):
        if limit is None:
            return
        e = m.get(metric) or {}
        v = e.get("value")
        met = v is not None and (v >= limit if at_least else v <= limit)
        bound = e.get("low") if at_least else e.get("high")
        sure = bound is not None and (bound >= limit if at_least else bound <= limit)
        out.append({"requirement": name, "metric": metric, "value": v, "low": e.get("low"),
                    "high": e.get("high"), "limit": limit, "direction": ">=" if at_least else "<=",
                    "unit": unit, "met": met, "met_with_interval": met and sure}
                   | _not_measured(e))

    add("min_accuracy", req.accuracy_metric, req.min_accuracy, True, "fraction")
    add("min_safety", "safety_pass", req.min_safety, True, "fraction of probes passed")
    add("max_p95_latency_ms", "p95_latency_ms", req.max_p95_latency_ms, False, "ms")
    add("max_usd_per_1k_queries", "usd_per_1k_queries", req.max_usd_per_1k_queries, False,
        "USD / 1,000 queries")
    return out


def _not_measured(e: dict) -> dict:
    """A requirement on a metric without data (no safety probes, no key facts) is neither met
    nor failed: `met: None`, `measured: False`; it is left out of `meets` and named as such."""
    if e.get("value") is not None:
        return {}
    return {"met": None, "met_with_interval": None, "measured": False}


def _verdict(c: dict) -> str:
    return "not measured" if c.get("measured") is False else "ok" if c["met"] else "FAIL"


def monthly_cost(m: dict, queries: int) -> float:
    serve = (m.get("usd_per_1k_queries") or {}).get("value") or 0.0
    train = (m.get("train_usd") or {}).get("value") or 0.0
    return train + serve * queries / 1000


def _comparisons(chosen, per_example, seed):
    from harness.stats import paired_bootstrap
    out = {}
    for other, scores in per_example.items():
        if other != chosen:
            c = paired_bootstrap(per_example[chosen], scores, seed)
            if c is not None:
                out[other] = c.to_dict()
    return out


def recommend(req, results: dict[str, dict], per_example: dict[str, dict] | None = None,
              seed: int = 0) -> dict:
    """`per_example`: {strategy: {example id: accuracy score}} for paired tests (optional)."""
    rows = {}
    for name, res in results.items():
        m = res["metrics"]
        checks = _checks(req, m)
        rows[name] = {"checks": checks, "meets": all(c["met"] for c in checks
                                                     if c.get("measured") is not False),
                      "monthly_cost_usd": monthly_cost(m, req.expected_queries_per_month)}
    ok = sorted((n for n in rows if rows[n]["meets"]),
                key=lambda n: (rows[n]["monthly_cost_usd"],
                               -((results[n]["metrics"].get(req.accuracy_metric) or {}).get("value") or 0)))
    chosen = ok[0] if ok else None
    comps = _comparisons(chosen, per_example, seed) if chosen and per_example else {}
    runner_up = next((n for n in ok[1:]), None) or max(
        (n for n in comps), default=None,
        key=lambda n: (results[n]["metrics"].get(req.accuracy_metric) or {}).get("value") or 0)
    volumes = [1_000, 10_000, 100_000, 1_000_000, 10_000_000]
    break_even = {n: {str(v): monthly_cost(results[n]["metrics"], v) for v in volumes} for n in results}
    return {"chosen": chosen, "runner_up": runner_up, "strategies": rows,
            "break_even_usd_per_month": break_even,
            "paired_tests": {"metric": req.accuracy_metric, "chosen_minus_other": comps,
                             "method": "paired bootstrap over test examples, 5,000 resamples, "
                                       "two-sided, alpha 0.05"},
            "ranking_rule": "cheapest monthly cost (training + serving at "
                            f"{req.expected_queries_per_month:,} queries/month) among strategies "
                            "meeting every requirement",
            "explanation": explain(req, results, rows, chosen, ok, runner_up, comps)}


def explain(req, results, rows, chosen, ok, runner_up=None, comps=None) -> str:
    acc = req.accuracy_metric
    if chosen is None:
        fails = {}
        for n, r in rows.items():
            for c in r["checks"]:
                if c["met"] is False:
                    fails.setdefault(c["requirement"], []).append(n)
        parts = [f"{k} (failed by {', '.join(v)})" for k, v in fails.items()]
        return ("No strategy meets every requirement. Unmet: " + "; ".join(parts) +
                ". Relax a requirement or improve a strategy, then re-run."
                + _unmeasured_note(rows))
    m = results[chosen]["metrics"]
    a = m.get(acc) or {}
    text = (f"Recommended: '{chosen}', the cheapest of {len(ok)} strategies meeting every "
            f"requirement, at ${rows[chosen]['monthly_cost_usd']:.2f}/month for "
            f"{req.expected_queries_per_month:,} queries; {acc} {_fmt(a.get('value'))} "
            f"(95% CI {_fmt(a.get('low'))}-{_fmt(a.get('high'))}).")
    unsure = [c["requirement"] for c in rows[chosen]["checks"] if c["met_with_interval"] is False]
    if unsure:
        text += (" Caution: its 95% interval crosses the limit of " + ", ".join(unsure) +
                 ", so meeting it is not certain.")
    c = (comps or {}).get(runner_up)
    if c:
        sig = "statistically significant" if c["significant"] else "NOT statistically significant"
        text += (f" Against the runner-up '{runner_up}', {acc} differs by {c['diff']:+.3f} "
                 f"(95% CI {c['low']:+.3f} to {c['high']:+.3f}, paired bootstrap p={c['p_value']:.3f}):"
                 f" {sig}.")
    rejected = [n for n in rows if not rows[n]["meets"]]
    for n in rejected:
        why = ", ".join(f"{c['requirement']} ({c['metric']} {_fmt(c['value'])} vs "
                        f"{c['direction']} {_fmt(c['limit'])})" for c in rows[n]["checks"]
                        if c["met"] is False)
        text += f" Rejected '{n}': {why}."
    return text + _unmeasured_note(rows)


def _unmeasured_note(rows: dict) -> str:
    names = sorted({f"{c['requirement']} ({c['metric']})" for r in rows.values()
                    for c in r["checks"] if c.get("measured") is False})
    return (" Not measured (no data for the metric, so neither met nor failed): "
            + ", ".join(names) + "." if names else "")


def decision_markdown(suite_name: str, run_id: str, decision: dict, results: dict) -> str:
    lines = [f"# Decision record: {suite_name} (run {run_id})", "", decision["explanation"], "",
             f"Rule: {decision['ranking_rule']}.", "",
             "| strategy | meets all | monthly cost (USD) | requirement checks |", "|---|---|---|---|"]
    for n, r in decision["strategies"].items():
        checks = "; ".join(f"{c['requirement']}: {_fmt(c['value'])} [{_fmt(c['low'])}, "
                           f"{_fmt(c['high'])}] {c['direction']} {_fmt(c['limit'])} "
                           f"{_verdict(c)}" for c in r["checks"]) or "none set"
        lines.append(f"| {n} | {'yes' if r['meets'] else 'no'} | {r['monthly_cost_usd']:.4f} | {checks} |")
    be = decision.get("break_even_usd_per_month") or {}
    if be:
        vols = list(next(iter(be.values())))
        lines += ["", "Total cost per month (USD: training once + serving) by monthly query volume:", "",
                  "| strategy | " + " | ".join(f"{int(v):,}" for v in vols) + " |",
                  "|---|" + "---|" * len(vols)]
        lines += [f"| {n} | " + " | ".join(f"{c:.2f}" for c in row.values()) + " |"
                  for n, row in be.items()]
    return "\n".join(lines + metrics_markdown(results)) + "\n"


def n_note(entry: dict | None) -> str:
    """" (n=14 of 72)" for a metric measured on fewer rows than the test split has."""
    if entry and entry.get("rows") is not None and entry.get("n") != entry["rows"]:
        return f" (n={entry.get('n', 0)} of {entry['rows']})"
    return ""


def _cell(e: dict | None) -> str:
    if not e or e.get("value") is None:
        return "n/a" + (f" ({e['missing']} missing)" if e and e.get("missing") else "") + n_note(e)
    s = f"{_fmt(e['value'])} [{_fmt(e.get('low'))}, {_fmt(e.get('high'))}]"
    missing = f" ({e['missing']} of {e.get('judged')} missing)" if e.get("missing") else ""
    return s + missing + n_note(e)


def metrics_markdown(results: dict) -> list[str]:
    """Every stored metric of every strategy, value [95% CI] and unit; then seed variance."""
    names = list(dict.fromkeys(k for r in results.values() for k in r["metrics"]))
    lines = ["", "All metrics, value [95% CI] (n=1 measurements show the point twice):", "",
             "| metric | unit | " + " | ".join(results) + " |", "|---|---|" + "---|" * len(results)]
    for k in names:
        unit = next(r["metrics"][k].get("unit", "") for r in results.values() if k in r["metrics"])
        lines.append(f"| {k} | {unit} | " + " | ".join(_cell(r["metrics"].get(k))
                                                     for r in results.values()) + " |")
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
