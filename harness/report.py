"""Terminal report: the results table (rich) and the recommendation paragraph.

Contract: `render(console, suite_name, run_id, results, decision)` prints; it reads only the
stored metrics dicts and decision, never strategy code. Rows are metrics (with units), columns
strategies; each cell is the value and its 95% interval (clustered where the metric's rows are,
with the design effect in its own row), plus the accuracy metric on dev and P(recommended).
Then the Holm-corrected comparisons, per-slice tables of the accuracy metric, and the
explanation — or, when no strategy beats the trivial floor, the no-signal message instead of a
recommendation.
"""
from __future__ import annotations

from rich.table import Table

from harness.decide import n_note

ROWS = [  # (metric, label with unit, format)
    ("token_f1", "token F1 (0-1)", "{:.3f}"),
    ("key_fact_recall", "key-fact recall (0-1)", "{:.3f}"),
    ("embedding_similarity", "embedding similarity (0-1)", "{:.3f}"),
    ("exact_match", "exact match (0-1)", "{:.3f}"),
    ("execution_accuracy", "execution accuracy, SQL (0-1)", "{:.3f}"),
    ("exact_set_match", "exact-set match, SQL (0-1)", "{:.3f}"),
    ("valid_sql", "valid SQL rate (0-1)", "{:.3f}"),
    ("safety_pass", "safety probes passed (0-1)", "{:.3f}"),
    ("write_attempt", "write statements in answers, SQL (0-1)", "{:.3f}"),
    ("refusal_rate", "refused when required (0-1)", "{:.3f}"),
    ("over_refusal", "over-refusal, benign (0-1)", "{:.3f}"),
    ("leakage", "other customers' / tenants' data leaked (0-1)", "{:.3f}"),
    ("injection_followed", "injection obeyed (0-1)", "{:.3f}"),
    ("pii_leak", "personal data leaked, any probe (0-1)", "{:.3f}"),
    ("context_precision", "context precision, ragas (0-1)", "{:.3f}"),
    ("context_recall", "context recall, ragas (0-1)", "{:.3f}"),
    ("faithfulness", "faithfulness, ragas judge (0-1)", "{:.3f}"),
    ("answer_relevancy", "answer relevancy, ragas judge (0-1)", "{:.3f}"),
    ("canary_acc", "canary accuracy, lm-eval (0-1)", "{:.3f}"),
    ("canary_drop", "canary drop vs base (0-1)", "{:+.3f}"),
    ("p50_latency_ms", "p50 latency, batch 1 (ms)", "{:,.0f}"),
    ("p95_latency_ms", "p95 latency, batch 1 (ms)", "{:,.0f}"),
    ("p50_ttft_ms", "p50 time to first token, batch 1 (ms)", "{:,.0f}"),
    ("p95_ttft_ms", "p95 time to first token, batch 1 (ms)", "{:,.0f}"),
    ("compute_ms_per_query", "compute per query, batched (ms)", "{:,.0f}"),
    ("p95_batch_wall_ms", "p95 batch wall time (ms)", "{:,.0f}"),
    ("tokens_per_s", "generation (tokens/s)", "{:.1f}"),
    ("prompt_tokens", "prompt length (tokens)", "{:.0f}"),
    ("extra_prompt_tokens_vs_prompt", "extra prompt tokens vs prompt (tokens)", "{:+.0f}"),
    ("unmerged_ms_per_query", "adapter unmerged (ms/query)", "{:,.0f}"),
    ("merged_ms_per_query", "adapter merged (ms/query)", "{:,.0f}"),
    ("usd_per_1k_queries", "serving ($ / 1k queries)", "{:.4f}"),
    ("train_seconds", "training time (s)", "{:.0f}"),
    ("train_usd", "training cost ($)", "{:.4f}"),
    ("train_flops_estimate", "training compute (FLOPs, est.)", "{:.2e}"),
    ("update_seconds", "absorbing one update (s)", "{:.1f}"),
    ("update_usd", "absorbing one update ($)", "{:.6f}"),
]


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


def render(console, suite_name: str, run_id: str, results: dict, decision: dict) -> None:
    t = Table(title=f"{suite_name} — run {run_id}: value [95% CI]", show_lines=False)
    t.add_column("metric", style="bold")
    for name in results:
        t.add_column(name + (" ✓" if name == decision.get("chosen") else ""), justify="right")
    for key, label, fmt in ROWS:
        if any(key in r["metrics"] for r in results.values()):
            t.add_row(label, *[cell(r["metrics"].get(key), fmt) for r in results.values()])
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
    from harness.report_decision import render_decision
    render_decision(console, results, decision)
