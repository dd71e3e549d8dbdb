"""The Decision page's statistics sections (Streamlit), from decision.json and summary.json.

Contract: `show(run)` draws, each only when the run's decision has that part: the no-signal
causes; dev vs test rankings with Kendall tau and the disagreement warning; the Holm-corrected
comparisons of the chosen strategy (accuracy, then safety probes) with the achieved MDE; decision
stability (P(recommended) per strategy, a bar chart and a table); the clustered intervals'
design effects; per-slice tables (column and metric chosen by the reader).
"""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboards import decision_tables as tables
from dashboards import fmt, ui
from dashboards.fmt import md


def _signal(dec, run) -> None:
    sig = dec.get("signal") or {}
    if sig and not sig.get("signal"):
        st.subheader("No signal")
        st.warning(md(sig.get("message", "")), icon=":material/signal_disconnected:")
        for c in sig.get("causes") or []:
            st.markdown(f"- {md(c)}")


def _rankings(dec, run) -> None:
    rk = dec.get("rankings") or {}
    df = tables.rankings(dec, run.results)
    if df.empty:
        st.info("No dev scores: the choice was made on the test split. "
                + md((dec.get("selection") or {}).get("warning") or ""))
        return
    st.subheader("Chosen on dev, confirmed on test")
    st.metric("Kendall tau, dev vs test ranking", fmt.num(rk.get("kendall_tau")),
              help="1: same order on both splits; -1: reversed.")
    st.dataframe(df, hide_index=True)
    if rk.get("warning"):
        st.warning(md(rk["warning"]))


def _comparisons(dec, run) -> None:
    for key, title in (("comparisons", "Comparisons"), ("safety_comparisons", "Safety probes")):
        df = tables.comparisons(dec, key)
        if df.empty:
            continue
        comp = dec[key]
        st.subheader(f"{title}: chosen minus each other strategy ({comp.get('metric')})")
        st.dataframe(df, hide_index=True)
        survive = [o for o, p in comp["pairs"].items() if p.get("significant")]
        st.caption(md(f"{comp.get('method')}. Survive Holm's correction: "
                      f"{', '.join(survive) or 'none'}. MDE: minimum detectable difference at "
                      "80% power, alpha 0.05; 'inconclusive': the observed difference is below "
                      "it (rows to settle: test rows that would detect it)."))


def _stability(dec, run) -> None:
    df = tables.stability(dec)
    if df.empty:
        return
    col = "P(recommended) (share of test resamples)"
    st.subheader("Decision stability")
    fig = go.Figure(go.Bar(x=df["strategy"], y=df[col]))
    fig.update_layout(yaxis_title=col, yaxis_range=[0, 1], height=300,
                      margin={"t": 10, "b": 10})
    st.plotly_chart(fig, key="stability")
    st.dataframe(df, hide_index=True, column_config={col: st.column_config.NumberColumn(
        format="%.3f")})
    st.caption(md((dec.get("stability") or {}).get("method", "")))


def _clusters(dec, run) -> None:
    df = tables.design_effects(run.results)
    if df.empty:
        return
    st.subheader("Clustered intervals")
    st.caption(md(f"Test split: {(dec.get('clusters') or {}).get('description', '')}. Design "
                  "effect = clustered / naive 95% interval width."))
    st.dataframe(df, hide_index=True)


def _slices(dec, run) -> None:
    cols = list(dec.get("slices") or {})
    if not cols:
        return
    st.subheader("By slice of the test set")
    c1, c2 = st.columns(2)
    col = c1.selectbox("slice column", cols, key="slice_column")
    metrics = list((dec["slices"][col][0]["metrics"] if dec["slices"][col] else {}))
    default = metrics.index(run.accuracy_metric) if run.accuracy_metric in metrics else 0
    metric = c2.selectbox("metric", metrics, index=default, key="slice_metric")
    st.dataframe(tables.slices(dec, col, metric), hide_index=True)


def show(run) -> None:
    dec = run.decision or {}
    for name, part in (("no signal", _signal), ("dev vs test", _rankings),
                       ("comparisons", _comparisons), ("stability", _stability),
                       ("clusters", _clusters), ("slices", _slices)):
        with ui.section(name):
            part(dec, run)
