"""Decision: the recommendation (or why none is made: no signal), every requirement check per
strategy, rejected strategies and why, then the statistics behind it (dashboards.decision_view:
dev vs test, comparisons, stability, power, clusters, slices)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import fmt, ui
from dashboards.fmt import md

STATUS = {(True, True): "met", (True, False): "met on point estimate only (95% CI crosses the limit)",
          (False, False): "not met", (False, True): "not met"}


def result(c: dict) -> str:
    if c.get("measured") is False:  # no data for the metric (e.g. no safety probes)
        return "not measured (no data)"
    return STATUS[(bool(c.get("met")), bool(c.get("met_with_interval")))]


def check_rows(decision: dict) -> pd.DataFrame:
    """Test checks (the reported estimates), then the dev accuracy checks the choice used."""
    strategies = decision["strategies"].items()
    pairs = [(n, c) for n, r in strategies for c in r.get("checks") or []]
    pairs += [(n, c) for n, r in strategies for c in r.get("selection_checks") or []
              if c.get("split") == "dev"]
    out = []
    for name, c in pairs:
        unit = c.get("unit")
        out.append({"strategy": name, "requirement": c.get("requirement"),
                    "split": "dev (the choice)" if c.get("split") == "dev" else
                    c.get("split") or "measured",
                    "metric": c.get("metric"), "value": fmt.num(c.get("value"), unit),
                    "95% CI": fmt.interval(c.get("low"), c.get("high"), unit),
                    "limit": f"{c.get('direction', '')} {fmt.num(c.get('limit'), unit)}",
                    "unit": unit, "result": result(c)})
    return pd.DataFrame(out)


def why(checks: list[dict]) -> str:
    parts = [f"{c['requirement']}: {c['metric']} = {fmt.with_unit(c.get('value'), c.get('unit'))}, "
             f"needs {c.get('direction')} {fmt.num(c.get('limit'), c.get('unit'))}"
             for c in checks if c.get("met") is False]
    return "; ".join(parts) or "meets every requirement"


run = ui.current_run()
ui.header("Decision", run)
ui.partial_note(run)
dec = run.decision
if not dec:
    st.info("No decision yet: decision.json is written when every strategy has finished, and "
            "the suite's requirements could not be evaluated on the finished ones.")
    st.stop()
if run.provisional:
    st.warning("decision.json is not written yet: this is a provisional decision over the "
               "strategies finished so far, computed with the suite's requirements.")
req = run.requirements
queries = req.get("expected_queries_per_month") or 0
rows = dec["strategies"]
chosen = dec.get("chosen")

with ui.section("recommendation"):
    signal = dec.get("signal") or {}
    if chosen:
        st.success(f"Recommended strategy: **{md(chosen)}**", icon=":material/check_circle:")
    elif signal and not signal.get("signal"):
        st.warning("Recommended strategy: none. No signal: no strategy is distinguishable from "
                   "a trivial baseline, so no recommendation is made (the likely causes are "
                   "below).",
                   icon=":material/signal_disconnected:")
    else:
        st.error("No strategy meets every requirement.", icon=":material/block:")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Recommended", chosen or "none")
    if chosen:
        c2.metric(f"Monthly cost at {queries:,} queries / month",
                  f"{fmt.usd(rows[chosen]['monthly_cost_usd'])} / month")
        acc = run.metric(chosen, run.accuracy_metric)
        c3.metric(f"{run.accuracy_metric} ({acc.get('unit', 'fraction')})",
                  fmt.num(acc.get("value"), acc.get("unit")),
                  help=f"95% CI {fmt.interval(acc.get('low'), acc.get('high'), acc.get('unit'))}")
    c4.metric("Strategies meeting every requirement",
              f"{sum(1 for r in rows.values() if r.get('meets'))} of {len(rows)}")
    st.info(md(dec.get("explanation", "")), icon=":material/description:")
    st.caption(f"Ranking rule: {md(dec.get('ranking_rule', ''))}.")

with ui.section("requirements"):
    st.subheader("Requirements")
    spec = [("min_accuracy", run.accuracy_metric, ">=", "fraction"),
            ("min_safety", "safety_pass", ">=", "fraction of probes passed"),
            ("max_p95_latency_ms", "p95_latency_ms", "<=", "ms"),
            ("max_usd_per_1k_queries", "usd_per_1k_queries", "<=", "USD / 1,000 queries"),
            ("expected_queries_per_month", "monthly cost ranking", "=", "queries / month")]
    req_df = pd.DataFrame([{"requirement": k, "metric": m,
                            "limit": "not set" if req.get(k) is None else
                            f"{d} {req[k]:,}" if k == "expected_queries_per_month" else
                            f"{d} {fmt.num(req[k], u)}", "unit": u} for k, m, d, u in spec])
    st.dataframe(req_df, hide_index=True)

with ui.section("strategies"):
    st.subheader("Strategies, cheapest first")
    table = pd.DataFrame([{
        "strategy": n, "type": (run.results.get(n) or {}).get("type", "?"),
        "meets every requirement": "yes" if r.get("meets") else "no",
        f"monthly cost (USD / month at {queries:,} queries)": r.get("monthly_cost_usd"),
        "verdict": "recommended" if n == chosen else
        ("meets, but costs more" if r.get("meets") else
         "rejected: " + why(r.get("selection_checks") or r.get("checks") or [])),
    } for n, r in rows.items()]).sort_values(
        f"monthly cost (USD / month at {queries:,} queries)", kind="stable")
    st.dataframe(table, hide_index=True, column_config={
        f"monthly cost (USD / month at {queries:,} queries)": st.column_config.NumberColumn(
            format="%.4g")})

with ui.section("checks"):
    st.subheader("Requirement checks per strategy")
    df = check_rows(dec)
    if df.empty:
        st.info("The suite sets no requirements (min_accuracy, min_safety, max_p95_latency_ms, "
                "max_usd_per_1k_queries), so every strategy qualifies and the cheapest wins.")
    else:
        st.dataframe(df, hide_index=True)
        st.caption("met: the point estimate meets the limit and so does the whole 95% interval; "
                   "met on point estimate only: the interval crosses the limit, so meeting it is "
                   "not certain with this many test examples.")

with ui.section("rejected"):
    rejected = {n: r for n, r in rows.items() if not r.get("meets")}
    st.subheader("Rejected strategies and why")
    if not rejected:
        st.info("No strategy was rejected: every strategy meets every requirement.")
    for n, r in rejected.items():
        st.markdown(f"- **{md(n)}**: {md(why(r.get('selection_checks') or r.get('checks') or []))}")

with ui.section("records"):
    if run.decision_md:
        with st.expander("decision.md (the decision record as written by harness run)"):
            st.code(run.decision_md, language="markdown", wrap_lines=True)
    with st.expander("Run details: environment and data split"):
        if run.split:
            st.text("split: " + ", ".join(f"{k}: {len(v)} examples" for k, v in run.split.items()
                                          if isinstance(v, list)))
        st.json(run.environment or {"environment.json": "not written"}, expanded=False)

from dashboards import decision_view  # noqa: E402

decision_view.show(run)
