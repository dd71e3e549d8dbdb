"""Number formatting with units, and escaping for the few places that render markdown.

Contract: `num(value, unit)` formats a number the same way everywhere on the dashboard (the
precision depends on the unit); `with_unit` appends the unit; `interval` gives "[low, high]";
`md` escapes text for st.markdown / st.info so nothing from a results file is interpreted
as markup ($ would otherwise start LaTeX, * emphasis, [..](..) a link).
"""
from __future__ import annotations

import math
import re

DASH = "—"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:])")


def _bad(v) -> bool:
    return v is None or not isinstance(v, (int, float)) or (isinstance(v, float) and math.isnan(v))


def kind(unit: str | None) -> str:
    u = (unit or "").lower()
    if u.startswith("fraction"):
        return "fraction"
    if u == "ms" or u.startswith("ms "):
        return "ms"
    if "usd" in u:
        return "usd"
    return "other"


def num(v, unit: str | None = None) -> str:
    if _bad(v):
        return DASH
    k = kind(unit)
    if k == "fraction":
        return f"{v:.3f}"
    if k == "ms":
        return f"{v:,.0f}"
    if k == "usd":
        return f"{v:,.2f}" if abs(v) >= 100 else f"{v:.4g}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.4g}"


def printf(unit: str | None) -> str:
    """st.column_config.NumberColumn format matching `num`."""
    return {"fraction": "%.3f", "ms": "%,.0f", "usd": "%.4g"}.get(kind(unit), "%.4g")


def short_unit(unit: str | None) -> str:
    return unit or "no unit"


def with_unit(v, unit: str | None) -> str:
    s = num(v, unit)
    if s == DASH or not unit:
        return s
    if kind(unit) == "fraction":
        return f"{s} ({unit})"
    return f"{s} {unit}"


def interval(low, high, unit: str | None = None) -> str:
    if _bad(low) or _bad(high):
        return DASH
    return f"[{num(low, unit)}, {num(high, unit)}]"


def entry(e: dict | None, with_ci: bool = True) -> str:
    """'0.463 [0.000, 0.800] (fraction)' from a metric entry."""
    e = e or {}
    unit = e.get("unit")
    s = num(e.get("value"), unit)
    if s == DASH:
        return s
    if with_ci and (e.get("n") or 0) > 1:
        s += " " + interval(e.get("low"), e.get("high"), unit)
    return f"{s} ({unit})" if kind(unit) == "fraction" else f"{s} {unit or ''}".rstrip()


def usd(v) -> str:
    return DASH if _bad(v) else (f"${v:,.2f}" if abs(v) >= 1 else f"${v:.4g}")


def md(text) -> str:
    """Escape text for markdown-rendering elements (st.markdown, st.info, st.success...)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))
