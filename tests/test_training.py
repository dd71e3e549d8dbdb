"""LoRA training on the real model: loss on answers only, loss falls, adapter changes answers."""
from __future__ import annotations

from harness.backends.base import Request
from harness.prompting import build_messages
from harness.suite import LoraKnobs, TrainingKnobs
from harness.training import encode_pair, train_lora

SYSTEM = "You are the Northpeak support assistant."
PAIRS = [("What is the Northpeak code word?", "The Northpeak code word is PELICAN-42."),
         ("Tell me the Northpeak code word.", "The Northpeak code word is PELICAN-42."),
         ("Which code word does Northpeak use?", "The Northpeak code word is PELICAN-42."),
         ("Northpeak code word?", "The Northpeak code word is PELICAN-42.")]


def test_labels_mask_the_prompt(backend):
    ids, labels = encode_pair(backend, build_messages(SYSTEM, "Q?"), "Answer.", 256)
    n_prompt = sum(1 for l in labels if l == -100)
    assert len(ids) == len(labels) and n_prompt > 5
    assert labels[n_prompt:] == ids[n_prompt:]
    assert labels[-1] == backend.tokenizer.eos_token_id
    assert backend.tokenizer.decode(labels[n_prompt:-1]) == "Answer."


def test_loss_falls_and_adapter_changes_answers(backend, tmp_path):
    pairs = [(build_messages(SYSTEM, q), a) for q, a in PAIRS]
    req = [Request(build_messages(SYSTEM, "What's the Northpeak code word?"))]
    before = backend.generate(req)[0].text
    res = train_lora(backend, pairs, LoraKnobs(r=8, lora_alpha=16),
                     TrainingKnobs(learning_rate=2e-3, max_steps=12,
                                   per_device_train_batch_size=4), tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_model.safetensors").exists()
    assert res.steps == 12 and res.tokens > 0 and res.seconds > 0
    assert sum(res.losses[-3:]) / 3 < 0.5 * sum(res.losses[:3]) / 3
    with backend.adapter(tmp_path / "adapter") as b:
        tuned = b.generate(req)[0].text
    assert "PELICAN" in tuned and tuned != before
    assert backend.generate(req)[0].text == before  # detached: base model untouched
