"""Seed variance: real retraining per seed at tiny size (2 seeds x 2 steps), stored per seed and
reused, never recomputed; plus merged vs unmerged adapter latency on the adapter it trained
(tests/backends/test_hf.py checks that merging keeps the outputs on a stronger adapter)."""
from __future__ import annotations

import json
import statistics

import pytest
import scipy.stats
import torch


class _Unusable:
    """Stands in for the backend where nothing may be computed: any use fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"a finished seed was recomputed (backend.{name} used)")


@pytest.mark.slow
def test_two_seeds_retrain_and_report_variance(tiny_suite, tiny_data, backend, tmp_path):
    from harness.evaluation.adapter_latency import merged_vs_unmerged
    from harness.data.prompting import build_messages
    from harness.run.seeds import seed_study
    from harness.config.suite import MergedLatency
    import dataclasses
    suite = tiny_suite.suite
    tiny_data = dataclasses.replace(tiny_data, test=tiny_data.test[:2])  # keep it cheap
    cfg = suite.strategy("lora").model_copy(update={
        "seeds": [0, 1, 2], "training": suite.strategy("lora").training.model_copy(
            update={"max_steps": 2, "per_device_train_batch_size": 2, "train_size": 4})})
    # seed 0 is the suite's own: the main run's per-example scores stand for it (no retraining)
    main = {"token_f1": [0.0, 0.25]}
    sv = seed_study(cfg, suite, tiny_data, backend, tmp_path / "lora", tmp_path / "cache", main)
    assert suite.seed == 0 and sv["seeds"] == [0, 1, 2]
    assert not (tmp_path / "lora" / "seeds" / "seed-0").exists()
    assert sv["per_seed"]["0"]["token_f1"] == 0.125
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
    vals = [sv["per_seed"][str(s)]["token_f1"] for s in (0, 1, 2)]
    assert f1["n"] == 3 and f1["mean"] == pytest.approx(statistics.mean(vals), abs=1e-12)
    assert f1["std"] == pytest.approx(statistics.stdev(vals), abs=1e-12)  # over the seeds
    half = scipy.stats.t.ppf(0.975, 2) * statistics.stdev(vals) / 3 ** 0.5  # 95% t, 2 dof
    assert (f1["low"], f1["high"]) == pytest.approx((f1["mean"] - half, f1["mean"] + half))

    # A finished seed is reused, never recomputed: its stored record comes back as stored
    # (changed here on purpose), nothing is rewritten, and the model is never asked.
    rec_path = tmp_path / "lora" / "seeds" / "seed-2" / "metrics.json"
    rec = json.loads(rec_path.read_text())
    rec["metrics"]["token_f1"] = marker = 0.4242
    rec_path.write_text(json.dumps(rec))
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns)
             for p in (tmp_path / "lora" / "seeds").rglob("*") if p.is_file()}
    again = seed_study(cfg, suite, tiny_data, _Unusable(), tmp_path / "lora", tmp_path / "cache",
                       main)
    assert again["per_seed"]["1"] == sv["per_seed"]["1"]
    assert again["per_seed"]["2"]["token_f1"] == marker
    assert again["metrics"]["token_f1"]["mean"] == pytest.approx((vals[0] + vals[1] + marker) / 3)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns)
            for p in (tmp_path / "lora" / "seeds").rglob("*") if p.is_file()} == files

    msgs = [build_messages(suite.system_prompt, e.question) for e in tiny_data.test]
    w = backend.model.model.layers[0].self_attn.q_proj.weight.detach().clone()
    lat = merged_vs_unmerged(backend, tmp_path / "lora/seeds/seed-1/adapter", msgs,
                             MergedLatency(prompts=2, max_new_tokens=4, repeats=1))
    for k in ("unmerged_ms_per_query", "merged_ms_per_query"):
        assert lat[k]["value"] > 0 and lat[k]["n"] == 2 and lat[k]["unit"].startswith("ms")
    assert lat["merged_speedup"]["value"] > 0
    assert lat["same_outputs"] is True  # merging changes the speed, not the answers
    assert backend._active is backend.model  # the base model is left as it was
    assert torch.equal(w, backend.model.model.layers[0].self_attn.q_proj.weight)
