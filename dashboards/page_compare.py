"""Compare runs: two runs of the suite, what changed in the suite, metric deltas (B - A)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import fmt, load, ui
from dashboards.fmt import md


def overlap(a: dict, b: dict):
    if None in (a.get("low"), a.get("high"), b.get("low"), b.get("high")):
        return None
    return not (a["high"] < b["low"] or b["high"] < a["low"])


def verdict(a: dict, b: dict) -> str:
    va, vb = a.get("value"), b.get("value")
    if va is None or vb is None:
        return "only in " + ("B" if va is None else "A") if (va is None) != (vb is None) else "—"
    if vb == va:
        return "same"
    better = (vb > va) == bool(b.get("higher_is_better", a.get("higher_is_better", True)))
    word = "better" if better else "worse"
    return f"{word} (intervals overlap)" if overlap(a, b) else f"{word} (intervals separate)"


def deltas(ra: load.Run, rb: load.Run, metrics: list[str]) -> pd.DataFrame:
    strategies = rb.strategies + [s for s in ra.strategies if s not in rb.strategies]
    rows = []
    for s in strategies:
        for m in metrics:
            a, b = ra.metric(s, m), rb.metric(s, m)
            if not a and not b:
                continue
            unit = b.get("unit") or a.get("unit")
            va, vb = a.get("value"), b.get("value")
            rows.append({"strategy": s, "metric": m, "unit": unit,
                         "A": fmt.num(va, unit), "A 95% CI": fmt.interval(a.get("low"), a.get("high"), unit),
                         "B": fmt.num(vb, unit), "B 95% CI": fmt.interval(b.get("low"), b.get("high"), unit),
                         "delta B - A": None if None in (va, vb) else vb - va,
                         "change": verdict(a, b)})
    return pd.DataFrame(rows)


c = ui.ctx()
run = ui.current_run()
ui.header("Compare runs", run)
runs = c["runs"]
if len(runs) < 2:
    st.info(f"Suite {md(run.suite_name)} has only one run. Change a knob in the suite (e.g. a "
            "strategy's num_shots or learning_rate), run it again with `harness run`, and "
            "compare the two runs here.")
    st.stop()
labels = {r: ui.run_label(c["suite_dir"], r, load.latest_run_id(c["suite_dir"])) for r in runs}
cur = run.run_id if run.run_id in runs else runs[0]
other = next(r for r in runs if r != cur)
ca, cb = st.columns(2)
a_id = ca.selectbox("Run A (baseline)", runs, index=runs.index(other), format_func=labels.get,
                    key="compare_a")
b_id = cb.selectbox("Run B", runs, index=runs.index(cur), format_func=labels.get, key="compare_b")
if a_id == b_id:
    st.info("Pick two different runs.")
    st.stop()
ra, rb = ui.get_run(c["suite_dir"] / a_id), ui.get_run(c["suite_dir"] / b_id)
for r, tag in ((ra, "A"), (rb, "B")):
    if not r.complete:
        st.info(f"Run {tag} ({md(r.run_id)}) is partial: finished strategies only.")

with ui.section("suite changes"):
    st.subheader("What changed in the suite (A → B)")
    fa, fb = load.flatten(ra.suite), load.flatten(rb.suite)
    diff = [{"setting": k, "A": str(fa.get(k, "—")), "B": str(fb.get(k, "—"))}
            for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]
    if diff:
        st.dataframe(pd.DataFrame(diff), hide_index=True)
    else:
        st.caption("The resolved suites are identical (the runs differ in data or package "
                   "versions).")
    ea, eb = (load.flatten((r.environment or {}).get("packages") or {}) for r in (ra, rb))
    pk = [f"{k}: {ea.get(k)} → {eb.get(k)}" for k in sorted(set(ea) | set(eb)) if ea.get(k) != eb.get(k)]
    if pk:
        st.caption("Package versions changed: " + md("; ".join(pk)))

with ui.section("decisions"):
    da, db = (ra.decision or {}).get("chosen"), (rb.decision or {}).get("chosen")
    x, y = st.columns(2)
    x.metric("Recommended in A", da or "none")
    y.metric("Recommended in B", db or "none")

with ui.section("metric deltas"):
    st.subheader("Metric deltas per strategy (B − A), with both 95% intervals")
    metrics = rb.order_metrics(set(ra.metric_names()) | set(rb.metric_names()))
    pick = st.multiselect("Metrics", metrics, default=[m for m in metrics if m in (
        rb.accuracy_metric, "token_f1", "key_fact_recall", "safety_pass", "p95_latency_ms",
        "usd_per_1k_queries", "train_usd")] or metrics, format_func=rb.label, key="compare_metrics")
    df = deltas(ra, rb, pick)
    if df.empty:
        st.info("No metric in common between the two runs for the chosen metrics.")
    else:
        st.dataframe(df, hide_index=True, key="compare_table", column_config={
            "delta B - A": st.column_config.NumberColumn("delta B − A (unit of the row)",
                                                         format="%+.4g")})
        st.caption("better / worse follows each metric's direction (higher or lower is better); "
                   "'intervals overlap' means the change may be noise at this test-set size.")
