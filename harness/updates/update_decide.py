"""The decision at several knowledge-update cadences: who is cheapest to keep correct?

Contract: `by_cadence(req, results, rows, sel_acc, test_acc)` (called by harness.evaluation.decide.recommend
when some strategy has `update_usd`) returns {"cadences": [{"updates_per_month", "chosen",
"cheapest", "monthly_cost_usd": {strategy: USD / month}}], "queries_per_month", "rule"}: at each
cadence the suite's rule (cheapest monthly cost among the strategies meeting every requirement
on the selection split, `rows[n]["meets"]`) re-applied with that many updates a month, and the
cheapest strategy whatever its requirements (`cheapest`), so the record also shows what the
cadence alone would favour. Cadences: 0, 1 (monthly), 4 (weekly), 30 (daily), 720 (hourly), and
the suite's `updates_per_month`. No numpy/scipy (the dashboard imports harness.evaluation.decide).
"""
from __future__ import annotations

CADENCES = {0: "never", 1: "monthly", 4: "weekly", 30: "daily", 720: "hourly"}


def by_cadence(req, results: dict, rows: dict, sel_acc: dict, test_acc: dict) -> dict:
    from harness.evaluation.decide import monthly_cost, pick
    q = req.expected_queries_per_month
    cadences = sorted(set(CADENCES) | {req.updates_per_month})
    out = []
    for u in cadences:
        cost = {n: monthly_cost(r["metrics"], q, u) for n, r in results.items()}
        out.append({"updates_per_month": u, "label": CADENCES.get(u, "the suite's cadence"),
                    "chosen": pick([n for n in rows if rows[n]["meets"]], cost, sel_acc),
                    "cheapest": pick(list(results), cost, test_acc),
                    "monthly_cost_usd": cost})
    return {"queries_per_month": q, "cadences": out,
            "rule": "monthly cost = training + serving at the expected queries + updates/month x "
                    "USD to absorb one update (update_usd; 0 for a strategy with nothing to "
                    "update, whose answers stay stale)"}
