"""harness.evaluation.costs: extra prompt tokens against the prompt strategy, read from the stored
predictions through the run reader."""
from __future__ import annotations

import json
from types import SimpleNamespace

from harness.evaluation.costs import add_extra_prompt_tokens
from harness.run.store import RunStore


def test_extra_prompt_tokens_are_paired_per_question_from_stored_predictions(tmp_path):
    store = RunStore(tmp_path, "s", "r1")
    tokens = {"prompt": [100, 110, 120, 130], "rag": [400, 420, 430, 450], "lora": []}
    for name, toks in tokens.items():
        store.strategy_dir(name).mkdir(parents=True)
        if toks:
            (store.strategy_dir(name) / "predictions.jsonl").write_text("".join(
                json.dumps({"id": f"q{i}", "prompt_tokens": t}) + "\n" for i, t in enumerate(toks)))
    suite = SimpleNamespace(seed=0, strategies=[
        SimpleNamespace(name=n, prompt_baseline=n == "prompt") for n in tokens])
    results = {n: {"metrics": {}} for n in tokens}
    add_extra_prompt_tokens(suite, store, results)
    e = results["rag"]["metrics"]["extra_prompt_tokens_vs_prompt"]
    assert e["value"] == 310 and e["n"] == 4 and e["low"] <= 310 <= e["high"]
    assert "'prompt' strategy's" in e["unit"] and e["higher_is_better"] is False
    assert results["prompt"]["metrics"] == {} and results["lora"]["metrics"] == {}  # no rows
