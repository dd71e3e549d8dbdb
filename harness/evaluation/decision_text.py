"""The decision in words: one paragraph for the terminal, decision.md and the dashboard.

Contract: `explain(req, results, decision)` reads only the decision dict (harness.evaluation.decide /
harness.evaluation.analysis) and the stored results, and says, in order: no signal (and nothing else
about a choice) or no strategy meeting the requirements, or the recommendation with its test
estimate (clustered 95% interval, design effect); cautions; the Holm-corrected comparisons
with the achieved MDE; the decision stability; dev/test disagreement; rejections. Stdlib only.
"""
from __future__ import annotations


def fmt(v, digits=3):
    return "n/a" if v is None else f"{v:.{digits}g}"


def pval(p: float) -> str:
    """A p-value as read: three decimals, or scientific notation below 0.001."""
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def estimate_words(e: dict | None) -> str:
    """'0.412 (95% CI 0.301-0.52, n=48 rows in 9 clusters, design effect 1.6)'."""
    e = e or {}
    s = f"{fmt(e.get('value'))} (95% CI {fmt(e.get('low'))}-{fmt(e.get('high'))}, n={e.get('n')}"
    if e.get("clusters"):
        s += f" rows in {e['clusters']} clusters"
        if e.get("design_effect"):
            s += f", design effect {e['design_effect']:.2f}"
    return s + ")"


def comparison_words(other: str, p: dict) -> str:
    s = (f"'{other}' {p['diff']:+.3f} (95% CI {p['low']:+.3f} to {p['high']:+.3f}, "
         f"Holm p={pval(p['p_holm'])}")
    if p.get("mcnemar"):
        s += f", exact McNemar p={pval(p['mcnemar']['p_value'])}"
    s += ")"
    if p["verdict"] == "differs":
        return s + ": a real difference"
    s += ": no detectable difference"
    if p["verdict"] == "inconclusive":
        mde = "none is detectable" if p.get("mde") is None else f"MDE {p['mde']:.3f}"
        rows = p.get("rows_to_settle")
        s += (f"; inconclusive ({mde}; about {rows:,} test rows would settle a difference this "
              f"size)" if rows else f"; inconclusive ({mde})")
    return s


def _rejections(rows) -> str:
    out = ""
    for n, r in rows.items():
        if r["meets"]:
            continue
        why = ", ".join(f"{c['requirement']} ({c['metric']} {fmt(c['value'])}"
                        f"{' on ' + c['split'] if c.get('split') else ''} vs {c['direction']} "
                        f"{fmt(c['limit'])})" for c in r["selection_checks"] if c["met"] is False)
        out += f" Rejected '{n}': {why}."
    return out


def explain(req, results, decision) -> str:
    acc, rows, chosen = req.accuracy_metric, decision["strategies"], decision["chosen"]
    sig = decision.get("signal")
    if sig and not sig["signal"]:
        return sig["message"]
    sel = decision.get("selection") or {}
    split = sel.get("split", "test")
    if chosen is None:
        fails: dict = {}
        for n, r in rows.items():
            for c in r["selection_checks"]:
                if c["met"] is False:
                    fails.setdefault(c["requirement"], []).append(n)
        parts = [f"{k} (failed by {', '.join(v)})" for k, v in fails.items()]
        return (f"No strategy meets every requirement (accuracy judged on the {split} split). "
                "Unmet: " + "; ".join(parts) + ". Relax a requirement or improve a strategy, "
                "then re-run." + unmeasured_note(rows))
    ok = [n for n in rows if rows[n]["meets"]]
    text = (f"Recommended: '{chosen}', the cheapest of {len(ok)} "
            f"strateg{'y' if len(ok) == 1 else 'ies'} meeting every "
            f"requirement on the {split} split"
            + (f" ({sel.get('dev_rows')} rows)" if split == "dev" else "") +
            f", at ${rows[chosen]['monthly_cost_usd']:.2f}/month for "
            f"{req.expected_queries_per_month:,} queries"
            + (f" and {req.updates_per_month:g} knowledge updates"
               if getattr(req, "updates_per_month", 0) else "") +
            f". Its test estimate: {acc} "
            f"{estimate_words(results[chosen]['metrics'].get(acc))}.")
    unsure = [c["requirement"] for c in rows[chosen]["checks"] if c["met_with_interval"] is False]
    if not rows[chosen]["meets_on_test"]:
        text += " Caution: on the test split it fails " + ", ".join(
            c["requirement"] for c in rows[chosen]["checks"] if c["met"] is False) + "."
    elif unsure:
        text += (" Caution: its 95% interval crosses the limit of " + ", ".join(unsure) +
                 ", so meeting it is not certain.")
    if sel.get("warning"):
        text += " Warning: " + sel["warning"] + "."
    pairs = (decision.get("comparisons") or {}).get("pairs") or {}
    if pairs:
        kind = "cluster bootstrap" if any(p.get("clusters") for p in pairs.values()) else \
            "bootstrap"
        text += (f" Against every other strategy ({acc}, paired {kind}, Holm over "
                 f"{len(pairs)}): " + "; ".join(comparison_words(o, p) for o, p in pairs.items())
                 + ".")
    st = (decision.get("stability") or {}).get("p")
    if st:
        others = ", ".join(f"'{n}' {p:.0%}" if n != "none" else f"none {p:.0%}"
                           for n, p in sorted(st.items(), key=lambda x: -x[1])
                           if n != chosen and p > 0)
        text += (f" Decision stability: '{chosen}' is the recommendation on {st.get(chosen, 0):.0%}"
                 f" of resampled test sets" + (f" ({others})" if others else "") + ".")
    warn = (decision.get("rankings") or {}).get("warning")
    if warn:
        text += " Warning: " + warn
    return text + _rejections(rows) + unmeasured_note(rows)


def unmeasured_note(rows: dict) -> str:
    """Requirements whose metric had no data (e.g. min_safety without probes), named once."""
    names = sorted({f"{c['requirement']} ({c['metric']})" for r in rows.values()
                    for c in r["checks"] if c.get("measured") is False})
    return (" Not measured (no data for the metric, so neither met nor failed): "
            + ", ".join(names) + "." if names else "")
