"""Forgetting canary through lm-eval: a deliberately broken adapter must lower the score."""
from __future__ import annotations

import copy
import statistics

import pytest
import torch


@pytest.fixture(scope="module")
def broken_adapter(backend, tmp_path_factory):
    """A LoRA adapter whose B matrices are large random values: it wrecks the model."""
    from peft import LoraConfig, get_peft_model
    model = get_peft_model(copy.deepcopy(backend.model),
                           LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=8,
                                      target_modules=["q_proj", "v_proj"]))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 2.0)
    out = tmp_path_factory.mktemp("broken") / "adapter"
    model.save_pretrained(str(out))
    return out


@pytest.mark.slow
def test_broken_adapter_lowers_canary(backend, broken_adapter, tmp_path, monkeypatch, capfd):
    from harness.training.canary import canary_drop, canary_scores, task_config
    assert task_config()["dataset_path"] == "json"  # local data, written for this project
    # Outside a git checkout lm-eval's `git describe` subprocess said "fatal: not a git
    # repository" past Python's stderr redirect; capfd sees file descriptors, as a terminal does
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    capfd.readouterr()
    base = canary_scores(backend, limit=10, batch_size=8)
    assert capfd.readouterr() == ("", ""), "the canary printed to the terminal"
    with backend.adapter(broken_adapter) as b:
        broken = canary_scores(b, limit=10, batch_size=8)
    assert len(base["items"]) == len(broken["items"]) == 10
    for s in (base, broken):  # the score is the mean of lm-eval's per-item correctness
        assert set(s["items"].values()) <= {0.0, 1.0}
        assert s["acc"]["value"] == pytest.approx(statistics.mean(s["items"].values()))
    drop = canary_drop(base, broken)
    assert broken["acc"]["value"] < base["acc"]["value"]  # the wrecked adapter forgets
    assert drop["value"] == pytest.approx(base["acc"]["value"] - broken["acc"]["value"])
    assert drop["unit"].startswith("accuracy drop") and drop["low"] <= drop["value"] <= drop["high"]

