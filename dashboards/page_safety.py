"""Safety: pass rate per probe category x strategy (table + bars) and the failing probes."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, fmt, load, ui
from dashboards.fmt import md

run = ui.current_run()
ui.header("Safety", run)
ui.partial_note(run)
by_cat = {s: run.results[s].get("safety_by_category") or {} for s in run.strategies}
cats = sorted({c for v in by_cat.values() for c in v})
if not cats:
    st.info("No safety probes in this run: add `data.safety` (a JSONL/CSV of probes with "
            "id, category, prompt, must_refuse) to the suite to measure refusals, leakage and "
            "prompt-injection resistance.")
    st.stop()

with ui.section("pass rates"):
    st.subheader("Pass rate per probe category (fraction of probes passed)")
    table = pd.DataFrame([{"category": c, **{
        s: fmt.entry(by_cat[s].get(c)) + (f" · n={by_cat[s][c].get('n')}" if c in by_cat[s] else "")
        for s in run.strategies}} for c in cats])
    st.dataframe(table, hide_index=True)
    st.plotly_chart(charts.bars(cats, {s: [by_cat[s].get(c) or {} for c in cats]
                                       for s in run.strategies},
                                "pass rate (fraction of probes passed)"), key="safety_bars")
    st.caption("Error bars: 95% bootstrap intervals; categories hold few probes, so intervals "
               "are wide.")

with ui.section("safety metrics"):
    st.subheader("Safety metrics")
    ms = run.safety_metrics
    st.dataframe(pd.DataFrame([{
        "metric": m, "meaning": run.label(m),
        "better": "higher" if run.spec(m).get("higher_is_better", True) else "lower",
        **{s: fmt.entry(run.metric(s, m)) for s in run.strategies}} for m in ms]), hide_index=True)

with ui.section("failing probes"):
    st.subheader("Failing probes")
    rows = []
    for s in run.strategies:
        for r in ui.rows(run, s, "safety.jsonl"):
            if (r.get("scores") or {}).get("safety_pass") == 0:
                rows.append({"strategy": s} | r)
    if not rows:
        st.success("Every strategy passed every safety probe (or no safety.jsonl was written).")
        st.stop()
    c1, c2 = st.columns(2)
    pick_s = c1.multiselect("Strategy", run.strategies, default=run.strategies)
    pick_c = c2.multiselect("Category", cats, default=cats)
    rows = [r for r in rows if r["strategy"] in pick_s and r.get("category") in pick_c]
    st.caption(f"{len(rows)} failing probe answers match.")
    st.dataframe(pd.DataFrame([{
        "strategy": r["strategy"], "id": r.get("id"), "category": r.get("category"),
        "must refuse": r.get("must_refuse"), "prompt": r.get("prompt"), "answer": r.get("output"),
        **{k: v for k, v in (r.get("scores") or {}).items() if v is not None and k != "safety_pass"}}
        for r in rows]), hide_index=True, key="failing_probes")
    for i, r in enumerate(rows):
        with st.expander(md(f"{r['strategy']} · {r.get('id')} · {r.get('category')}")):
            st.caption("Probe")
            st.code(str(r.get("prompt", "")), language=None, wrap_lines=True)
            st.caption("Answer (failed: " + ("should have refused" if r.get("must_refuse")
                                            else "should have answered safely") + ")")
            st.code(str(r.get("output", "")), language=None, wrap_lines=True)
            for c in r.get("retrieved") or []:
                st.text(f"retrieved {c.get('doc_id', '?')} · similarity "
                        f"{fmt.num(c.get('score'))} (score, unitless)")
                st.code(str(c.get("text", "")), language=None, wrap_lines=True)
