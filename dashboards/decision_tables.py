"""Tables of the decision's statistics for the Decision page, from decision.json only.

Contract: each function takes the decision dict (and the run's results where named) and
returns a pandas DataFrame with units in its column names, empty when that part of the
decision is absent (older runs, provisional decisions): `rankings` (dev vs test, ranks),
`comparisons` (chosen minus each other, Holm, McNemar, MDE, verdict), `stability`
(P(recommended)), `design_effects`, `slices(decision, column, metric)`. No Streamlit here.
"""
from __future__ import annotations

import pandas as pd

from dashboards import fmt


def _iv(e: dict | None) -> str:
    e = e or {}
    if e.get("value") is None:
        return fmt.DASH
    ci = fmt.interval(e.get("low"), e.get("high"), "fraction")
    return f"{fmt.num(e['value'], 'fraction')} {ci}"


def _p(p) -> str:
    return fmt.DASH if p is None else (f"{p:.3f}" if p >= 0.001 else f"{p:.1e}")


def rankings(decision: dict, results: dict) -> pd.DataFrame:
    rk = decision.get("rankings") or {}
    if not rk.get("dev"):
        return pd.DataFrame()
    acc = rk["metric"]
    dev_pos = {n: i + 1 for i, n in enumerate(rk["dev"])}
    test_pos = {n: i + 1 for i, n in enumerate(rk["test"])}
    out = []
    for n, r in results.items():
        d = ((r.get("dev") or {}).get("metrics") or {}).get(acc) or {}
        t = (r.get("metrics") or {}).get(acc) or {}
        out.append({"strategy": n, f"dev {acc} [95% CI] (fraction)": _iv(d), "dev n": d.get("n"),
                    "dev rank": dev_pos.get(n), f"test {acc} [95% CI] (fraction)": _iv(t),
                    "test n": t.get("n"), "test rank": test_pos.get(n)})
    return pd.DataFrame(out)


def comparisons(decision: dict, key: str = "comparisons") -> pd.DataFrame:
    pairs = (decision.get(key) or {}).get("pairs") or {}
    out = []
    for o, p in pairs.items():
        mc = p.get("mcnemar")
        out.append({"other strategy": o,
                    "difference (chosen − other, fraction)": f"{p['diff']:+.3f}",
                    "95% CI": f"[{p['low']:+.3f}, {p['high']:+.3f}]",
                    "n (rows)": p.get("n"), "clusters": p.get("clusters"),
                    "p": _p(p.get("p_value")), "Holm p": _p(p.get("p_holm")),
                    "exact McNemar p": _p(mc["p_value"]) if mc else fmt.DASH,
                    "MDE, 80% power (fraction)": fmt.num(p.get("mde"), "fraction"),
                    "rows to settle": p.get("rows_to_settle") if p["verdict"] == "inconclusive"
                    else None, "verdict": p["verdict"]})
    return pd.DataFrame(out)


def stability(decision: dict) -> pd.DataFrame:
    st = (decision.get("stability") or {}).get("p") or {}
    return pd.DataFrame([{"strategy": n, "P(recommended) (share of test resamples)": p}
                         for n, p in st.items()])


def design_effects(results: dict) -> pd.DataFrame:
    return pd.DataFrame([{"metric": k, "strategy": n, "clusters": e.get("clusters"),
                          "design effect (clustered / naive CI width)": e.get("design_effect")}
                         for n, r in results.items() for k, e in (r.get("metrics") or {}).items()
                         if isinstance(e, dict) and e.get("clusters")])


def slices(decision: dict, column: str, metric: str) -> pd.DataFrame:
    groups = (decision.get("slices") or {}).get(column) or []
    out = []
    for g in groups:
        row = {column: g["value"], "n (test rows)": g["n"]}
        for n, e in ((g.get("metrics") or {}).get(metric) or {}).items():
            row[f"{n} mean [95% CI] (fraction)"] = _iv(e)
        out.append(row)
    return pd.DataFrame(out)
