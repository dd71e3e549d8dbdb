"""Terminal report, decision part: comparisons, slices, and the explanation or no-signal message.

Contract: `render_decision(console, results, decision)` prints (rich) the Holm-corrected
comparisons of the chosen strategy, one table per slice column of the accuracy metric
(value, n, mean [95% CI] per strategy), the knowledge-update tables (harness.updates.update_report),
the dev/test warning, and the explanation; when the
decision's `signal` says no strategy beats the trivial floor, a no-signal panel replaces the
recommendation. Reads only the decision dict and stored results.
"""
from __future__ import annotations

from rich.panel import Panel
from rich.table import Table

from harness.evaluation.decision_text import pval


def _iv(e: dict | None) -> str:
    if not e or e.get("value") is None:
        return "—"
    return f"{e['value']:.3f} [{e['low']:.3f}, {e['high']:.3f}]"


def _comparisons(console, decision) -> None:
    comp = decision.get("comparisons") or {}
    if not comp.get("pairs"):
        return
    chosen = decision.get("chosen") or decision.get("withheld_choice")
    kind = "cluster bootstrap" if any(p.get("clusters") for p in comp["pairs"].values()) \
        else "bootstrap"
    t = Table(title=f"'{chosen}' minus each other strategy, {comp['metric']} on test "
                    f"(paired {kind}; Holm over the family)")
    for c in ("other", "difference [95% CI]", "Holm p", "exact McNemar p", "MDE (80%)",
              "verdict"):
        t.add_column(c, justify="right" if c != "verdict" else "left")
    for o, p in comp["pairs"].items():
        mc = p.get("mcnemar")
        verdict = p["verdict"] + (f" (~{p['rows_to_settle']:,} rows would settle it)"
                                  if p["verdict"] == "inconclusive" and p.get("rows_to_settle")
                                  else "")
        t.add_row(o, f"{p['diff']:+.3f} [{p['low']:+.3f}, {p['high']:+.3f}]",
                  pval(p["p_holm"]), "—" if not mc else pval(mc["p_value"]),
                  "—" if p.get("mde") is None else f"{p['mde']:.3f}", verdict)
    console.print(t)


def _slices(console, results, decision) -> None:
    acc = (decision.get("rankings") or {}).get("metric")
    for col, groups in (decision.get("slices") or {}).items():
        t = Table(title=f"{acc} by {col} (0-1): mean [95% CI]")
        t.add_column(col, style="bold")
        t.add_column("n", justify="right")
        for n in results:
            t.add_column(n, justify="right")
        for g in groups:
            per = g["metrics"].get(acc) or {}
            t.add_row(str(g["value"]), str(g["n"]), *[_iv(per.get(n)) for n in results])
        console.print(t)


def render_decision(console, results: dict, decision: dict) -> None:
    _comparisons(console, decision)
    _slices(console, results, decision)
    from harness.updates.update_report import render_updates
    render_updates(console, results, decision)
    sig = decision.get("signal")
    if sig and not sig["signal"]:
        console.print(Panel(sig["message"], title="no signal", border_style="yellow"))
        return
    console.print(decision["explanation"], soft_wrap=True)
