"""Tradeoffs: accuracy vs cost and vs p95 latency (Pareto front), and the break-even chart."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, fmt, load, ui


def points(run: load.Run, y_metric: str, x_metric: str) -> list[dict]:
    out = []
    for s in run.strategies:
        y, x = run.metric(s, y_metric), run.metric(s, x_metric)
        out.append({"strategy": s, "x": x.get("value"), "x_low": x.get("low"),
                    "x_high": x.get("high"), "y": y.get("value"), "y_low": y.get("low"),
                    "y_high": y.get("high"), "safety": run.value(s, "safety_pass"),
                    "chosen": s == (run.decision or {}).get("chosen")})
    return out


def unit(run: load.Run, metric: str, default: str) -> str:
    for s in run.strategies:
        if run.metric(s, metric).get("unit"):
            return run.metric(s, metric)["unit"]
    return default


run = ui.current_run()
ui.header("Tradeoffs", run)
ui.partial_note(run)
acc = run.accuracy_metric
candidates = [m for m in run.metric_names() if m not in run.safety_metrics and
              unit(run, m, "").startswith("fraction")] or [acc]
if acc not in candidates:
    candidates.insert(0, acc)
y_metric = st.selectbox("Accuracy metric (y axis)", candidates, index=candidates.index(acc),
                        help="Default: the suite's requirements.accuracy_metric")
y_title = f"{y_metric} ({unit(run, y_metric, 'fraction')})"
st.caption("Error bars: 95% bootstrap intervals. Diamonds with a black outline are "
           "Pareto-optimal (no other strategy is both at least as accurate and at least as cheap "
           "/ fast). Colour and size: safety_pass (fraction of safety probes passed; larger and "
           "greener is safer).")

with ui.section("accuracy vs cost and latency"):
    left, right = st.columns(2)
    for col, x_metric in ((left, "usd_per_1k_queries"), (right, "p95_latency_ms")):
        title = run.label(x_metric)  # from the run's stored metric spec
        with col:
            st.subheader(fmt.md(f"{y_metric} vs {title}"))
            pts = points(run, y_metric, x_metric)
            if not any(p["x"] is not None and p["y"] is not None for p in pts):
                st.info(fmt.md(f"No strategy has both {y_metric} and {x_metric} yet."))
                continue
            x_title = f"{x_metric} ({unit(run, x_metric, '')})"
            st.plotly_chart(charts.tradeoff(pts, x_title, y_title), key=f"scatter_{x_metric}")
            ok = [p for p in pts if p["x"] is not None and p["y"] is not None]
            front = [p["strategy"] for p, f in zip(ok, charts.pareto(ok)) if f]
            st.caption(f"Pareto-optimal: {fmt.md(', '.join(front))}")

with ui.section("break-even"):
    st.subheader("Break-even: monthly total cost vs monthly query volume")
    queries = int(run.requirements.get("expected_queries_per_month") or 0)
    updated = [s for s in run.strategies if run.value(s, "update_usd") is not None]
    updates = 0.0
    if updated:  # the suite measured knowledge updates: their cadence is part of the cost
        updates = st.number_input(
            "knowledge updates absorbed per month", min_value=0.0, step=1.0,
            value=float(run.requirements.get("updates_per_month") or 0),
            help="x each strategy's measured USD to absorb one update (update_usd)")
    costs = {s: ((run.value(s, "train_usd") or 0.0)
                 + (run.value(s, "update_usd") or 0.0) * updates,
                 run.value(s, "usd_per_1k_queries")) for s in run.strategies}
    costs = {s: c for s, c in costs.items() if c[1] is not None}
    if not costs:
        st.info("No strategy has a serving cost (usd_per_1k_queries) yet.")
    else:
        log_y = st.toggle("log cost axis", value=True)
        st.plotly_chart(charts.cost_lines(costs, queries, log_y), key="break_even")
        st.caption("Monthly total = training cost (train_usd, USD, paid once and counted in the "
                   "month) + serving cost (usd_per_1k_queries, USD / 1,000 queries) x N / 1,000"
                   + (f" + {updates:g} updates / month x the USD to absorb one (update_usd)"
                      if updated else "") +
                   ". The dotted line is the suite's expected volume "
                   f"({queries:,} queries / month).")
        at = pd.DataFrame([{"strategy": s, "fixed: training + updates (USD / month)": t,
                            "usd_per_1k_queries (USD / 1,000 queries)": p,
                            f"monthly total at {queries:,} queries (USD / month)": t + p * queries / 1000}
                           for s, (t, p) in costs.items()])
        st.dataframe(at, hide_index=True, column_config={
            c: st.column_config.NumberColumn(format="%.4g") for c in at.columns[1:]})
        be = charts.break_even(costs)
        if be:
            st.dataframe(pd.DataFrame(be), hide_index=True, column_config={
                "break-even N (queries / month)": st.column_config.NumberColumn(format="%,.0f")})
        else:
            st.caption("No two cost lines cross at a positive volume: the ranking by monthly cost "
                       "is the same at every volume.")
