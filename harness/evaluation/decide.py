"""The recommendation: the cheapest strategy that meets the suite's requirements, chosen on dev.

Contract: `recommend(requirements, results, per_example=None, seed=0, clusters=None)` takes
{strategy: stored result} (its `metrics` on test; `dev`: its accuracy metrics on the dev split,
when scored) and returns a JSON-able decision:
- `strategies`: per strategy, `checks` (each requirement on the test numbers, the reported
  estimates: value, interval, limit, met, and whether the whole 95% interval is on the right
  side), `selection_checks` (the same with the accuracy requirement on dev: what the choice is
  made on), `meets` (selection), `meets_on_test`, `monthly_cost_usd`;
- `selection`: {"split": "dev" | "test", "warning"}: dev when every strategy has dev scores,
  else test, with a warning that the winner's test numbers are then optimistic;
- `chosen` (or None), `runner_up`, `chosen_on_test` (the same rule on the test numbers) and
  `rankings` (harness.evaluation.decide.rankings: dev vs test order, Kendall tau, disagreement warning);
- with `per_example` ({strategy: {test id: accuracy score}}; `clusters` {test id: label}):
  `comparisons` (harness.evaluation.comparisons: chosen vs every other, Holm) and `stability`
  (harness.evaluation.stability: P(recommended) per strategy over test resamples);
- `explanation`, a paragraph (harness.evaluation.decision_text.explain).
Cost ranks by training $ + serving $ per 1,000 queries x expected monthly queries / 1,000 +
`updates_per_month` x the measured $ of absorbing one knowledge update (`update_usd`,
harness.updates.update_run; 0 when not measured); ties go to the higher accuracy on the selection split.
With updates measured, `update_cadences` (harness.updates.update_decide) re-applies the rule at several
update cadences. No numpy/scipy at import (the dashboard's
provisional decision imports this module).
"""
from __future__ import annotations


def _check(name, metric, e, limit, at_least, unit, split=None):
    e = e or {}
    v = e.get("value")
    met = v is not None and (v >= limit if at_least else v <= limit)
    bound = e.get("low") if at_least else e.get("high")
    sure = bound is not None and (bound >= limit if at_least else bound <= limit)
    return {"requirement": name, "metric": metric, "value": v, "low": e.get("low"),
            "high": e.get("high"), "n": e.get("n"), "limit": limit,
            "direction": ">=" if at_least else "<=", "unit": unit, "met": met,
            "met_with_interval": met and sure} | ({"split": split} if split else {}) | (
                _not_measured(e))


def _not_measured(e: dict) -> dict:
    """A requirement on a metric without data (no safety probes, no key facts) is neither met
    nor failed: `met: None`, `measured: False`; it is left out of `meets` and named as such."""
    if e.get("value") is not None:
        return {}
    return {"met": None, "met_with_interval": None, "measured": False}


def meets_all(checks) -> bool:
    """Every measured requirement met (a not-measured one counts neither way)."""
    return all(c["met"] for c in checks if c.get("measured") is not False)


def n_note(entry: dict | None) -> str:
    """" (n=14 of 72)" for a metric measured on fewer rows than the test split has."""
    if entry and entry.get("rows") is not None and entry.get("n") != entry["rows"]:
        return f" (n={entry.get('n', 0)} of {entry['rows']})"
    return ""


def _checks(req, m: dict, acc_entry: dict | None = None, split: str = "test") -> list[dict]:
    spec = [("min_accuracy", req.accuracy_metric, req.min_accuracy, True, "fraction"),
            ("min_safety", "safety_pass", req.min_safety, True, "fraction of probes passed"),
            ("max_p95_latency_ms", "p95_latency_ms", req.max_p95_latency_ms, False, "ms"),
            ("max_usd_per_1k_queries", "usd_per_1k_queries", req.max_usd_per_1k_queries, False,
             "USD / 1,000 queries")]
    out = []
    for name, metric, limit, at_least, unit in spec:
        if limit is None:
            continue
        acc = name == "min_accuracy"
        e = acc_entry if acc and acc_entry is not None else m.get(metric)
        out.append(_check(name, metric, e, limit, at_least, unit, split if acc else None))
    return out


def monthly_cost(m: dict, queries: int, updates: float = 0.0) -> float:
    serve = (m.get("usd_per_1k_queries") or {}).get("value") or 0.0
    train = (m.get("train_usd") or {}).get("value") or 0.0
    update = (m.get("update_usd") or {}).get("value") or 0.0
    return train + serve * queries / 1000 + update * updates


def pick(candidates, cost: dict, acc: dict):
    """The rule: cheapest first, then the higher accuracy; None when no candidate."""
    return min(candidates, key=lambda n: (cost[n], -(acc.get(n) or 0.0)), default=None)


def _value(e):
    return (e or {}).get("value")


def dev_entries(results: dict, acc: str) -> dict | None:
    """{strategy: dev estimate of `acc`} when every strategy has one, else None."""
    dev = {n: ((r.get("dev") or {}).get("metrics") or {}).get(acc) for n, r in results.items()}
    return dev if dev and all(_value(e) is not None for e in dev.values()) else None


def _selection_warning(results, dev) -> str | None:
    if not dev:
        return ("no dev scores for every strategy: the choice was made on the test split, so "
                "the winner's test numbers are optimistic (winner's curse); set "
                "evaluation.dev_limit above 0")
    if any((r.get("dev") or {}).get("tuned_on") for r in results.values()):
        return ("the sweep tuned the strategies on the same dev rows the choice was made on, so "
                "their dev scores are optimistic; give more dev rows than sweep.dev_size")
    return None


def rankings(results: dict, acc: str, dev: dict | None, chosen, chosen_on_test) -> dict:
    test = {n: _value(r["metrics"].get(acc)) for n, r in results.items()}
    order = lambda vals: sorted((n for n in vals if vals[n] is not None),  # noqa: E731
                                key=lambda n: -vals[n])
    out = {"metric": acc, "test": order(test), "test_values": test}
    if dev is None:
        return out | {"dev": None, "kendall_tau": None, "warning": None}
    dv = {n: _value(e) for n, e in dev.items()}
    both = [n for n in results if dv.get(n) is not None and test[n] is not None]
    tau = None
    if len(both) >= 2:
        from scipy.stats import kendalltau
        t = kendalltau([dv[n] for n in both], [test[n] for n in both]).statistic
        tau = None if t != t else round(float(t), 4)  # NaN when one side is constant
    out |= {"dev": order(dv), "dev_values": dv, "kendall_tau": tau}
    lead_dev, lead_test = (out["dev"] or [None])[0], (out["test"] or [None])[0]
    warn = []
    if lead_dev != lead_test:
        warn.append(f"dev ranks '{lead_dev}' first on {acc}, test ranks '{lead_test}' first")
    if chosen != chosen_on_test:
        said = lambda n: f"'{n}'" if n else "no strategy"  # noqa: E731
        warn.append(f"the rule picks {said(chosen)} on dev but {said(chosen_on_test)} on test")
    out["warning"] = ("dev and test disagree on the winner: " + "; ".join(warn) +
                      ". Treat the choice as uncertain (more dev and test rows would settle it)."
                      ) if warn else None
    return out


def recommend(req, results: dict[str, dict], per_example: dict[str, dict] | None = None,
              seed: int = 0, clusters: dict | None = None) -> dict:
    from harness.evaluation.decision_text import explain
    acc = req.accuracy_metric
    dev = dev_entries(results, acc)
    rows, cost = {}, {}
    for name, res in results.items():
        m = res["metrics"]
        test_checks = _checks(req, m)
        sel = _checks(req, m, dev[name], "dev") if dev else test_checks
        cost[name] = monthly_cost(m, req.expected_queries_per_month, req.updates_per_month)
        rows[name] = {"checks": test_checks, "selection_checks": sel,
                      "meets": meets_all(sel), "meets_on_test": meets_all(test_checks),
                      "monthly_cost_usd": cost[name]}
    test_acc = {n: _value(r["metrics"].get(acc)) for n, r in results.items()}
    sel_acc = {n: _value(e) for n, e in dev.items()} if dev else test_acc
    ok = sorted((n for n in rows if rows[n]["meets"]), key=lambda n: (cost[n], -(sel_acc[n] or 0)))
    chosen = pick(ok, cost, sel_acc)
    chosen_on_test = pick([n for n in rows if rows[n]["meets_on_test"]], cost, test_acc)
    runner_up = next(iter(ok[1:]), None) or max(
        (n for n in rows if n != chosen), default=None, key=lambda n: sel_acc[n] or 0)
    volumes = [1_000, 10_000, 100_000, 1_000_000, 10_000_000]
    decision = {
        "chosen": chosen, "runner_up": runner_up if chosen else None,
        "chosen_on_test": chosen_on_test, "strategies": rows,
        "selection": {"split": "dev" if dev else "test", "metric": acc,
                      "dev_rows": max((e.get("n") or 0) for e in dev.values()) if dev else 0,
                      "warning": _selection_warning(results, dev)},
        "rankings": rankings(results, acc, dev, chosen, chosen_on_test),
        "break_even_usd_per_month": {n: {str(v): monthly_cost(results[n]["metrics"], v,
                                                              req.updates_per_month)
                                         for v in volumes} for n in results},
        "ranking_rule": f"cheapest monthly cost (training + serving at "
                        f"{req.expected_queries_per_month:,} queries/month"
                        + (f" + absorbing {req.updates_per_month:g} knowledge updates/month"
                           if req.updates_per_month else "") + ") among strategies "
                        f"meeting every requirement, {acc} judged on the "
                        f"{'dev' if dev else 'test'} split"}
    if any("update_usd" in r["metrics"] for r in results.values()):
        from harness.updates.update_decide import by_cadence
        decision["update_cadences"] = by_cadence(req, results, rows, sel_acc, test_acc)
    if per_example:
        _evidence(decision, req, rows, cost, per_example, clusters, seed)
    decision["explanation"] = explain(req, results, decision)
    return decision


def _evidence(decision, req, rows, cost, per_example, clusters, seed) -> None:
    from harness.evaluation.comparisons import compare
    from harness.evaluation.stability import p_recommended
    chosen = decision["chosen"]
    unit = "cluster bootstrap (whole clusters of test rows)" if clusters is not None else \
        "bootstrap over test rows"
    if chosen in per_example:
        decision["comparisons"] = {"metric": req.accuracy_metric, "split": "test",
                                   "method": f"paired {unit}, 5,000 resamples, two-sided, "
                                   "Holm-corrected over the family; for pass/fail scores the "
                                   "exact McNemar (Holm) must agree"} | compare(
                                       chosen, per_example, clusters, seed)
    fixed = {n: meets_all(c for c in rows[n]["checks"] if c["requirement"] != "min_accuracy")
             for n in rows}
    lim = req.min_accuracy

    def choose(accv):
        return pick([n for n in rows if n in accv and fixed[n] and (
            lim is None or (accv[n] is not None and accv[n] >= lim))], cost, accv)
    st = p_recommended(choose, {n: per_example[n] for n in rows if n in per_example},
                       clusters, seed)
    if st:
        decision["stability"] = st | {
            "method": f"{unit} resamples; each re-applies the rule with its accuracy, the other "
                      "requirements as measured"}


from harness.evaluation.decision_md import decision_markdown  # noqa: E402,F401  (re-exported)
