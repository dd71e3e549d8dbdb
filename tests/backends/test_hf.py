"""hf backend on the real embedded model: batching is exact, usage is counted, adapters detach."""
from __future__ import annotations

import pytest

from harness.backends.base import Request
from harness.registry import BACKENDS

PROMPTS = ["What is the capital of France?", "Name a colour.",
           "Explain in one sentence what a refund is.", "How many days are in a week?",
           "Say hello."]


def _reqs():
    return [Request(({"role": "user", "content": p},)) for p in PROMPTS]


def test_registered_backends_follow_the_protocol(backend):
    assert isinstance(backend, BACKENDS["hf"])
    gens = backend.generate(_reqs()[:2])
    for g in gens:
        assert isinstance(g.text, str) and g.text
        assert g.prompt_tokens > 5 and 0 < g.completion_tokens <= 16 and g.latency_s > 0


def test_batched_generation_equals_batch_size_one(backend):
    batched = backend.generate(_reqs())  # batch_size 4: two batches, left padding
    old = backend.cfg
    backend.cfg = old.model_copy(update={"batch_size": 1})
    try:
        single = backend.generate(_reqs())
    finally:
        backend.cfg = old
    assert [g.text for g in batched] == [g.text for g in single]
    assert [g.completion_tokens for g in batched] == [g.completion_tokens for g in single]
    assert max(g.batch_size for g in batched) == 4 and {g.batch_size for g in single} == {1}


def test_answers_in_request_order(backend):
    """generate() batches the longest prompts first; every answer must still come back at its
    own request's place, whatever order the requests are given in."""
    reqs = [Request(r.messages, max_new_tokens=4) for r in _reqs()]
    alone = [backend.generate([r])[0].text for r in reqs]
    assert len(set(alone)) == len(alone)  # five different answers: a mix-up would show
    order = [3, 0, 4, 2, 1]  # not by length; batches of 4 and 1 (batch_size 4)
    got = backend.generate([reqs[i] for i in order])
    assert [g.text for g in got] == [alone[i] for i in order]


def test_merged_adapter_computes_what_the_attached_adapter_computes(backend, tmp_path):
    """`adapter(dir, merged=True)` folds the LoRA weights into a copy of the base model; it must
    give the attached (unmerged) adapter's logits, within float rounding, and its greedy
    answers. The adapter has random LoRA weights on both sides (B is not zero), so that it
    moves the logits well beyond that tolerance: a merge that lost it would show."""
    import torch
    from peft import LoraConfig, get_peft_model
    torch.manual_seed(0)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                      init_lora_weights=False, task_type="CAUSAL_LM")
    peft_model = get_peft_model(backend.model, lora)  # in place, as training does
    try:
        peft_model.save_pretrained(str(tmp_path / "adapter"))
    finally:
        peft_model.unload()
    reqs = [Request(r.messages, max_new_tokens=6) for r in _reqs()[:2]]
    ids = torch.tensor([backend.encode_chat(reqs[0].messages)])

    def logits(model):
        with torch.inference_mode():
            return model(input_ids=ids).logits[0].float()
    base = logits(backend.model)
    with backend.adapter(tmp_path / "adapter") as b:
        unmerged, unmerged_text = logits(b.active_model), [g.text for g in b.generate(reqs)]
    before = {k: v.clone() for k, v in backend.model.state_dict().items()}
    with backend.adapter(tmp_path / "adapter", merged=True) as b:
        merged, merged_text = logits(b.active_model), [g.text for g in b.generate(reqs)]
        assert b.active_model is backend.model   # merged in place: no second copy in memory
    assert (unmerged - base).abs().max() > 1.0  # the adapter changes the model
    assert torch.allclose(merged, unmerged, rtol=1e-3, atol=1e-3), (merged - unmerged).abs().max()
    assert merged_text == unmerged_text
    assert torch.equal(logits(backend.model), base)  # the base model is left as it was
    after = backend.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # bit for bit, from the file


def test_unknown_embedded_model_is_a_user_error():
    from harness.backends.hf import resolve_model_path
    from harness.errors import UserError
    with pytest.raises(UserError, match="unknown embedded model"):
        resolve_model_path("embedded:nope")


def test_local_folder_loads_like_a_hub_id(backend):
    from harness.backends.hf import HFBackend, resolve_model_path
    from harness.config.suite import Model
    folder = resolve_model_path("embedded:smollm2-135m-instruct")
    local = HFBackend(Model(name_or_path=folder, max_new_tokens=8, batch_size=2))
    req = _reqs()[:1]
    assert local.generate(req)[0].text == backend.generate(
        [Request(req[0].messages, max_new_tokens=8)])[0].text


def test_shared_prefix_reuse_gives_the_same_greedy_output(backend):
    system = {"role": "system", "content": "You are the Northpeak support assistant. Be brief."}
    shot = ({"role": "user", "content": "What is Northpeak?"},
            {"role": "assistant", "content": "A cloud storage service."})
    reqs = [Request((system, *shot, {"role": "user", "content": p})) for p in PROMPTS]
    prefix, kv = backend._prefix_cache([backend.encode_chat(r.messages) for r in reqs])
    assert prefix is not None and len(prefix) > 16 and kv.get_seq_length() == len(prefix)
    batched = backend.generate(reqs)  # prefix prefilled once; batches of 4 and 1 reuse it
    single = [backend.generate([r])[0] for r in reqs]  # one request per call: no shared prefix
    assert [g.text for g in batched] == [g.text for g in single]
    assert [g.completion_tokens for g in batched] == [g.completion_tokens for g in single]
