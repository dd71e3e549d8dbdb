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
    gens = backend.generate(_reqs()[:4])
    assert "paris" in gens[0].text.lower()


def test_unknown_embedded_model_is_a_user_error():
    from harness.backends.hf import resolve_model_path
    from harness.errors import UserError
    with pytest.raises(UserError, match="unknown embedded model"):
        resolve_model_path("embedded:nope")


def test_local_folder_loads_like_a_hub_id(backend):
    from harness.backends.hf import HFBackend, resolve_model_path
    from harness.suite import Model
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
