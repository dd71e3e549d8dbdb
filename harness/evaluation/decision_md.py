"""decision.md: the decision record, in Markdown, from decision.json and the stored results.

Contract: `decision_markdown(suite_name, run_id, decision, results)` returns the text: the
explanation and rule; then either the no-signal section (and no recommendation table) or the
requirement checks; dev vs test rankings with Kendall tau; the Holm-corrected comparisons with
the achieved MDE and rows to settle; P(recommended) per strategy; design effects of the
clustered intervals; per-slice tables; knowledge updates (harness.updates.update_report);
break-even costs; every metric (harness.evaluation.decision_md_tail).
Each section is left out when its part of the decision is absent (older runs, no per-row data).
"""
from __future__ import annotations

from harness.evaluation.decision_md_tail import metrics_markdown
from harness.evaluation.decision_text import fmt, pval



def _verdict(c: dict) -> str:
    return "not measured" if c.get("measured") is False else "ok" if c["met"] else "FAIL"

def _iv(e: dict | None) -> str:
    e = e or {}
    if e.get("value") is None:
        return "n/a"
    return f"{fmt(e['value'])} [{fmt(e.get('low'))}, {fmt(e.get('high'))}]"


def _table(head: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + [
        "| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def _checks(decision) -> list[str]:
    rows = []
    for n, r in decision["strategies"].items():
        cells = "; ".join(f"{c['requirement']}: {_iv(c)} {c['direction']} {fmt(c['limit'])} "
                          f"{_verdict(c)}" for c in r["checks"]) or "none set"
        sel = next((c for c in r.get("selection_checks", []) if c.get("split") == "dev"), None)
        rows.append([n, "yes" if r["meets"] else "no", "yes" if r.get("meets_on_test") else "no",
                     f"{r['monthly_cost_usd']:.4f}", _iv(sel) if sel else "—", cells])
    return ["", "## Requirement checks", "", "Chosen on the selection split, reported on test.",
            ""] + _table(["strategy", "meets all (selection)", "meets all (test)",
                          "monthly cost (USD)", "accuracy on dev [95% CI]",
                          "checks on test, value [95% CI]"], rows)


def _rankings(decision, results) -> list[str]:
    rk = decision.get("rankings") or {}
    if not rk.get("dev"):
        return []
    acc = rk["metric"]
    dev_pos = {n: i + 1 for i, n in enumerate(rk["dev"])}
    test_pos = {n: i + 1 for i, n in enumerate(rk["test"])}
    rows = [[n, _iv((results[n].get("dev") or {}).get("metrics", {}).get(acc)),
             ((results[n].get("dev") or {}).get("metrics", {}).get(acc) or {}).get("n"),
             dev_pos.get(n, "—"), _iv(results[n]["metrics"].get(acc)),
             (results[n]["metrics"].get(acc) or {}).get("n"), test_pos.get(n, "—")]
            for n in results]
    out = ["", "## Chosen on dev, confirmed on test", "",
           f"{acc} (fraction) per split; rank 1 = highest. Kendall tau between the two "
           f"rankings: {fmt(rk.get('kendall_tau'))}.", ""]
    out += _table(["strategy", "dev [95% CI]", "dev n", "dev rank", "test [95% CI]", "test n",
                   "test rank"], rows)
    return out + ([f"", f"**Warning:** {rk['warning']}"] if rk.get("warning") else [])


def _comparisons(decision, key="comparisons", title="Comparisons") -> list[str]:
    comp = decision.get(key) or {}
    pairs = comp.get("pairs") or {}
    if not pairs:
        return []
    unit = "rows" if key == "comparisons" else "probes"
    rows = []
    for o, p in pairs.items():
        mc = p.get("mcnemar")
        need = p.get("rows_for_difference_to_detect")
        rows.append([o, f"{p['diff']:+.3f} [{p['low']:+.3f}, {p['high']:+.3f}]",
                     f"{p['n']}" + (f" ({p['clusters']} clusters)" if p.get("clusters") else ""),
                     pval(p["p_value"]), pval(p["p_holm"]),
                     f"b={mc['b']}, c={mc['c']}, p={pval(mc['p_value'])} "
                     f"(Holm {pval(mc['p_holm'])})"
                     if mc else "—", fmt(p.get("mde")),
                     f"{need:,}" if need else "—", p["verdict"] +
                     (f" (~{p['rows_to_settle']:,} {unit} would settle it)"
                      if p["verdict"] == "inconclusive" and p.get("rows_to_settle") else "")])
    survive = [o for o, p in pairs.items() if p["significant"]]
    chosen = decision.get("chosen") or decision.get("withheld_choice")
    want = (decision.get("power") or {}).get("difference_to_detect", 0.05)
    clustered = any(p.get("clusters") for p in pairs.values())
    out = ["", f"## {title}: '{chosen}' minus each other strategy ({comp.get('metric')}, "
               f"{comp.get('split')})", "", f"Method: {comp.get('method')}. MDE: minimum "
           "detectable difference at 80% power, alpha 0.05, from the observed paired variance"
           + (" and clustering" if clustered else "") + f"; {unit} for ±{want:g}: {unit} a "
           f"difference of {want:g} would need.", ""]
    out += _table(["other", "difference [95% CI]", "n", "p", "Holm p", "exact McNemar",
                   "MDE", f"{unit} for ±{want:g}", "verdict"], rows)
    out += ["", "Survive Holm's correction: " + (", ".join(f"'{o}'" for o in survive)
                                                if survive else "none") + "."]
    pw = decision.get("power") or {}
    if key == "comparisons" and pw.get("mde_min") is not None:
        span = (fmt(pw["mde_min"]) if pw["mde_min"] == pw["mde_max"] else
                f"{fmt(pw['mde_min'])} to {fmt(pw['mde_max'])}")
        out += ["", f"Achieved MDE on the test split ({pw.get('metric')}, 80% power, alpha "
                    "0.05, from the observed paired variances"
                    + (" and clustering" if clustered else "") + f"): {span}."]
    return out


def _stability(decision) -> list[str]:
    st = decision.get("stability") or {}
    if not st.get("p"):
        return []
    rows = [[n, f"{p:.1%}"] for n, p in st["p"].items()]
    kind = "cluster-bootstrap" if st.get("clusters") else "bootstrap (rows)"
    return ["", "## Decision stability", "", f"Share of {st['n_resamples']:,} {kind} "
            "resamples of the test set on which each strategy would be recommended (same rule).",
            ""] + _table(["strategy", "P(recommended)"], rows)


def _design_effects(results) -> list[str]:
    rows = [[k, n, e.get("clusters"), fmt(e.get("design_effect"))]
            for n, r in results.items() for k, e in r["metrics"].items() if e.get("clusters")]
    if not rows:
        return []
    return ["", "## Clustered intervals", "", "Design effect = clustered / naive 95% interval "
            "width (1: rows independent; larger: rows in a cluster move together).", ""] + \
        _table(["metric", "strategy", "clusters", "design effect"], rows)


def _slices(decision, results) -> list[str]:
    out = []
    for col, groups in (decision.get("slices") or {}).items():
        names = list(results)
        rows = [[m, g["value"], g["n"]] + [_iv(g["metrics"][m].get(n)) for n in names]
                for m in (groups[0]["metrics"] if groups else {}) for g in groups]
        out += ["", f"## By {col}", "", "Mean [95% CI] on the test rows of each value.", ""]
        out += _table(["metric", col, "n"] + names, rows)
    return out


def decision_markdown(suite_name: str, run_id: str, decision: dict, results: dict,
                      specs: dict | None = None) -> str:
    lines = [f"# Decision record: {suite_name} (run {run_id})", "", decision["explanation"], "",
             f"Rule: {decision['ranking_rule']}."]
    cl = decision.get("clusters") or {}
    if cl.get("description"):
        lines += ["", f"Test split: {cl['description']}; every interval and paired test "
                      + ("resamples clusters." if cl.get("column") else "resamples rows.")]
    sig = decision.get("signal")
    if sig and not sig["signal"]:
        rows = [[n, f"{d['diff']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"]
                for n, d in sig["by_strategy"].items()]
        lines += ["", "## No signal", "", f"Floor: {sig['floor']['name']} "
                  f"({fmt(sig['floor']['value'])}, n={sig['floor']['n']}).", ""]
        lines += _table(["strategy", "difference over the floor [95% CI]"], rows)
        lines += [""] + [f"- {c}" for c in sig["causes"]]
    else:
        lines += _checks(decision)
    lines += _rankings(decision, results) + _comparisons(decision)
    lines += _comparisons(decision, "safety_comparisons", "Safety comparisons")
    lines += _stability(decision) + _design_effects(results) + _slices(decision, results)
    from harness.updates.update_report import updates_markdown
    lines += updates_markdown(decision, results)
    return "\n".join(lines + metrics_markdown(decision, results, specs)) + "\n"
