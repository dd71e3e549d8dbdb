"""Knowledge updates in decision.md and in the terminal (from stored results only).

Contract: `update_rows(results, acc)` flattens every strategy's `updates` record
(harness.updates.update_run) into table rows, one per (update, strategy, absorbing method), with the
accuracy metric `acc` as value [95% CI] and n; `cadence_rows(decision)` gives the decision at
each update cadence (harness.updates.update_decide). `updates_markdown(decision, results)` returns the
decision.md section (empty when no update was measured); `render_updates(console, results,
decision)` prints the same tables with rich.
"""
from __future__ import annotations

HEAD = ["update", "strategy", "method", "stale: changed before (n)", "seconds to absorb",
        "USD to absorb", "changed after", "unchanged before (n)", "unchanged after",
        "unchanged: after - before [95% CI]"]


def _iv(e: dict | None, n: bool = False) -> str:
    if not e or e.get("value") is None:
        return "n/a"
    s = f"{e['value']:.3f}"
    if e.get("low") is not None and e.get("n", 0) > 1:
        s += f" [{e['low']:.3f}, {e['high']:.3f}]"
    return s + (f" (n={e.get('n')})" if n else "")


def _diff(e: dict | None) -> str:
    if not e or e.get("value") is None:
        return "n/a"
    return f"{e['value']:+.3f} [{e['low']:+.3f}, {e['high']:+.3f}]"


def update_rows(results: dict, acc: str) -> list[list[str]]:
    rows = []
    for name, r in results.items():
        for upd, rec in (r.get("updates") or {}).items():
            for method, m in rec["methods"].items():
                label = method + (" (chosen: cheapest that keeps the rest)"
                                  if method == rec["cheapest"] else "") + (
                    " (breaks unchanged answers)" if method in rec.get("breaks", ()) else "")
                rows.append([upd, name, label, _iv(rec["stale"].get(acc), True),
                             f"{m['seconds']:.1f}", f"{m['usd']:.6f}",
                             _iv(m["changed"].get(acc)),
                             _iv(rec["unchanged_before"].get(acc), True),
                             _iv(m["unchanged"].get(acc)), _diff(m.get("unchanged_vs_before"))])
    return rows


def cadence_rows(decision: dict) -> tuple[list[str], list[list[str]]]:
    uc = decision.get("update_cadences") or {}
    cad = uc.get("cadences") or []
    names = list(cad[0]["monthly_cost_usd"]) if cad else []
    head = ["updates / month", *[f"{n} (USD / month)" for n in names], "rule picks",
            "cheapest, any requirement"]
    rows = [[f"{c['updates_per_month']:g} ({c['label']})",
             *[f"{c['monthly_cost_usd'][n]:.4f}" for n in names], c["chosen"] or "none meets",
             c["cheapest"] or "—"] for c in cad]
    return head, rows


def _table(head, rows) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + [
        "| " + " | ".join(map(str, r)) + " |" for r in rows]


def updates_markdown(decision: dict, results: dict) -> list[str]:
    acc = (decision.get("rankings") or {}).get("metric") or "accuracy"
    rows = update_rows(results, acc)
    if not rows:
        return []
    out = ["", "## Knowledge updates", "",
           f"{acc} (fraction) on the update's changed questions (scored against the new answers) "
           "before and after each way of absorbing it, and on the unchanged test questions; "
           "seconds measured once on this machine, USD = seconds x the compute price.", ""]
    out += _table(HEAD, rows)
    head, crows = cadence_rows(decision)
    if crows:
        q = (decision.get("update_cadences") or {}).get("queries_per_month", 0)
        out += ["", f"Decision by update cadence (at {q:,} queries / month; "
                    f"{decision['update_cadences']['rule']}):", ""] + _table(head, crows)
    return out


def render_updates(console, results: dict, decision: dict) -> None:
    from rich.table import Table
    acc = (decision.get("rankings") or {}).get("metric") or "accuracy"
    rows = update_rows(results, acc)
    if not rows:
        return
    t = Table(title=f"knowledge updates: {acc} (0-1) [95% CI], seconds and USD to absorb "
                    "(decision.md has the unchanged rows' before values)")
    short = ["update", "strategy", "method", "stale (n)", "s", "USD", "changed after",
             "unchanged after", "unchanged Δ"]
    for c in short:
        t.add_column(c, justify="left" if c in ("update", "strategy", "method") else "right")
    for r in rows:
        t.add_row(*r[:7], *r[8:])
    console.print(t)
    head, crows = cadence_rows(decision)
    if crows:
        t = Table(title="decision by update cadence (monthly cost, USD)")
        for c in head:
            t.add_column(c, justify="right")
        for r in crows:
            t.add_row(*r)
        console.print(t)
