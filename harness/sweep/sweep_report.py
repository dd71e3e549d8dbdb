"""What a sweep found: Pareto fronts, the chosen trial, the learning curve, the terminal summary.

Contract:
- `pareto(trials, directions)`: the non-dominated COMPLETE trials; `choose(trials, directions)`:
  the trial whose configuration goes to test (None when no trial completed).
- `learning_curve(suite, trials, metric)`: {"metric", "split": "dev", <strategy>: [points]} for
  strategies that train (`trains_weights`) and search `training.train_size` ({} when none does).
- `print_summary(console, studies, chosen, spent, objective_names)` prints only; the same facts
  are stored in sweeps.json by harness.sweep.sweep.
"""
from __future__ import annotations

from optuna.trial import TrialState
from rich.table import Table

from harness.sweep.sweep_study import seconds, zombie


def row(t, names) -> dict:
    return {"number": t.number, "state": t.state.name, "strategy": t.user_attrs.get("strategy"),
            "params": t.params, "config": t.user_attrs.get("config"),
            "values": dict(zip(names, t.values)) if t.values else None,
            "dev": t.user_attrs.get("dev"), "train_size": t.user_attrs.get("train_size"),
            "seconds": round(seconds(t), 2), "error": t.user_attrs.get("error"),
            "pruned": t.user_attrs.get("pruned"), "zombie": zombie(t),
            "intermediate": t.intermediate_values or None}


def pareto(trials, directions) -> list:
    """Non-dominated COMPLETE trials. Written out (Optuna's `study.best_trials` does this for a
    whole study) because the cross-strategy study needs the front of each strategy's subset."""
    sign = [1 if d == "maximize" else -1 for d in directions]
    done = [t for t in trials if t.state == TrialState.COMPLETE]

    def dominates(a, b):
        va, vb = [s * v for s, v in zip(sign, a.values)], [s * v for s, v in zip(sign, b.values)]
        return all(x >= y for x, y in zip(va, vb)) and any(x > y for x, y in zip(va, vb))
    return [t for t in done if not any(dominates(o, t) for o in done if o is not t)]


def choose(trials, directions):
    """Single objective: the best trial. Several: on the Pareto front, the best on the first
    objective (ties broken by the next ones). None when no trial completed."""
    front = pareto(trials, directions)
    if not front:
        return None
    sign = [1 if d == "maximize" else -1 for d in directions]
    return max(front, key=lambda t: tuple(s * v for s, v in zip(sign, t.values)))


def learning_curve(suite, all_trials, acc) -> dict:
    """Per training strategy whose search has training.train_size: for each size, the best
    completed trial's dev accuracy with its 95% bootstrap interval over dev examples."""
    from harness.evaluation.stats import ci
    out: dict = {}
    for s in suite.strategies:
        if not s.trains_weights or "training.train_size" not in s.search:
            continue
        best: dict = {}
        for t in all_trials:
            if t.state != TrialState.COMPLETE or t.user_attrs.get("strategy") != s.name:
                continue
            scores = t.user_attrs.get("dev_scores") or []
            est = ci(scores, seed=suite.seed)
            n = t.user_attrs.get("train_size")
            if est.value is not None and (n not in best or est.value > best[n]["value"]):
                best[n] = {"train_size": n, "value": est.value, "low": est.low, "high": est.high,
                           "n_dev": est.n, "trial": t.number}
        if best:
            out[s.name] = [best[k] for k in sorted(best)]
    return {"metric": acc, "split": "dev"} | out if out else {}



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
    unrun = f"; {spent['unrun_slots']} slot(s) left unrun" if spent.get("unrun_slots") else ""
    console.print(f"sweep spent: {spent['trials']} trials{unrun}, {spent['seconds']:.0f} s of trial time "
                  f"({', '.join(f'{k} {v:.0f} s' for k, v in spent['by_strategy_seconds'].items())})")
