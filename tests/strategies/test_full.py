"""`full` fine-tuning on the real embedded model: every weight trained on a copy, the base model
left as loaded, the weights saved as safetensors, canaried and served like an adapter."""
from __future__ import annotations

import io
import json

import pytest
import torch
import yaml
from rich.console import Console

from harness.backends.base import Request
from harness.run.strategy import Context
from tests.conftest import TINY

pytestmark = pytest.mark.slow
PROMPT = Request(({"role": "user", "content": "How do I restore a deleted file?"},), 4)


def _checksums(model) -> dict[str, float]:
    with torch.no_grad():
        return {n: float(p.double().sum()) for n, p in model.named_parameters()}


def _logits(model, backend) -> torch.Tensor:
    ids = torch.tensor([backend.encode_chat(PROMPT.messages)])
    with torch.no_grad():
        return model(input_ids=ids).logits[0, -1]


def test_full_trains_every_weight_of_a_copy_and_leaves_the_base_model(backend, tiny_suite,
                                                                      tiny_data, tmp_path):
    from strategies.full import Full, FullStrategy
    cfg = FullStrategy(type="full", name="full", training={
        "max_steps": 2, "per_device_train_batch_size": 2, "learning_rate": 1e-4,
        "max_length": 160})
    before = _checksums(backend.model)
    strat = Full(cfg, Context(tiny_suite.suite, tiny_data, backend, tmp_path / "full",
                              tmp_path / "cache"))
    info = strat.prepare()
    assert _checksums(backend.model) == before and backend.active_model is backend.model
    assert info["trainable_params"] == sum(p.numel() for p in backend.model.parameters())
    assert info["steps"] == 2 and len(info["losses"]) == 2
    weights = tmp_path / "full" / "weights"
    assert info["weights"] == str(weights) and (weights / "model.safetensors").is_file()
    from safetensors.torch import load_file
    saved = load_file(weights / "model.safetensors")
    base = dict(backend.model.named_parameters())
    assert any(not torch.equal(t, base[n]) for n, t in saved.items() if n in base)
    with strat.served(backend) as b:
        assert b.active_model is not backend.model
        tuned = _logits(b.active_model, backend)
    assert backend.active_model is backend.model  # detached after the block
    assert not torch.allclose(tuned, _logits(backend.model, backend))
    again = Full(cfg, Context(tiny_suite.suite, tiny_data, backend, tmp_path / "full",
                              tmp_path / "cache")).prepare()
    assert again["from_cache"] is True and again["losses"] == info["losses"]


@pytest.fixture(scope="module")
def wrecked_run(tmp_path_factory):
    """A finished run of `full` alone, trained at a learning rate that wrecks the model (two
    AdamW steps of 0.05 per weight), with the forgetting canary on."""
    from harness.run.runner import run
    from harness.config.suite import load_suite
    d = tmp_path_factory.mktemp("full-run")
    raw = yaml.safe_load(TINY.read_text())
    for k in ("train", "dev", "test", "knowledge_base", "safety"):
        raw["data"][k] = str((TINY.parent / raw["data"][k]).resolve())
    raw["data"]["limit"] = {"train": 8, "test": 2, "safety": 1}
    raw["model"] = {"max_new_tokens": 8, "batch_size": 8}
    raw["strategies"] = [{"name": "full", "type": "full", "training": {
        "max_steps": 2, "per_device_train_batch_size": 4, "learning_rate": 0.05,
        "max_length": 160}}]
    raw["canary"] = {"enabled": True, "limit": 8}
    raw.pop("profiles")
    (d / "suite.yaml").write_text(yaml.safe_dump(raw))
    run_dir, results, _ = run(load_suite(d / "suite.yaml"), d / "results",
                              Console(file=io.StringIO()))
    return run_dir, results["full"]


def test_the_canary_runs_on_the_fine_tuned_weights(wrecked_run):
    _, res = wrecked_run
    drop = res["metrics"]["canary_drop"]
    assert drop["n"] == 8 and drop["unit"].startswith("accuracy drop, base - trained weights")
    assert drop["value"] > 0 and drop["low"] <= drop["value"] <= drop["high"]  # it forgot
    assert "merged_ms_per_query" not in res["metrics"]  # an adapter-only check
    assert res["prepare"]["trainable_params"] > 100_000_000  # every weight of SmolLM2-135M


def test_serve_answers_with_the_fine_tuned_weights(wrecked_run, backend):
    from harness.apps.serve import served_strategy
    run_dir, _ = wrecked_run
    rows = [json.loads(line) for line in
            (run_dir / "strategies" / "full" / "predictions.jsonl").read_text().splitlines()]
    with served_strategy(run_dir, "full", backend=backend) as served:
        reqs = [served.request([{"role": "user", "content": r["question"]}], 8) for r in rows]
        answers = [served.generate(r, None).text for r in reqs]
        strat = served.strategy
    assert answers == [r["output"] for r in rows]  # greedy: the run's answers, reproduced
    assert backend.active_model is backend.model
    reqs, _ = strat.requests([r["question"] for r in rows])
    base = [g.text for g in backend.generate([Request(r.messages, 8) for r in reqs])]
    assert base != answers  # ...and they are not the base model's
