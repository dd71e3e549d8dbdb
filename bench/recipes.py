"""Recipe lab: train one lora/hybrid configuration and score it on dev while it learns.

    python bench/recipes.py --strategy lora --set lora.r=16 --set training.num_train_epochs=4 \
        --eval-at 12,24,36 [--dev 24] [--probes 30] [--suite suites/support_bot.yaml]

The strategy is the suite's own (default profile), with `--set KNOB=VALUE` overrides (dotted
knob paths as in a sweep's `search:`; VALUE is YAML). After the optimizer steps given in
`--eval-at` (and at the end) the model being trained answers the first `--dev` dev questions
and `--probes` safety probes that the default profile does NOT use for its test (probes 30..),
through the strategy's own `requests()`, so the prompts are exactly the evaluated ones. Prints
key-fact recall on dev overall and by `coverage` (seen / unseen in train), refusal on
must-refuse probes and over-refusal on benign look-alikes, with n, and a few answers to read.
This is how the recipes in suites/support_bot.yaml were chosen (dev and held-out probes only:
never the test split or the test probes).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suite", default="suites/support_bot.yaml")
    ap.add_argument("--profile", default=None)
    ap.add_argument("--strategy", default="lora")
    ap.add_argument("--set", action="append", default=[], help="KNOB=VALUE (YAML)")
    ap.add_argument("--eval-at", default="", help="comma-separated optimizer steps")
    ap.add_argument("--dev", type=int, default=24)
    ap.add_argument("--probes", type=int, default=30)
    ap.add_argument("--show", type=int, default=4, help="answers printed per evaluation")
    ap.add_argument("--workdir", default=None,
                    help="keep the adapter and checkpoints here (a killed run resumes)")
    args = ap.parse_args()

    from harness.backends import build
    from harness.data.dataset import load_dataset
    from harness.metrics.accuracy import key_fact_recall
    from harness.metrics.safety import refused
    from harness.registry import STRATEGIES
    from harness.run.strategy import Context
    from harness.config.suite import load_suite
    from harness.config.sweep_space import apply

    ls = load_suite(args.suite, args.profile)
    suite = ls.suite
    full = load_dataset(load_suite(args.suite, "full"))
    data = load_dataset(ls)
    dev = full.dev[: args.dev]
    probes = full.safety[len(data.safety): len(data.safety) + args.probes]
    knobs = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    cfg = apply(suite.strategy(args.strategy), knobs)
    backend = build(suite.model_for(cfg), suite.pricing)
    eval_at = {int(s) for s in args.eval_at.split(",") if s}
    emb = suite.embedding.name_or_path
    holder, rows = [], []

    dev_file = ls.path.parent / suite.data.dev
    coverage = {r["id"]: r.get("coverage", "?") for r in map(json.loads, dev_file.open()) if r}

    def evaluate(step, model, training=True):
        strat = holder[0]
        t0 = time.perf_counter()
        reqs, _ = strat.requests([e.question for e in dev] + [p.prompt for p in probes])
        with backend.using(model.eval()) as b:
            outs = [g.text for g in b.generate(reqs)]
        model.train(training)
        qa, po = outs[: len(dev)], outs[len(dev):]
        kfr = key_fact_recall(qa, dev)
        by = {}
        for e, v in zip(dev, kfr):
            by.setdefault(coverage.get(e.id, "?"), []).append(v)
        ref = refused(po, emb)
        must = [r for r, p in zip(ref, probes) if p.must_refuse]
        benign = [r for r, p in zip(ref, probes) if p.category == "benign"]
        row = {"step": step, "kfr": sum(kfr) / len(kfr), "n": len(kfr),
               "by_coverage": {k: round(sum(v) / len(v), 3) for k, v in by.items()},
               "refusal": sum(must) / max(len(must), 1), "n_must": len(must),
               "over_refusal": sum(benign) / max(len(benign), 1), "n_benign": len(benign),
               "eval_s": round(time.perf_counter() - t0, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
        for e, o in list(zip(dev, qa))[: args.show]:
            print(f"   Q {e.question[:70]!r}\n   A {o[:110]!r}\n   R {e.answer[:110]!r}")
        for p, o in list(zip(probes, po))[: args.show]:
            print(f"   P[{p.category}] {p.prompt[:60]!r}\n   A {o[:110]!r}")

    def on_step(step, loss, model):
        if step in eval_at:
            evaluate(step, model)

    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.workdir or scratch
        ctx = Context(suite, data, backend, Path(tmp), Path(tmp) / "cache", on_step=on_step)
        strat = STRATEGIES[cfg.type](cfg, ctx)
        holder.append(strat)
        t0 = time.perf_counter()
        info = strat.prepare()
        print(json.dumps({"train_seconds": round(info.get("train_seconds", 0), 1),
                          "steps": info.get("steps"), "examples": info.get("examples"),
                          "tokens": info.get("train_tokens"),
                          "losses": [info["losses"][i] for i in
                                     range(0, len(info.get("losses", [])), 4)]}), flush=True)
        adapter = Path(tmp) / "adapter"
        if adapter.exists():
            with backend.adapter(adapter) as b:
                evaluate(info.get("steps"), b._active, training=False)
        print(f"total {time.perf_counter() - t0:.0f} s; knobs {knobs}")


if __name__ == "__main__":
    main()
