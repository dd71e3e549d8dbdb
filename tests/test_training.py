"""LoRA training on the real model: loss on answers only, loss falls, adapter changes answers."""
from __future__ import annotations

from harness.backends.base import Request
from harness.data.prompting import build_messages
from harness.config.suite import LoraKnobs, TrainingKnobs
from harness.training.training import encode_pair, train_lora

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


def _lora_free(model) -> bool:
    return not any("lora" in n for n, _ in model.named_modules())


def test_training_leaves_the_base_model_as_it_was_even_on_error(backend, tmp_path):
    """Training injects LoRA layers into the loaded base model (no copy) and must remove them."""
    import torch
    weights = {n: p.detach().clone() for n, p in backend.model.named_parameters()}
    pairs = [(build_messages(SYSTEM, q), a) for q, a in PAIRS]

    def stop(step, loss, model):
        assert not _lora_free(backend.model)  # in place while training
        raise KeyboardInterrupt

    try:
        train_lora(backend, pairs, LoraKnobs(r=4, lora_alpha=8),
                   TrainingKnobs(learning_rate=2e-3, max_steps=3, per_device_train_batch_size=2),
                   tmp_path / "a", on_step=stop)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("on_step's exception was swallowed")
    assert _lora_free(backend.model) and not backend.model.training
    after = dict(backend.model.named_parameters())
    assert weights.keys() == after.keys()
    assert all(torch.equal(weights[n], after[n]) for n in weights)
