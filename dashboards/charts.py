"""Plotly figures for the dashboard (pure functions of plain data; no Streamlit).

Contract: every function returns a `plotly.graph_objects.Figure` whose axis titles carry units.
`pareto(points)` marks the points no other point beats on both axes (higher y, lower x).
`break_even(costs)` gives the monthly query volumes where one strategy's total cost line
crosses another's.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go


def pareto(points: list[dict]) -> list[bool]:
    """points: {x, y}; lower x and higher y are better. True where no point dominates it."""
    out = []
    for p in points:
        dominated = any(q is not p and q["x"] <= p["x"] and q["y"] >= p["y"]
                        and (q["x"] < p["x"] or q["y"] > p["y"]) for q in points)
        out.append(not dominated)
    return out


def _err(vals, lows, highs, pos: bool):
    return [max((h if pos else v) - (v if pos else lo), 0) if None not in (v, lo, h) else 0
            for v, lo, h in zip(vals, lows, highs)]


def tradeoff(points: list[dict], x_title: str, y_title: str, log_x: bool = False) -> go.Figure:
    """points: strategy, x, x_low, x_high, y, y_low, y_high, safety (0-1 or None), chosen."""
    pts = [p for p in points if p["x"] is not None and p["y"] is not None]
    fig = go.Figure()
    if not pts:
        return fig
    front = pareto(pts)
    xs, ys = [p["x"] for p in pts], [p["y"] for p in pts]
    safety = [p.get("safety") for p in pts]
    has_safety = any(s is not None for s in safety)
    colors = [s if s is not None else 0.0 for s in safety]
    sizes = [14 + 22 * (s if s is not None else 0.5) for s in safety]
    hover = [f"{p['strategy']}<br>{y_title}: {p['y']:.3g} [{_n(p.get('y_low'))}, "
             f"{_n(p.get('y_high'))}]<br>{x_title}: {p['x']:.4g} [{_n(p.get('x_low'))}, "
             f"{_n(p.get('x_high'))}]<br>safety pass: {_n(p.get('safety'))} (fraction)"
             f"<br>{'Pareto-optimal' if f else 'dominated'}" for p, f in zip(pts, front)]
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers+text", text=[p["strategy"] for p in pts],
        textposition="top center", hovertext=hover, hoverinfo="text", name="strategies",
        error_x=dict(type="data", symmetric=False, color="#888", thickness=1,
                     array=_err(xs, [p.get("x_low") for p in pts], [p.get("x_high") for p in pts], True),
                     arrayminus=_err(xs, [p.get("x_low") for p in pts], [p.get("x_high") for p in pts], False)),
        error_y=dict(type="data", symmetric=False, color="#888", thickness=1,
                     array=_err(ys, [p.get("y_low") for p in pts], [p.get("y_high") for p in pts], True),
                     arrayminus=_err(ys, [p.get("y_low") for p in pts], [p.get("y_high") for p in pts], False)),
        marker=dict(size=sizes, color=colors if has_safety else "#4c78a8",
                    colorscale="RdYlGn", cmin=0, cmax=1, showscale=has_safety,
                    colorbar=dict(title="safety pass<br>(fraction)") if has_safety else None,
                    symbol=["diamond" if f else "circle" for f in front],
                    line=dict(width=[3 if f else 1 for f in front],
                              color=["black" if f else "#666" for f in front])),
    ))
    fr = sorted((p for p, f in zip(pts, front) if f), key=lambda p: p["x"])
    fig.add_trace(go.Scatter(x=[p["x"] for p in fr], y=[p["y"] for p in fr], mode="lines",
                             line=dict(dash="dash", color="black", width=1),
                             name="Pareto front", hoverinfo="skip"))
    fig.update_layout(xaxis_title=x_title, yaxis_title=y_title, height=460, showlegend=True,
                      legend=dict(orientation="h", y=-0.2), margin=dict(t=30))
    if log_x:
        fig.update_xaxes(type="log")
    return fig


def _n(v) -> str:
    return "—" if v is None else f"{v:.4g}"


def volumes(expected: int) -> np.ndarray:
    hi = max(1e7, (expected or 0) * 100)
    return np.logspace(1, np.log10(hi), 200)


def cost_lines(costs: dict[str, tuple[float, float]], expected: int, log_y: bool) -> go.Figure:
    """costs: {strategy: (fixed USD / month: training, plus absorbing the month's knowledge
    updates, usd_per_1k_queries)}; monthly total vs monthly volume."""
    n = volumes(expected)
    fig = go.Figure()
    for s, (train, per_1k) in costs.items():
        fig.add_trace(go.Scatter(x=n, y=train + per_1k * n / 1000, mode="lines", name=s,
                                 hovertemplate=f"{s}<br>%{{x:,.0f}} queries / month<br>"
                                               "$%{y:.4g} / month<extra></extra>"))
    if expected:
        fig.add_vline(x=expected, line_dash="dot", line_color="gray")
        fig.add_annotation(x=np.log10(expected), y=1.04, xref="x", yref="paper", showarrow=False,
                           text=f"expected: {expected:,} queries / month")  # log axis: log10 x
    fig.update_xaxes(type="log", title="monthly query volume N (queries / month, log scale)")
    fig.update_yaxes(type="log" if log_y else "linear", title="monthly total cost (USD / month)")
    fig.update_layout(height=460, margin=dict(t=40), legend=dict(orientation="h", y=-0.25))
    return fig


def break_even(costs: dict[str, tuple[float, float]]) -> list[dict]:
    """Pairs whose lines cross at N > 0: below N the first is cheaper, above it the second."""
    out, names = [], list(costs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (ta, sa), (tb, sb) = costs[a], costs[b]
            if sa == sb:
                continue
            n = (tb - ta) / (sa - sb) * 1000
            if n > 0:
                cheap_low, cheap_high = (a, b) if ta < tb else (b, a)
                out.append({"below N cheaper": cheap_low, "above N cheaper": cheap_high,
                            "break-even N (queries / month)": n})
    return sorted(out, key=lambda r: r["break-even N (queries / month)"])


def bars(categories: list[str], series: dict[str, list[dict]], y_title: str) -> go.Figure:
    """Grouped bars with error bars: series {name: [{value, low, high}] aligned to categories}."""
    fig = go.Figure()
    for name, es in series.items():
        vals = [e.get("value") for e in es]
        fig.add_trace(go.Bar(
            x=categories, y=vals, name=name,
            error_y=dict(type="data", symmetric=False,
                         array=_err(vals, [e.get("low") for e in es], [e.get("high") for e in es], True),
                         arrayminus=_err(vals, [e.get("low") for e in es], [e.get("high") for e in es], False))))
    fig.update_layout(barmode="group", yaxis_title=y_title, height=420, margin=dict(t=30),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def curves(series: dict[str, list[dict]], x: str, x_title: str, y_title: str,
           integer_x: bool = False) -> go.Figure:
    """Line per series with an interval band where points carry low/high."""
    fig = go.Figure()
    for name, pts in series.items():
        pts = sorted((p for p in pts if p.get(x) is not None and p.get("value") is not None),
                     key=lambda p: p[x])
        xs = [p[x] for p in pts]
        fig.add_trace(go.Scatter(x=xs, y=[p["value"] for p in pts], mode="lines+markers", name=name))
        if all(p.get("low") is not None and p.get("high") is not None for p in pts) and pts:
            fig.add_trace(go.Scatter(x=xs + xs[::-1], y=[p["high"] for p in pts] +
                                     [p["low"] for p in pts][::-1], fill="toself", opacity=0.2,
                                     line=dict(width=0), name=f"{name} 95% CI", hoverinfo="skip"))
    fig.update_layout(xaxis_title=x_title, yaxis_title=y_title, height=400, margin=dict(t=30))
    top = max((p.get(x) or 0 for pts in series.values() for p in pts), default=0)
    if integer_x and top:
        fig.update_xaxes(tickformat="d", dtick=max(1, int(np.ceil(top / 10))))
    return fig
