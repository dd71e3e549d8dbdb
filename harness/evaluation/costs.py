"""Run-level cost comparisons that need more than one strategy.

Contract: `add_extra_prompt_tokens(suite, store, results)` adds to each strategy's metrics
`extra_prompt_tokens_vs_prompt`: the mean, per test question, of its prompt tokens minus the
prompt-engineering strategy's (the first whose config is a `prompt_baseline`, i.e. the first
`type: prompt` one) on the same question, with a
paired-bootstrap 95% interval (resampling the test rows' clusters, as stored in each row's
`cluster`; single rows, said in the unit, when the rows form one cluster) — the tokens that
retrieved context (or anything else) adds to every query. Nothing is added when the run has no
prompt strategy.
"""
from __future__ import annotations

from harness.run.run_reader import Run
from harness.evaluation.stats import paired_bootstrap


def _rows(store, name) -> list[dict]:
    rec = Run(store.run_dir).strategy(name)
    return rec.predictions if rec.has("predictions.jsonl") else []


def _tokens(store, name) -> dict:
    return {r["id"]: r["prompt_tokens"] for r in _rows(store, name)}


def add_extra_prompt_tokens(suite, store, results: dict) -> None:
    base = next((s.name for s in suite.strategies if s.prompt_baseline), None)
    if base is None:
        return
    base_tokens = _tokens(store, base)
    clusters = {r["id"]: r["cluster"] for r in _rows(store, base) if "cluster" in r}
    for name, res in results.items():
        if name == base:
            continue
        c = paired_bootstrap(_tokens(store, name), base_tokens, suite.seed,
                             clusters=clusters or None)
        note = ""
        if c is None and clusters:  # every row in one cluster: no cluster spread; rows instead
            c = paired_bootstrap(_tokens(store, name), base_tokens, suite.seed)
            note = " (rows resampled: the test rows form one cluster)"
        if c is not None:
            res["metrics"]["extra_prompt_tokens_vs_prompt"] = {
                "value": c.diff, "low": c.low, "high": c.high, "n": c.n,
                "unit": f"prompt tokens / query, minus '{base}' strategy's{note}",
                "higher_is_better": False}
