"""LoRA vs full fine-tuning side by side (support_bot's `lora_vs_full` profile).

    python bench/lora_vs_full.py [--results DIR]          # runs both, one process each
    python bench/lora_vs_full.py --report DIR [--rss-gb LORA FULL]   # only read finished runs
    python bench/lora_vs_full.py --train-steps N          # training alone, one process, minutes

Runs `harness run suites/support_bot.yaml --profile lora_vs_full --strategies S` for S = lora
and S = full as two concurrent child processes on one results folder (each a partial run with
its own run id) and measures each child's peak resident memory (`os.wait4`'s ru_maxrss). Then
prints, per strategy: test key-fact recall and token F1 (95% intervals clustered by source
document, n), the paired difference full - lora on key-fact recall over the same test rows
(cluster bootstrap), the lm-eval canary accuracy and drop (base - trained, paired interval),
training seconds (measured once), optimizer steps, trainable parameters and the FLOPs estimate.

`--train-steps N` trains only: in one process, the profile's `lora` then its `full` strategy
(their own `prepare()`, N optimizer steps each, on the same rows) and prints seconds per step,
trainable parameters and the process's peak RSS after each (peak RSS only grows, so the second
figure is full fine-tuning's peak as long as it exceeds LoRA's). Both see the same machine
load, one after the other; compare the two lines with each other.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import _machine
from _machine import print_machine

STRATEGIES = ("lora", "full")


def launch(results: Path) -> dict[str, float]:
    """Both runs at once; {strategy: peak RSS in GB}."""
    env = os.environ | {"PYTHONPATH": str(_machine.ROOT)}
    procs = {}
    for s in STRATEGIES:
        cmd = [sys.executable, "-m", "harness.cli", "run", "suites/support_bot.yaml", "--profile",
               "lora_vs_full", "--strategies", s, "--results", str(results)]
        procs[subprocess.Popen(cmd, env=env, cwd=_machine.ROOT, stdout=subprocess.DEVNULL).pid] = s
    rss = {}
    while procs:
        pid, status, usage = os.wait4(-1, 0)
        if pid in procs:
            if status:
                sys.exit(f"harness run --strategies {procs[pid]} failed ({status})")
            rss[procs.pop(pid)] = usage.ru_maxrss * 1024 / 1e9  # Linux: KiB
    return rss


def _fmt(m: dict | None, digits: int = 3) -> str:
    if not m or m.get("value") is None:
        return "—"
    return (f"{m['value']:.{digits}f} [{m['low']:.{digits}f}, {m['high']:.{digits}f}] "
            f"(n={m.get('n')})")


def report(results: Path, rss: dict[str, float]) -> None:
    from harness.evaluation.stats import paired_bootstrap
    suite_dir = results / "support_bot-lora_vs_full"
    dirs = {}
    for s in STRATEGIES:
        found = sorted(suite_dir.glob(f"*/strategies/{s}/metrics.json"))
        if not found:
            sys.exit(f"no finished '{s}' run under {suite_dir}")
        dirs[s] = found[-1].parent
    res = {s: json.loads((d / "metrics.json").read_text()) for s, d in dirs.items()}
    rows = {s: {r["id"]: r for r in map(json.loads, (d / "predictions.jsonl").read_text()
                                        .splitlines())} for s, d in dirs.items()}
    for s in STRATEGIES:
        m, p = res[s]["metrics"], res[s]["prepare"]
        print(f"{s}:")
        for k in ("key_fact_recall", "token_f1", "canary_acc", "canary_base_acc", "canary_drop"):
            print(f"  {k:18s} {_fmt(m.get(k))}  {m.get(k, {}).get('unit', '')}")
        print(f"  training: {p.get('train_seconds', 0):.0f} s (measured once), {p.get('steps')} "
              f"steps, {p.get('examples')} examples, {p.get('trainable_params'):,} trainable "
              f"parameters, {p.get('train_flops_estimate', 0):.2e} FLOPs (estimate)")
        if s in rss:
            print(f"  peak RSS: {rss[s]:.2f} GB (the whole `harness run` process)")
    key = "key_fact_recall"
    score = {s: {i: r["scores"].get(key) for i, r in rows[s].items()} for s in STRATEGIES}
    clusters = {i: r.get("cluster") for i, r in rows["lora"].items() if r.get("cluster")}
    c = paired_bootstrap(score["full"], score["lora"], 0, clusters=clusters or None)
    if c is not None:
        print(f"full - lora, {key} (paired, cluster bootstrap): {c.diff:+.3f} "
              f"[{c.low:+.3f}, {c.high:+.3f}] (n={c.n}, p={c.p_value:.3f})")


def train_only(steps: int) -> None:
    import resource
    from harness.backends import build
    from harness.data.dataset import load_dataset
    from harness.registry import STRATEGIES
    from harness.run.strategy import Context
    from harness.config.suite import load_suite
    ls = load_suite(_machine.ROOT / "suites/support_bot.yaml", "lora_vs_full")
    data, backend = load_dataset(ls), build(ls.suite.model)
    n_model = sum(p.numel() for p in backend.model.parameters())
    print(f"model: {n_model:,} parameters; {len(data.train)} train rows; {steps} steps each")
    with tempfile.TemporaryDirectory() as tmp:
        for name in STRATEGIES_IN_ORDER:
            cfg = ls.suite.strategy(name)
            cfg = cfg.model_copy(update={"training": cfg.training.model_copy(
                update={"max_steps": steps, "save_steps": 0})})
            info = STRATEGIES[cfg.type](cfg, Context(ls.suite, data, backend, Path(tmp) / name,
                                                     Path(tmp) / "cache")).prepare()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
            print(f"  {name}: {info['train_seconds'] / info['steps']:.1f} s / step "
                  f"(n={info['steps']} steps, {info['train_tokens']} tokens), "
                  f"{info['trainable_params']:,} trainable parameters "
                  f"({info['trainable_params'] / n_model:.2%} of the model), peak RSS so far "
                  f"{peak:.2f} GB, loss {info['losses'][0]:.3f} -> {info['losses'][-1]:.3f}")


STRATEGIES_IN_ORDER = ("lora", "full")   # lora first: peak RSS only grows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=None, help="fresh results folder (default: temp dir)")
    ap.add_argument("--report", default=None, help="only report the finished runs in this folder")
    ap.add_argument("--rss-gb", nargs=2, type=float, default=None, metavar=("LORA", "FULL"),
                    help="with --report: peak RSS measured elsewhere (e.g. /usr/bin/time -v)")
    ap.add_argument("--train-steps", type=int, default=None, help="train only, N steps each")
    args = ap.parse_args()
    if args.train_steps:
        print_machine(f"LoRA vs full fine-tuning: training only, {args.train_steps} steps each")
        train_only(args.train_steps)
        return
    if args.report:
        report(Path(args.report), dict(zip(STRATEGIES, args.rss_gb or ())))
        return
    print_machine("LoRA vs full fine-tuning: support_bot --profile lora_vs_full")
    results = Path(args.results or tempfile.mkdtemp(prefix="harness-lora-vs-full-"))
    report(results, launch(results))


if __name__ == "__main__":
    main()
