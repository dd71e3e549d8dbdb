"""Seed variance: real retraining per seed at tiny size (2 seeds x 2 steps), stored per seed,
plus merged vs unmerged adapter latency on the adapter it trained."""
from __future__ import annotations

import json

import pytest
import torch


@pytest.mark.slow
def test_two_seeds_retrain_and_report_variance(tiny_suite, tiny_data, backend, tmp_path):
    from harness.adapter_latency import merged_vs_unmerged
    from harness.prompting import build_messages
    from harness.seeds import seed_study
    from harness.suite import MergedLatency
    import dataclasses
    suite = tiny_suite.suite
    tiny_data = dataclasses.replace(tiny_data, test=tiny_data.test[:2])  # keep it cheap
    cfg = suite.strategy("lora").model_copy(update={
        "seeds": [1, 2], "training": suite.strategy("lora").training.model_copy(
            update={"max_steps": 2, "per_device_train_batch_size": 2, "train_size": 4})})
    sv = seed_study(cfg, suite, tiny_data, backend, tmp_path / "lora", tmp_path / "cache", {})
    assert sv["seeds"] == [1, 2]
    for s in (1, 2):
        d = tmp_path / "lora" / "seeds" / f"seed-{s}"
        assert (d / "adapter" / "adapter_model.safetensors").is_file()
        rec = json.loads((d / "metrics.json").read_text())
        assert rec["seed"] == s and rec["train_seconds"] > 0
        assert len((d / "predictions.jsonl").read_text().splitlines()) == len(tiny_data.test)
    a = (tmp_path / "lora/seeds/seed-1/adapter/adapter_model.safetensors").read_bytes()
    b = (tmp_path / "lora/seeds/seed-2/adapter/adapter_model.safetensors").read_bytes()
    assert a != b  # really retrained with another seed
    f1 = sv["metrics"]["token_f1"]
    vals = [sv["per_seed"][str(s)]["token_f1"] for s in (1, 2)]
    assert f1["n"] == 2 and abs(f1["mean"] - sum(vals) / 2) < 1e-12
    assert f1["low"] <= f1["mean"] <= f1["high"] and f1["std"] >= 0
    again = seed_study(cfg, suite, tiny_data, backend, tmp_path / "lora", tmp_path / "cache", {})
    assert again["per_seed"] == sv["per_seed"]  # finished seeds are reused

    msgs = [build_messages(suite.system_prompt, e.question) for e in tiny_data.test]
    w = backend.model.model.layers[0].self_attn.q_proj.weight.detach().clone()
    lat = merged_vs_unmerged(backend, tmp_path / "lora/seeds/seed-1/adapter", msgs,
                             MergedLatency(prompts=2, max_new_tokens=4, repeats=1))
    for k in ("unmerged_ms_per_query", "merged_ms_per_query"):
        assert lat[k]["value"] > 0 and lat[k]["n"] == 2 and lat[k]["unit"].startswith("ms")
    assert lat["merged_speedup"]["value"] > 0 and isinstance(lat["same_outputs"], bool)
    assert backend._active is backend.model  # the base model is left as it was
    assert torch.equal(w, backend.model.model.layers[0].self_attn.q_proj.weight)
