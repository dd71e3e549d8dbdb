"""Optuna sweep vs exhaustive grid over the same small discrete space, on support_bot's dev split.

    python bench/sweep_vs_grid.py [--dev 16] [--max-new-tokens 24] [--seeds 20]

The space is the cross-strategy one of the suite's cheap strategies (the strategy is a
categorical parameter with conditional sub-spaces, as `sweep: {cross_strategy: true}` makes it):
prompt (num_shots x template x system prompt) and rag (chunk_size x similarity_top_k x retriever
x context_sentences: whole chunks or their 3 sentences closest to the question).
1. The grid evaluates every configuration once with the real embedded model on the first `--dev`
   dev examples (objective: the suite's accuracy metric, key-fact recall, a fraction).
2. Optuna's TPE sampler (what `harness run` uses) then searches the same space through
   harness.config.sweep_space.suggest, once per seed. Greedy decoding makes the objective deterministic
   (checked below by re-evaluating one configuration), so a TPE trial reads the grid's measured
   value of the configuration it picked instead of generating again.
Prints the number of trials each needs to come within 0.01 (1 point) of the grid's best, and the
ratio grid / sweep. Never touches the test split.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPACE = {
    "prompt": {"num_shots": {"choices": [0, 1, 3]}, "template": {"choices": ["chat", "inline"]},
               "system_prompt": {"choices": [None, "terse"]}},
    "rag": {"chunk_size": {"choices": [128, 256]}, "similarity_top_k": {"choices": [1, 3]},
            "retriever": {"choices": ["dense", "bm25", "both"]},
            "context_sentences": {"choices": [None, 3]}},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", type=int, default=16, help="dev examples per evaluation")
    ap.add_argument("--max-new-tokens", type=int, default=24)
    ap.add_argument("--seeds", type=int, default=20, help="TPE repetitions")
    args = ap.parse_args()

    import optuna
    from harness.backends.hf import HFBackend
    from harness.data.dataset import load_dataset
    from harness.registry import METRICS, STRATEGIES
    from harness.run.strategy import Context, Query
    from harness.config.suite import load_suite
    from harness.config.sweep_space import Dist, apply, suggest
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    ls = load_suite(ROOT / "suites" / "support_bot.yaml")
    suite, data = ls.suite, load_dataset(ls)
    dev = data.dev[: args.dev]
    metric = suite.requirements.accuracy_metric
    backend = HFBackend(suite.model.model_copy(update={"max_new_tokens": args.max_new_tokens}))
    cache = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    spaces = {n: {k: Dist.model_validate(v) for k, v in sp.items()} for n, sp in SPACE.items()}

    def evaluate(name: str, knobs: dict) -> float:
        cfg = apply(suite.strategy(name), knobs)
        strat = STRATEGIES[cfg.type](cfg, Context(suite, data, backend, cache / "a", cache / "c"))
        strat.prepare()
        outs = [p.output for p in strat.predict([Query(e.id, e.question) for e in dev])]
        vals = [v for v in METRICS[metric].fn(outs, dev, suite.embedding.name_or_path) if v is not None]
        return sum(vals) / len(vals)

    def key(name, knobs):
        return (name,) + tuple(sorted((k, str(v)) for k, v in knobs.items()))

    grid, order, knobs_of = {}, [], {}
    t0 = time.perf_counter()
    for name, sp in SPACE.items():
        names = list(sp)
        for combo in itertools.product(*(sp[k]["choices"] for k in names)):
            knobs = dict(zip(names, combo))
            grid[key(name, knobs)] = evaluate(name, knobs)
            order.append(key(name, knobs))
            knobs_of[key(name, knobs)] = knobs
            print(f"grid {len(order):2d}: {name} {knobs} -> {metric} {grid[key(name, knobs)]:.4f}",
                  flush=True)
    grid_s = time.perf_counter() - t0
    first = order[0]
    again = evaluate(first[0], knobs_of[first])
    assert abs(again - grid[first]) < 1e-9, "objective not deterministic: lookup would be unfair"

    best = max(grid.values())
    near = [k for k in order if grid[k] >= best - 0.01]
    grid_trials = order.index(near[0]) + 1
    grid_random = (len(order) + 1) / (len(near) + 1)  # expected first hit in a random order

    needed = []
    for seed in range(args.seeds):
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=max(2, min(10, len(order) // 3))))
        hit = None
        for n in range(1, 4 * len(order) + 1):
            trial = study.ask()
            name = trial.suggest_categorical("strategy", list(SPACE))
            knobs = suggest(trial, spaces[name], f"{name}.")
            value = grid[key(name, knobs)]
            study.tell(trial, value)
            if value >= best - 0.01:
                hit = n
                break
        needed.append(hit or 4 * len(order))
    med = statistics.median(needed)
    print(f"\nspace: {len(order)} configurations; dev examples: {len(dev)}; metric: {metric} "
          f"(fraction); grid evaluation took {grid_s:.0f} s ({grid_s / len(order):.1f} s / config)")
    print(f"grid best: {best:.4f}; configurations within 0.01 of it: {len(near)}")
    print(f"grid, in declaration order: {grid_trials} trials to come within 0.01 of the best")
    print(f"grid, random order (expected): {grid_random:.1f} trials")
    print(f"Optuna TPE over {args.seeds} seeds: median {med:g} trials (mean "
          f"{statistics.mean(needed):.1f}, min {min(needed)}, max {max(needed)})")
    print(f"ratio grid (random order) / TPE median: {grid_random / med:.2f}x; "
          f"full grid / TPE median: {len(order) / med:.2f}x")


if __name__ == "__main__":
    main()
