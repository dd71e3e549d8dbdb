"""Seed variance of training strategies: retrain and re-evaluate once per seed.

Contract: `seed_study(cfg, suite, data, backend, strategy_dir, cache_dir, main_scores)` for a
strategy that trains weights (its config `trains_weights`) whose `seeds:` is set.
For each seed it trains afresh under
`<strategy>/seeds/seed-<s>/` (suite seed replaced by s, so training order, initialisation and
RAFT distractors all change), answers the test split and scores the suite's accuracy metrics;
the suite's own seed reuses the main run's scores (`main_scores`: {metric: per-example list}).
A seed folder whose `metrics.json` exists is reused, never retrained. Returns {"seeds": [...],
"per_seed": {seed: {metric: mean}}, "metrics": {metric: mean, std, 95% t-interval, n, unit}}.
"""
from __future__ import annotations

import numpy as np

from harness.evaluation.stats import seed_spread
from harness.run.store import read_json, write_json, write_jsonl
from harness.run.strategy import Context, Query


def _one_seed(cfg, suite, data, backend, seed, seed_dir, cache_dir, bar) -> dict:
    from harness.registry import METRICS, STRATEGIES
    if (seed_dir / "metrics.json").exists():
        return read_json(seed_dir / "metrics.json")
    s_suite = suite.model_copy(update={"seed": seed})
    strategy = STRATEGIES[cfg.type](cfg, Context(s_suite, data, backend, seed_dir, cache_dir))
    info = strategy.prepare(bar)
    preds = strategy.predict([Query(e.id, e.question) for e in data.test], bar)
    outs = [p.output for p in preds]
    scores = {n: METRICS[n].score(outs, data.test, suite.embedding.name_or_path, task=data.task)
              for n in suite.metrics}
    write_jsonl(seed_dir / "predictions.jsonl",
                [{"id": e.id, "output": o, "scores": {n: v[i] for n, v in scores.items()}}
                 for i, (e, o) in enumerate(zip(data.test, outs))])
    res = {"seed": seed, "train_seconds": info.get("train_seconds"),
           "metrics": {n: _mean(v) for n, v in scores.items()}}
    write_json(seed_dir / "metrics.json", res)
    return res


def _mean(xs):
    xs = [x for x in xs if x is not None]
    return float(np.mean(xs)) if xs else None


def seed_study(cfg, suite, data, backend, strategy_dir, cache_dir, main_scores: dict,
               bar=None) -> dict:
    from harness.registry import METRICS
    per_seed = {}
    for s in dict.fromkeys(cfg.seeds):  # unique, in order
        if s == suite.seed:
            per_seed[s] = {n: _mean(main_scores.get(n, [])) for n in suite.metrics}
        else:
            per_seed[s] = _one_seed(cfg, suite, data, backend, s,
                                    strategy_dir / "seeds" / f"seed-{s}", cache_dir, bar)["metrics"]
    return {"seeds": list(per_seed), "per_seed": {str(k): v for k, v in per_seed.items()},
            "metrics": {n: seed_spread([v[n] for v in per_seed.values()]) | {
                "unit": METRICS[n].unit + " (mean over test examples; spread over seeds)"}
                for n in suite.metrics}}
