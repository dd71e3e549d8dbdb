"""Checks run on each strategy that trains weights (its config `trains_weights`) after its
evaluation: the lm-eval forgetting canary on its model as served (`strategy.served`: an adapter
attached, or fine-tuned weights), merged vs unmerged latency (adapters only: `uses_adapter`),
and the seed-variance study.

Contract: `adapter_checks(cfg, strategy, suite, data, backend, store, qa_scores, console)` returns
a dict merged into the strategy's stored result: extra `metrics` entries (`canary_acc`,
`canary_drop`, `unmerged_ms_per_query`, `merged_ms_per_query`) plus `canary`, `adapter_latency`
and `seed_variance` records. The base model's canary result is computed once per run
(`<run>/canary_base.json`) and shared by every trained strategy. Each check is skipped when its
suite block disables it (`canary.enabled`, `merged_latency.enabled`, `seeds` unset). The canary
record's "adapter" entries are the strategy's trained model, whatever kind it is.
"""
from __future__ import annotations

import time

from harness.run.store import read_json, write_json


def _canary(cfg, suite, backend, strategy, run_dir, console) -> dict:
    from harness.training.canary import canary_drop, canary_scores
    c = suite.canary
    base_file = run_dir / "canary_base.json"
    if base_file.exists():
        base = read_json(base_file)
    else:
        base = canary_scores(backend, c.limit, c.batch_size)
        write_json(base_file, base)
    t0 = time.perf_counter()
    with strategy.served(backend) as b:
        adapted = canary_scores(b, c.limit, c.batch_size)
    what = "adapter" if cfg.uses_adapter else "trained weights"
    drop = canary_drop(base, adapted, suite.seed, what)
    console.print(f"  canary (lm-eval, {len(adapted['items'])} items): base acc "
                  f"{base['acc']['value']:.3f}, {what} {adapted['acc']['value']:.3f}, drop "
                  f"{drop['value']:+.3f} [{drop['low']:+.3f}, {drop['high']:+.3f}] "
                  f"({time.perf_counter() - t0:.0f} s)")
    return {"metrics": {"canary_acc": adapted["acc"], "canary_base_acc": base["acc"],
                        "canary_drop": drop},
            "canary": {"task": "harness_general_knowledge (lm-eval, log-likelihood MC)",
                       "items": len(adapted["items"]), "adapter_seconds": adapted["seconds"],
                       "base_seconds": base["seconds"], "per_item": {
                           k: {"base": base["items"].get(k), "adapter": v}
                           for k, v in adapted["items"].items()}}}


def _latency(cfg, strategy, suite, data, backend) -> dict:
    from harness.evaluation.adapter_latency import merged_vs_unmerged
    qs = [e.question for e in data.test[: suite.merged_latency.prompts]]
    msgs = [r.messages for r in strategy.requests(qs)[0]]  # the strategy's own prompts
    lat = merged_vs_unmerged(backend, strategy.adapter_dir, msgs, suite.merged_latency, suite.seed)
    return {"metrics": {k: lat[k] for k in ("unmerged_ms_per_query", "merged_ms_per_query")},
            "adapter_latency": lat}


def adapter_checks(cfg, strategy, suite, data, backend, store, qa_scores: dict, console) -> dict:
    out: dict = {"metrics": {}}

    def merge(part):
        from harness.metrics.perf import PERF_METRICS
        out["metrics"] |= {k: v | {"higher_is_better": PERF_METRICS[k]}
                           for k, v in part.pop("metrics", {}).items()}
        out.update(part)

    if suite.canary.enabled:
        merge(_canary(cfg, suite, backend, strategy, store.run_dir, console))
    from harness.backends.base import AdapterHost
    if (cfg.uses_adapter and suite.merged_latency.enabled and data.test
            and isinstance(backend, AdapterHost)):
        merge(_latency(cfg, strategy, suite, data, backend))
    if cfg.seeds:
        from harness.run.seeds import seed_study
        out["seed_variance"] = seed_study(cfg, suite, data, backend, store.strategy_dir(cfg.name),
                                          store.suite_dir / "cache", qa_scores)
    return out
