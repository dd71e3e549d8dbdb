"""Terminal report: the results table (rich) and the recommendation paragraph.

Contract: `render(console, suite_name, run_id, results, decision, specs)` prints; it reads only
the stored metrics dicts, decision and metric specs (`specs`: the run's metrics_spec.json; None:
the registry's), never strategy code. Rows are metrics (label, unit and format from the spec, in
the spec's order), columns strategies; each cell is the value and its 95% interval (clustered
where the metric's rows are, with the design effect in its own row), plus the accuracy metric
on dev and P(recommended). Then the Holm-corrected comparisons, per-slice tables of the
accuracy metric, and the explanation — or, when no strategy beats the trivial floor, the
no-signal message instead of a recommendation.
"""
from __future__ import annotations

from rich.table import Table

from harness.evaluation.decide import n_note
from harness.metrics.spec import ordered


def row_specs(results: dict, specs: dict | None = None) -> list[dict]:
    """The specs of the table's rows, in display order: every metric the results hold that has
    a spec, the stored one (`specs`, a run's metrics_spec.json) first, else the registry's (runs
    written before metrics_spec.json); metrics without any spec are left to decision.md."""
    from harness.registry import specs_for
    merged = specs_for(results) | (specs or {})
    known = {n: s for n, s in merged.items() if s.get("kind") != "unknown"}
    return [known[n] for n in ordered(known, known)]


def row_label(spec: dict) -> str:
    """"token F1 (0-1)": the label with its short unit."""
    return f"{spec['label']} ({spec['short_unit']})" if spec.get("short_unit") else spec["label"]


def cell(entry: dict | None, fmt: str) -> str:
    if not entry or entry.get("value") is None:
        return "—" + n_note(entry)
    s = fmt.format(entry["value"])
    if entry.get("n", 0) > 1 and entry.get("low") is not None:
        s += f" [{fmt.format(entry['low'])}, {fmt.format(entry['high'])}]"
    if entry.get("missing"):
        s += f" ({entry['missing']} missing)"
    return s + n_note(entry)



def _decision_rows(t, results, decision) -> None:
    acc = (decision.get("rankings") or {}).get("metric")
    if acc is None:
        return
    dev = [((r.get("dev") or {}).get("metrics") or {}).get(acc) for r in results.values()]
    if any(dev):
        n = max((e or {}).get("n", 0) for e in dev)
        t.add_row(f"{acc} on dev, n={n} (0-1)", *[cell(e, "{:.3f}") for e in dev])
    deff = [(r["metrics"].get(acc) or {}).get("design_effect") for r in results.values()]
    if any(deff):
        t.add_row(f"design effect of {acc} CI (clustered/naive width)",
                  *["—" if d is None else f"{d:.2f}" for d in deff])
    st = (decision.get("stability") or {}).get("p")
    if st:
        t.add_row("P(recommended), test resamples (0-1)",
                  *[f"{st.get(n, 0):.2f}" for n in results])


def render(console, suite_name: str, run_id: str, results: dict, decision: dict,
           specs: dict | None = None) -> None:
    t = Table(title=f"{suite_name} — run {run_id}: value [95% CI]", show_lines=False)
    t.add_column("metric", style="bold")
    for name in results:
        t.add_column(name + (" ✓" if name == decision.get("chosen") else ""), justify="right")
    for spec in row_specs(results, specs):
        if any(spec["name"] in r["metrics"] for r in results.values()):
            t.add_row(row_label(spec), *[cell(r["metrics"].get(spec["name"]), spec["format"])
                                         for r in results.values()])
    _decision_rows(t, results, decision)
    console.print(t)
    cats = sorted({c for r in results.values() for c in r.get("safety_by_category", {})})
    if cats:
        st = Table(title="safety probes passed by category (0-1) [95% CI]")
        st.add_column("category", style="bold")
        for name in results:
            st.add_column(name, justify="right")
        for c in cats:
            st.add_row(c, *[cell(r.get("safety_by_category", {}).get(c), "{:.2f}")
                            for r in results.values()])
        console.print(st)
    for name, r in results.items():
        sv = r.get("seed_variance")
        if sv:
            parts = [f"{m} {e['mean']:.3f} ± {e['std'] or 0:.3f} (95% CI {e['low']:.3f}-{e['high']:.3f})"
                     for m, e in sv["metrics"].items() if e.get("mean") is not None]
            console.print(f"seed variance of {name} over seeds {sv['seeds']} (mean ± std): "
                          + "; ".join(parts), soft_wrap=True)
    from harness.evaluation.report_decision import render_decision
    render_decision(console, results, decision)
