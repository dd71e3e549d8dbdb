"""Examples: per test question, every strategy's answer side by side, scores, retrieved chunks.

Model output is shown as plain text only (st.code / st.text / dataframes), never as markdown.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import fmt, load, ui
from dashboards.fmt import md


def failed(row: dict, threshold: float) -> bool:
    sc = row.get("scores") or {}
    f1, kf = sc.get("token_f1"), sc.get("key_fact_recall")
    return (f1 is not None and f1 < threshold) or (kf is not None and kf < 1)


def merge(run: load.Run, strategies: list[str]) -> dict[str, dict]:
    """{example id: {question, reference, source, by: {strategy: row}}} in test order."""
    out: dict[str, dict] = {}
    for s in strategies:
        for r in ui.rows(run, s, "predictions.jsonl"):
            ex = out.setdefault(str(r.get("id")), {"question": r.get("question"),
                                                   "reference": r.get("reference"),
                                                   "source": r.get("source"), "by": {}})
            ex["by"][s] = r
    return out


run = ui.current_run()
ui.header("Examples", run)
ui.partial_note(run)
have = [s for s in run.strategies if (run.strategy_dir(s) / "predictions.jsonl").exists()]
if not have:
    st.info("No predictions.jsonl in this run's strategy folders, so there is nothing to drill "
            "into.")
    st.stop()

with st.container(border=True):
    c1, c2, c3 = st.columns([2, 1, 1])
    chosen = c1.multiselect("Strategies", have, default=have)
    threshold = c1.slider("Failure threshold: token_f1 below (fraction)", 0.0, 1.0, 0.5, 0.05)
    only_fail = c2.checkbox("Only failures", help="token_f1 below the threshold, or "
                            "key_fact_recall below 1, for at least one chosen strategy")
    only_dis = c2.checkbox("Only disagreements", help="some chosen strategies pass and "
                           "others fail (same failure rule)")
    query = c3.text_input("Question contains")
if not chosen:
    st.info("Choose at least one strategy.")
    st.stop()

examples = merge(run, chosen)
metrics = run.order_metrics({m for ex in examples.values() for r in ex["by"].values()
                             for m in (r.get("scores") or {})})
unit_of = {m: run.metric(chosen[0], m).get("unit", "fraction") for m in metrics}
keep = []
for eid, ex in examples.items():
    verdicts = [failed(r, threshold) for r in ex["by"].values()]
    if only_fail and not any(verdicts):
        continue
    if only_dis and len(set(verdicts)) < 2:
        continue
    if query and query.lower() not in str(ex["question"]).lower():
        continue
    keep.append(eid)

with ui.section("overview"):
    st.caption(f"{len(keep)} of {len(examples)} test examples match the filters.")
    if not keep:
        st.info("No example matches these filters. Loosen them (untick a box or move the "
                "threshold).")
        st.stop()
    overview = pd.DataFrame([{"id": eid, "question": examples[eid]["question"], **{
        f"{s} token_f1 (fraction)": (examples[eid]["by"].get(s, {}).get("scores") or {}).get("token_f1")
        for s in chosen}, **{f"{s} failed": failed(examples[eid]["by"][s], threshold)
                             for s in chosen if s in examples[eid]["by"]}} for eid in keep])
    st.dataframe(overview, hide_index=True, key="examples_overview", column_config={
        c: st.column_config.NumberColumn(format="%.3f") for c in overview.columns if "token_f1" in c})

with ui.section("example"):
    eid = st.selectbox("Example", keep, format_func=lambda e: f"{e} · {str(examples[e]['question'])[:90]}")
    ex = examples[eid]
    st.subheader(f"Example {md(eid)}")
    q, ref = st.columns(2)
    with q:
        st.caption("Question")
        st.code(str(ex["question"]), language=None, wrap_lines=True)
    with ref:
        st.caption(f"Reference answer (source document: {md(ex.get('source') or 'n/a')})")
        st.code(str(ex["reference"]), language=None, wrap_lines=True)
    per_row = 4
    names = [s for s in chosen if s in ex["by"]]
    for start in range(0, len(names), per_row):
        cols = st.columns(min(per_row, len(names) - start))
        for col, s in zip(cols, names[start:start + per_row]):
            r = ex["by"][s]
            with col, st.container(border=True):
                verdict = "failed" if failed(r, threshold) else "passed"
                st.markdown(f"**{md(s)}** · {verdict}")
                st.code(str(r.get("output", "")), language=None, wrap_lines=True)
                sc = r.get("scores") or {}
                one_unit = len(set(unit_of.values())) == 1
                st.dataframe(pd.DataFrame([{"metric": m, (f"score ({unit_of[m]})" if one_unit
                                                          else "score"): fmt.num(sc.get(m), unit_of[m]),
                                            **({} if one_unit else {"unit": unit_of[m]})}
                                           for m in metrics]),
                             hide_index=True, key=f"scores_{eid}_{s}")
                st.text(f"latency {fmt.num(r.get('latency_ms'), 'ms')} ms (batch wall time) · "
                        f"{r.get('prompt_tokens', '—')} prompt tokens · "
                        f"{r.get('completion_tokens', '—')} answer tokens")
                chunks = r.get("retrieved") or []
                if chunks:
                    with st.expander(f"retrieved chunks ({len(chunks)})"):
                        for c in chunks:
                            st.text(f"{c.get('doc_id', '?')} · retrieval similarity "
                                    f"{fmt.num(c.get('score'))} (score, unitless)")
                            st.code(str(c.get("text", "")), language=None, wrap_lines=True)
                else:
                    st.caption("no retrieval")
