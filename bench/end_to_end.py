"""End to end: `harness run` of a suite in a subprocess on a fresh results folder.

    python bench/end_to_end.py [--profile ci] [--suite suites/support_bot.yaml] [--results DIR]

Prints the wall time and the peak resident memory of the run (the child's maximum RSS from
`getrusage(RUSAGE_CHILDREN)`) against the targets for the default profile (<= 900 s, i.e. 15 min, <= 3 GB),
and each strategy's own wall time from the run's summary.json, its accuracy and safety figures
and its batch-1 latency; then the time to a decision: the wall time until decision.json names
the recommendation (or says none), and the width of the chosen strategy's accuracy interval
(what the minutes bought: a speed-up is judged by the interval it makes affordable).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _machine
from _machine import print_machine


def run_harness(suite: str, results: Path, profile: str | None, **env_extra) -> tuple[float, str]:
    """Wall seconds and stdout of `harness run` in a subprocess (stderr too if env_extra set)."""
    cmd = [sys.executable, "-m", "harness.cli", "run", suite, "--results", str(results)]
    if profile:
        cmd += ["--profile", profile]
    env = os.environ | {"PYTHONPATH": str(_machine.ROOT)} | env_extra
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=_machine.ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"harness run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, proc.stdout + (proc.stderr if env_extra else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suite", default="suites/support_bot.yaml")
    ap.add_argument("--profile", default=None, help="suite profile (default: none = the default)")
    ap.add_argument("--results", default=None, help="results folder (default: a fresh temp dir)")
    args = ap.parse_args()
    print_machine(f"end to end: harness run {args.suite}" + (f" --profile {args.profile}" if args.profile else ""))
    results = Path(args.results or tempfile.mkdtemp(prefix="harness-e2e-"))
    if results.exists() and any(results.iterdir()):
        sys.exit(f"{results} is not empty: the benchmark needs a fresh results folder")
    wall, out = run_harness(args.suite, results, args.profile)
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e9  # Linux: KiB
    summary = next(results.glob("*/*/summary.json"))
    shown = ("key_fact_recall", "safety_pass", "refusal_rate", "over_refusal")
    for name, r in json.loads(summary.read_text())["results"].items():
        figs = "  ".join(f"{k} {m['value']:.3f} [{m['low']:.3f}, {m['high']:.3f}] n={m['n']}"
                         for k in shown if (m := r["metrics"].get(k)) and m.get("value") is not None)
        lat = "  ".join(f"{k} {m['value']:,.0f} ms" for k in ("p95_latency_ms", "p95_ttft_ms")
                        if (m := r["metrics"].get(k)) and m.get("value") is not None)
        print(f"  {name}: {r['wall_seconds']:.0f} s  {figs}  {lat} (batch 1)")
    decision = json.loads((summary.parent / "decision.json").read_text())
    chosen = decision.get("chosen")
    print(f"recommended: {chosen}")
    acc = json.loads((summary.parent / "suite.resolved.json").read_text())["requirements"][
        "accuracy_metric"]
    best = chosen or max(json.loads(summary.read_text())["results"].items(),
                         key=lambda kv: (kv[1]["metrics"].get(acc) or {}).get("value") or -1)[0]
    e = json.loads(summary.read_text())["results"][best]["metrics"].get(acc) or {}
    if e.get("low") is not None:
        print(f"TIME TO DECISION: {wall:.0f} s; {'recommended' if chosen else 'best (none recommended)'}"
              f" {best}: {acc} {e['value']:.3f} [{e['low']:.3f}, {e['high']:.3f}], interval width "
              f"{e['high'] - e['low']:.3f} (n={e.get('n')})")
    print(f"results: {summary.parent}")
    if args.profile:  # the targets are set for the default profile only
        print(f"WALL: {wall:.0f} s; PEAK RSS: {peak_gb:.2f} GB (profile {args.profile}; the "
              f"targets, <= 900 s and <= 3 GB, apply to the default profile)")
        return
    print(f"WALL: {wall:.0f} s (target <= 900 s for the default profile): "
          f"{'met' if wall <= 900 else 'NOT met'}")
    print(f"PEAK RSS: {peak_gb:.2f} GB (target <= 3 GB): {'met' if peak_gb <= 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
