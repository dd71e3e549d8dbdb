"""`harness run`: suite -> strategies prepared and evaluated -> scored -> stored -> decided.

Contract: `run(loaded_suite, results_root, console, storage=None)` returns (run_dir, results,
decision). With a `sweep:` block, harness.sweep.sweep first tunes the strategies on dev (studies in
`storage`, default SQLite in the run folder) and only the chosen configurations are evaluated.
- The run folder is `results_root/<suite>/<run_id>`; a strategy whose `metrics.json` exists
  there, or whose key is in the per-strategy cache (harness.run.cache: changing one strategy's knob
  recomputes only that strategy), is not recomputed, and the model is not even loaded (nor torch
  imported) when every strategy is complete.
- Each distinct model (the suite's `model:` or a strategy's override) is loaded once per
  process; a strategy's trained weights are attached and detached around its evaluation
  (`strategy.served`).
- Strategies are told apart by their config's capability flags (strategies/base.py), never by
  their type name.
- Resumable (harness.run.resume, harness.training.checkpoint): predictions are stored chunk by chunk and a
  re-run asks only the unanswered queries; training continues from its newest checkpoint.
  `strategies/<name>/progress.json` records what each process computed.
- Every strategy also answers the first `evaluation.dev_limit` dev rows (after the
  `sweep.dev_size` a sweep tuned on; `strategies/<name>/dev_predictions.jsonl`, and `dev` in
  its metrics.json); the recommendation is chosen on those and reported on test
  (harness.evaluation.analysis).
- Writes suite.resolved.json, environment.json, split.json, per-strategy files (see
  harness.run.store), metrics_spec.json (the specs of the metrics the results hold, which the
  report, decision.md and the dashboard render from), summary.json, decision.json and
  decision.md.
- With `updates:` in the suite, each strategy also measures every knowledge update
  (harness.updates.update_run; `updates` in its metrics.json, `update_usd` among its metrics).
- `only` (names, from `--strategies` / `--skip`) runs a subset: the run gets its own run id,
  suite.resolved.json stays the whole suite, and run.json, summary.json, decision.json and
  decision.md carry `partial: {"strategies": run, "skipped": not run}`, so neither the gate nor
  the dashboard can take it for a full run.
"""
from __future__ import annotations

import time
from pathlib import Path

from harness.run import cache, journal, resume
from harness.run.cache import strategy_key
from harness.data.dataset import load_dataset
from harness.evaluation.decision_md import decision_markdown
from harness.run.memory import release
from harness.run.progress import bar
from harness.run.store import (METRIC_SPECS, RunStore, config_hash, environment, run_id_for,
                           write_json, write_jsonl, write_text)
from harness.run.strategy import Context, Query


def _run_strategy(cfg, suite, data, backend, store: RunStore, console, guard=None,
                  judge=None) -> dict:
    from harness.registry import STRATEGIES
    from harness.evaluation.scoring import score, score_dev
    sdir = store.strategy_dir(cfg.name)
    strategy = STRATEGIES[cfg.type](cfg, Context(suite, data, backend, sdir,
                                                 store.suite_dir / "cache"))
    journal.begin(sdir)
    chunk = resume.chunk_size(suite)
    t0 = time.perf_counter()
    with bar(f"{cfg.name}: {cfg.label}") as b:
        info = strategy.prepare(b)
    write_json(sdir / "prepare.json", info)
    test_q = [Query(e.id, e.question) for e in data.test]
    dev, overlap = decision_dev(suite, data)
    splits = {"test": test_q, "safety": [Query(p.id, p.prompt) for p in data.safety],
              "dev": [Query(e.id, e.question) for e in dev]}
    # one sequence of batches for all three: wider decode batches (harness.run.resume)
    with bar(f"{cfg.name}: evaluating", sum(map(len, splits.values()))) as b:
        answers = resume.predict_splits(strategy, splits, b, sdir, chunk)
    preds, probe_preds, dev_preds = answers["test"], answers["safety"], answers["dev"]
    dev_result = None
    if dev:
        dev_result, dev_rows = score_dev(suite, dev, dev_preds, data.task)
        dev_result["tuned_on"] = overlap
        write_jsonl(sdir / "dev_predictions.jsonl", dev_rows)
    metrics, qa_rows, safety_rows = score(suite, data.test, preds, data.safety, probe_preds, info,
                                          cfg=cfg, kb=data.kb, guard=guard, judge=judge,
                                          task=data.task)
    n_lat = min(suite.evaluation.latency_requests, len(test_q))
    if n_lat:  # what one chat user waits: batch 1, after the batch evaluation
        from harness.evaluation.request_latency import request_latency
        with bar(f"{cfg.name}: latency, batch 1"):
            lat = request_latency(strategy, backend, [q.text for q in test_q[:n_lat]], suite.seed)
        same = sum(a == p.output for a, p in zip(lat.pop("outputs"), preds))
        metrics["metrics"] |= {k: v | {"higher_is_better": False} for k, v in lat.items()}
        metrics["request_latency"] = {"requests": n_lat, "same_answer_as_batch": same}
    if dev_result:
        metrics["dev"] = dev_result
    if cfg.trains_weights:  # forgetting canary, merged latency (adapters), seed variance
        from harness.training.adapter_checks import adapter_checks
        checks = adapter_checks(cfg, strategy, suite, data, backend, store,
                                {n: [r["scores"].get(n) for r in qa_rows] for n in suite.metrics},
                                console)
        metrics["metrics"] |= checks.pop("metrics")
        metrics |= checks
    if data.updates:  # staleness, cost of absorbing each update, accuracy after (harness.updates.update_run)
        from harness.updates.update_run import measure_updates
        upd = measure_updates(cfg, strategy, suite, data, backend, sdir, store.suite_dir / "cache",
                              info, qa_rows)
        metrics["metrics"] |= upd["metrics"]
        metrics["updates"] = upd["updates"]
    write_jsonl(sdir / "predictions.jsonl", qa_rows)
    if safety_rows:
        write_jsonl(sdir / "safety.jsonl", safety_rows)
    result = {"strategy": cfg.name, "type": cfg.type, "wall_seconds": time.perf_counter() - t0,
              "prepare": {k: v for k, v in info.items() if k != "losses"}} | metrics
    write_json(sdir / "metrics.json", result)  # last: marks the strategy complete
    resume.finish(sdir)
    journal.end()
    release()   # this strategy's freed memory goes back before the next one's peak
    console.print(f"[green]✓[/] {cfg.name}: done in {result['wall_seconds']:.0f} s")
    return result


def decision_dev(suite, data) -> tuple[list, bool]:
    """The dev rows every strategy answers for the choice: the first `evaluation.dev_limit`
    after those a sweep tuned on; (rows, True) when only tuned-on rows are left."""
    limit = suite.evaluation.dev_limit
    start = (suite.sweep.dev_size or len(data.dev)) if suite.sweep is not None else 0
    rest = data.dev[start:][:limit]
    return (rest, False) if rest or limit == 0 else (data.dev[:limit], True)


def load_backend(m, suite, ls, strategy):
    """Build a backend (harness.backends.build); its UserErrors (e.g. an unset key variable)
    name the suite file and the `model:` key of the suite, or of `strategy` when it has one."""
    from harness.backends import build
    from harness.errors import UserError
    from harness.config.suite import _lines
    try:
        return build(m, suite.pricing)
    except UserError as e:
        if e.file:
            raise
        key = "model"
        if strategy is not None and strategy.model is not None:  # by name: a swept config is a copy
            key = f"strategies.{[s.name for s in suite.strategies].index(strategy.name)}.model"
        key += "." + e.key.split(".", 1)[1] if e.key and "." in e.key else ""
        msg = str(e)
        lines = _lines(ls.path)
        raise UserError(msg, file=str(ls.path), key=key,
                        line=lines.get(key) or lines.get(key.rsplit(".", 1)[0])) from None


def backends_for(ls, console=None, on_first_load=None):
    """`get_backend(strategy=None)`: the backend of `strategy`'s own `model:` (None: the suite's
    model), each distinct model built once (load_backend) and only when first asked for;
    `on_first_load()` runs before the first one is built."""
    loaded: dict[str, object] = {}

    def get_backend(strategy=None):
        from contextlib import nullcontext
        m = ls.suite.model_for(strategy) if strategy is not None else ls.suite.model
        if m.model_dump_json() not in loaded:
            if not loaded and on_first_load is not None:
                on_first_load()
            with console.status("loading model") if console is not None else nullcontext():
                loaded[m.model_dump_json()] = load_backend(m, ls.suite, ls, strategy)
        return loaded[m.model_dump_json()]
    return get_backend


def partial_info(suite, only: list[str] | None) -> dict | None:
    """{"strategies", "skipped"} for a subset run, None for a full one."""
    if only is None or set(only) == {s.name for s in suite.strategies}:
        return None
    return {"strategies": [s.name for s in suite.strategies if s.name in only],
            "skipped": [s.name for s in suite.strategies if s.name not in only]}


def run(ls, results_root: Path, console, storage: str | None = None,
        only: list[str] | None = None) -> tuple[Path, dict, dict]:
    suite = ls.suite
    data = load_dataset(ls)
    from harness.evaluation.clusters import check_columns
    check_columns(ls, data)
    resolved = suite.model_dump(mode="json")
    partial = partial_info(suite, only)
    ident = resolved | ({"_partial": partial["strategies"]} if partial else {})
    store = RunStore(results_root, suite.name, run_id_for(ident, data.content_hash))
    write_json(store.run_dir / "suite.resolved.json",  # absolute: `harness serve` runs anywhere
               resolved | {"_source": str(ls.path.resolve())})
    write_json(store.run_dir / "split.json", data.split_info)
    write_json(store.run_dir / "run.json", {"suite": suite.name, "run_id": store.run_id,
                                           "config_hash": config_hash(resolved),
                                           "data_hash": data.content_hash}
               | ({"partial": partial} if partial else {}))
    if partial:
        suite = suite.model_copy(update={"strategies": [s for s in suite.strategies
                                                        if s.name in partial["strategies"]]})
        ls = ls.model_copy(update={"suite": suite})  # a sweep tunes only these too
        console.print(f"[yellow]partial run:[/] only {', '.join(partial['strategies'])} "
                      f"(skipped: {', '.join(partial['skipped'])}); not a full comparison")
    console.print(f"run {store.run_id} → {store.run_dir}  ({len(data.train)} train, "
                  f"{len(data.test)} test, {len(data.safety)} safety probes, "
                  f"{len(data.kb)} KB documents)")
    results: dict[str, dict] = {}
    keys = {s.name: strategy_key(resolved, s.name, data.content_hash) for s in suite.strategies}
    todo = [s for s in suite.strategies
            if not (store.is_complete(s.name) or cache.restore(store, s.name, keys[s.name]))]
    for s in suite.strategies:
        if s not in todo:
            results[s.name] = store.metrics(s.name)
            console.print(f"[green]✓[/] {s.name}: reused finished results (cache {keys[s.name]})")
    get_backend = backends_for(ls, console, lambda: write_json(store.run_dir / "environment.json",
                                                                environment(suite.seed)))
    if todo and suite.sweep is not None:  # tune on dev first; the chosen configs go to test
        from harness.sweep.sweep import run_sweep
        suite = run_sweep(ls, data, store, get_backend, console, storage)
        todo = [suite.strategy(s.name) for s in todo]
    guard = judge = None
    if todo:  # built once per run, and only when something has to be computed
        from harness.metrics.pii import build_guard
        guard = build_guard(data.kb, [e.answer for e in data.train + data.dev + data.test])
        if suite.judge:
            from harness.evaluation.judge import build_judge
            judge = build_judge(suite.judge, suite.model,
                                get_backend() if suite.model.backend == "hf" else None,
                                suite.embedding.name_or_path)
    for s in todo:
        results[s.name] = _run_strategy(s, suite, data, get_backend(s), store, console, guard,
                                        judge)
        cache.publish(store, s.name, keys[s.name])
    results = {s.name: results[s.name] for s in suite.strategies}
    from harness.evaluation.costs import add_extra_prompt_tokens
    add_extra_prompt_tokens(suite, store, results)
    from harness.evaluation.analysis import decide_run
    decision = decide_run(suite, data, store, results)
    if partial:
        decision["partial"] = partial
        decision["explanation"] = (f"Partial run (only {', '.join(partial['strategies'])}; "
                                   f"skipped {', '.join(partial['skipped'])}): not a full "
                                   "comparison. " + decision["explanation"])
    from harness.registry import specs_for
    specs = specs_for(results)
    write_json(store.run_dir / METRIC_SPECS, specs)  # what the report and dashboard render from
    write_json(store.run_dir / "summary.json", {"suite": suite.name, "run_id": store.run_id,
                                               "results": results}
               | ({"partial": partial} if partial else {}))
    from harness.training.fit import cut_warnings
    warnings = cut_warnings(results)
    for w in warnings:
        console.print(f"[yellow]warning:[/] {w}", soft_wrap=True)
    if warnings:
        decision["warnings"] = warnings
    write_json(store.run_dir / "decision.json", decision)
    md = decision_markdown(suite.name, store.run_id, decision, results, specs)
    if warnings:  # right under the title
        title, rest = md.split("\n", 1)
        md = title + "\n\n" + "\n".join(f"> warning: {w}" for w in warnings) + "\n" + rest
    write_text(store.run_dir / "decision.md", md)
    store.mark_latest()
    return store.run_dir, results, decision
