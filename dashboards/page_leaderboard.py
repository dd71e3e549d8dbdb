"""Leaderboard: every strategy x every metric, value and 95% interval with its unit, sortable."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import fmt, load, ui


def units(run: load.Run) -> dict[str, str]:
    out = {}
    for m in run.metric_names():
        for s in run.strategies:
            if run.metric(s, m).get("unit"):
                out[m] = run.metric(s, m)["unit"]
                break
    return out


def wide(run: load.Run, metrics: list[str], unit_of: dict) -> tuple[pd.DataFrame, dict]:
    dec = (run.decision or {}).get("strategies") or {}
    rows, config = [], {}
    for s in run.strategies:
        row = {"strategy": s, "type": run.results[s].get("type", "?"),
               "recommended": s == (run.decision or {}).get("chosen"),
               "meets requirements": (dec.get(s) or {}).get("meets")}
        for m in metrics:
            e = run.metric(s, m)
            col = f"{run.label(m)} [{unit_of.get(m, 'no unit')}]"
            row[col] = e.get("value")
            fewer = e.get("rows") is not None and e.get("n") != e["rows"]  # than the test split
            row[f"{run.label(m)} 95% CI"] = fmt.interval(e.get("low"), e.get("high"), e.get(
                "unit")) + (f" (n={e.get('n')} of {e['rows']})" if fewer else "")
            config[col] = st.column_config.NumberColumn(
                format=fmt.printf(unit_of.get(m)),
                help=f"{m}: {'higher' if e.get('higher_is_better', True) else 'lower'} is better; "
                     f"n = {e.get('n', '?')}")
        rows.append(row)
    return pd.DataFrame(rows), config


def tidy(run: load.Run, metrics: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{
        "strategy": s, "metric": m, "label": run.label(m), "value": e.get("value"),
        "low": e.get("low"), "high": e.get("high"), "unit": e.get("unit"), "n": e.get("n"),
        "better": "higher" if e.get("higher_is_better", True) else "lower"}
        for m in metrics for s in run.strategies if (e := run.metric(s, m))])


run = ui.current_run()
ui.header("Leaderboard", run)
ui.partial_note(run)
metrics = run.metric_names()
unit_of = units(run)
if not metrics:
    st.info("The finished strategies recorded no metrics.")
    st.stop()

with ui.section("leaderboard"):
    t1, t2 = st.tabs(["By strategy", "One row per strategy x metric"])
    with t1:
        st.caption("Click a column header to sort. Each metric has its value (unit in the header) "
                   "and its 95% bootstrap interval [low, high].")
        df, config = wide(run, metrics, unit_of)
        config["recommended"] = st.column_config.CheckboxColumn("recommended")
        st.dataframe(df, hide_index=True, column_config=config, key="leaderboard_wide")
    with t2:
        pick = st.multiselect("Metrics", metrics, default=metrics, format_func=run.label)
        long = tidy(run, pick)
        st.dataframe(long, hide_index=True, key="leaderboard_long", column_config={
            "value": st.column_config.NumberColumn(format="%.4g"),
            "low": st.column_config.NumberColumn(format="%.4g"),
            "high": st.column_config.NumberColumn(format="%.4g")})

with ui.section("prepare"):
    with st.expander("What each strategy prepared (prepare.json, wall time)"):
        for s in run.strategies:
            r = run.results[s]
            st.text(f"{s} ({r.get('type', '?')}): wall time "
                    f"{fmt.num(r.get('wall_seconds'), 's')} s")
            st.json(r.get("prepare") or {}, expanded=False)
