"""Terminal summary of a sweep: per study the trials, the Pareto front, and what was spent.

Contract: `print_summary(console, studies, chosen, spent, objective_names)` prints only; the same
facts are stored in sweeps.json by harness.sweep.
"""
from __future__ import annotations

from rich.table import Table


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def print_summary(console, studies: list[dict], chosen: dict, spent: dict, names: list[str]) -> None:
    for st in studies:
        front = set(st["pareto_front"])
        multi = len(names) > 1
        t = Table(title=f"study {st['study']} ({', '.join(f'{n} {d}' for n, d in zip(names, st['directions']))}; dev split)")
        for c in ("trial", "strategy", "state", *(f"{n} (dev)" for n in names), "seconds (s)",
                  "parameters"):
            t.add_column(c)
        for r in st["trials"]:
            vals = [_fmt(r["values"][n]) if r["values"] else "" for n in names]
            state = r["state"].lower() + (" (killed)" if r["zombie"] else "")
            mark = " *" if multi and r["number"] in front else ""
            t.add_row(f"{r['number']}{mark}", str(r["strategy"] or ""), state, *vals,
                      f"{r['seconds']:.0f}", ", ".join(f"{k}={_fmt(v)}" for k, v in r["params"].items())
                      or (r["error"] or "")[:60])
        console.print(t)
        if multi:
            console.print(f"Pareto front (*): trials {sorted(front)}")
        console.print(f"{st['study']}: {st['states']}, {st['seconds']:.0f} s of trials, stopped: "
                      f"{'budget of trials used' if st['stopped'] == 'done' else 'time budget spent'}")
    for name, c in chosen.items():
        if c["trial"] is None:
            console.print(f"chosen {name}: {c['note']}")
        else:
            console.print(f"chosen {name}: trial {c['trial']} "
                          + ", ".join(f"{k}={_fmt(v)}" for k, v in (c["config"] or {}).items())
                          + " — dev " + ", ".join(f"{k} {_fmt(v)}" for k, v in c["values"].items()),
                          highlight=False)
    console.print(f"sweep spent: {spent['trials']} trials, {spent['seconds']:.0f} s of trial time "
                  f"({', '.join(f'{k} {v:.0f} s' for k, v in spent['by_strategy_seconds'].items())})")
