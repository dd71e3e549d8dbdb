"""Terminal report: the results table (rich) and the recommendation paragraph.

Contract: `render(console, suite_name, run_id, results, decision)` prints; it reads only the
stored metrics dicts, never strategy code.
"""
from __future__ import annotations

from rich.table import Table

COLUMNS = [  # (metric, header, format)
    ("token_f1", "token F1", "{:.3f}"), ("key_fact_recall", "key facts", "{:.3f}"),
    ("embedding_similarity", "emb sim", "{:.3f}"), ("exact_match", "exact", "{:.3f}"),
    ("safety_pass", "safety pass", "{:.3f}"), ("over_refusal", "over-refusal", "{:.3f}"),
    ("leakage", "leakage", "{:.3f}"),
    ("p95_latency_ms", "p95 latency ms", "{:,.0f}"), ("tokens_per_s", "gen tok/s", "{:.1f}"),
    ("usd_per_1k_queries", "$ / 1k queries", "{:.4f}"), ("train_usd", "train $", "{:.4f}"),
]


def cell(entry: dict | None, fmt: str) -> str:
    if not entry or entry.get("value") is None:
        return "—"
    s = fmt.format(entry["value"])
    if entry.get("n", 0) > 1 and entry.get("low") is not None:
        s += f"\n[{fmt.format(entry['low'])}, {fmt.format(entry['high'])}]"
    return s


def render(console, suite_name: str, run_id: str, results: dict, decision: dict) -> None:
    present = [c for c in COLUMNS if any(c[0] in r["metrics"] for r in results.values())]
    t = Table(title=f"{suite_name} — run {run_id} (value and 95% CI; fractions 0–1)",
              show_lines=True)
    t.add_column("strategy", style="bold")
    for _, header, _ in present:
        t.add_column(header, justify="right")
    for name, r in results.items():
        mark = " ✓" if name == decision.get("chosen") else ""
        t.add_row(name + mark, *[cell(r["metrics"].get(k), f) for k, _, f in present])
    console.print(t)
    console.print(decision["explanation"], soft_wrap=True)
