"""Our greedy loop (harness/backends/greedy.py) on the real embedded model: the tokens of every
row equal transformers' `generate(do_sample=False)` on that row alone, with a shared prefix,
rows of different lengths, rows that stop early (and leave the batch), stop strings, an
attached adapter, and a streamer."""
from __future__ import annotations

import pytest
import torch

from harness.backends.base import Request
from harness.backends.hf import _stop_hit

SYSTEM = ("You are the support assistant of Northpeak, a project-management tool. Answer in one "
          "short sentence. Plans: Free, Team ($12 per seat), Enterprise (from 50 seats).")
QUESTIONS = ["How much is the Team plan?", "Hi", "Which plan starts at 50 seats, and who do I "
             "contact to buy it for my whole company of three hundred people?",
             "Is there a free plan?", "Write a long story about a dragon.", "What is Northpeak?"]


def _msgs(q):
    return ({"role": "system", "content": SYSTEM}, {"role": "user", "content": q})


def _alone(backend, messages, max_new, stops=()):
    """The reference: transformers' generate on one request, no batching, no shared prefix."""
    tok = backend.tokenizer
    ids = torch.tensor([backend.encode_chat(messages)])
    out = backend.active_model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                        max_new_tokens=max_new, do_sample=False,
                                        pad_token_id=tok.pad_token_id,
                                        eos_token_id=tok.eos_token_id)
    gen = out[0, ids.shape[1]:].tolist()
    n = next((k for k, t in enumerate(gen) if t in {tok.eos_token_id, tok.pad_token_id}), len(gen))
    text = tok.decode(gen[:n], skip_special_tokens=True)
    for s in stops:
        text = text.split(s, 1)[0]
    return text.strip(), n


@pytest.fixture()
def lean(backend):
    old = backend.cfg
    backend.cfg = old.model_copy(update={"batch_size": "auto", "stop": []})
    yield backend
    backend.cfg = old


def test_tokens_equal_generate_alone_with_shared_prefix_and_early_stops(lean, monkeypatch):
    from harness.backends import prefix_attention
    calls = []   # (rows, queries) of each attention call over the prefix read once

    def spy(module, query, *a, shared_prefix=None, **k):
        if shared_prefix is not None and module.layer_idx == 0:
            calls.append(tuple(query.shape[::2]))
        return real(module, query, *a, shared_prefix=shared_prefix, **k)
    real = prefix_attention.attention
    monkeypatch.setattr(prefix_attention, "attention", spy)
    limits = [24, 3, 24, 1, 24, 12]   # rows end at different steps and leave the batch
    reqs = [Request(_msgs(q), max_new_tokens=m) for q, m in zip(QUESTIONS, limits)]
    got = lean.generate(reqs)
    assert calls and calls[-1][1] == 1 and calls[-1][0] < len(reqs)  # decode steps used it
    assert lean._prefix_cache([lean.encode_chat(r.messages) for r in reqs])[0]  # prefix reused
    assert {g.batch_size for g in got} == {len(reqs)}                          # one batch
    want = [_alone(lean, r.messages, m) for r, m in zip(reqs, limits)]
    assert [(g.text, g.completion_tokens) for g in got] == want
    assert len({g.completion_tokens for g in got}) > 2


def test_own_windows_longer_than_the_prefix_give_the_same_tokens(lean, monkeypatch):
    """Prefill attention has two forms (harness.backends.prefix_attention): the prefix's scores
    as one GEMM for all rows when a row's own window is short next to the prefix, and sdpa over
    the prefix joined to each row's keys when it is longer (rag's chunks under a short system
    prompt). Both must give generate's tokens."""
    from harness.backends import prefix_attention
    seen = set()   # whether a prefill pass's own windows were longer than the prefix

    def spy(module, query, key, value, mask, scaling, shared_prefix, **k):
        if module.layer_idx == 0 and query.shape[2] > 1:
            seen.add(query.shape[2] > shared_prefix.layers[0][0].shape[2])
        return real(module, query, key, value, mask, scaling, shared_prefix, **k)
    real = prefix_attention._attend   # the queries laid out per row (after unpacking)
    monkeypatch.setattr(prefix_attention, "_attend", spy)
    long = " ".join(QUESTIONS)   # longer than the short system prompt's prefix
    msgs = [({"role": "system", "content": "You are Northpeak's support assistant."},
             {"role": "user", "content": q}) for q in (long, "Hi", QUESTIONS[2] + " " + long)]
    got = lean.generate([Request(m, max_new_tokens=10) for m in msgs])
    assert True in seen   # the sdpa form ran
    assert [(g.text, g.completion_tokens) for g in got] == [_alone(lean, m, 10) for m in msgs]


def test_prefix_copied_into_every_row_gives_the_same_tokens(lean, monkeypatch):
    """The path for attention other than sdpa (the prefix copied into each row's cache)."""
    from harness.backends import prefix_attention
    reqs = [Request(_msgs(q), max_new_tokens=12) for q in QUESTIONS]
    once = [(g.text, g.completion_tokens) for g in lean.generate(reqs)]
    monkeypatch.setattr(prefix_attention, "supported", lambda model: False)
    assert [(g.text, g.completion_tokens) for g in lean.generate(reqs)] == once
    import harness.backends.hf as hf
    monkeypatch.setattr(hf, "PREFILL_TOKENS", 1)   # one row per pass, each as wide as its row
    assert [(g.text, g.completion_tokens) for g in lean.generate(reqs)] == once


def test_prefill_in_micro_batches_changes_nothing(lean, monkeypatch):
    import harness.backends.hf as hf
    reqs = [Request(_msgs(q), max_new_tokens=10) for q in QUESTIONS]
    wide = [g.text for g in lean.generate(reqs)]
    monkeypatch.setattr(hf, "PREFILL_TOKENS", 1)   # one row per prefill pass
    assert [g.text for g in lean.generate(reqs)] == wide


def test_stop_strings_end_a_row_where_generate_would(lean):
    tok = lean.tokenizer
    msgs = _msgs("List three colours, one per line.")
    full, _ = _alone(lean, msgs, 30)
    assert "," in full, full   # the stop string occurs in the unconstrained answer
    lean.cfg = lean.cfg.model_copy(update={"stop": [","]})
    got = lean.generate([Request(msgs, max_new_tokens=30), Request(_msgs("Hi"), max_new_tokens=30)])
    assert got[0].text == full.split(",", 1)[0].strip()
    assert got[0].completion_tokens < len(tok(full)["input_ids"])   # stopped early
    assert _stop_hit(tok, ["\nQuestion:"])(tok("A.\nQuestion: b")["input_ids"])
    assert not _stop_hit(tok, [])([1, 2, 3])


def test_attached_adapter_is_what_generates(lean, tmp_path):
    from peft import LoraConfig, get_peft_model
    torch.manual_seed(0)
    peft_model = get_peft_model(lean.model, LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False,
        task_type="CAUSAL_LM"))
    peft_model.save_pretrained(tmp_path / "a")
    peft_model.unload()
    reqs = [Request(_msgs(q), max_new_tokens=8) for q in QUESTIONS[:3]]
    base = [g.text for g in lean.generate(reqs)]
    with lean.adapter(tmp_path / "a"):
        adapted = [g.text for g in lean.generate(reqs)]
        want = [_alone(lean, r.messages, 8)[0] for r in reqs]
    assert adapted == want and adapted != base


def test_streamer_gets_the_prompt_then_each_token(lean):
    class Tape:
        def __init__(self):
            self.puts, self.ended = [], False

        def put(self, value):
            self.puts.append(value.view(-1).tolist())

        def end(self):
            self.ended = True

    tape = Tape()
    req = Request(_msgs(QUESTIONS[0]), max_new_tokens=6)
    g = lean.generate([req], streamer=tape)[0]
    assert tape.puts[0] == lean.encode_chat(req.messages) and tape.ended
    streamed = sum(tape.puts[1:], [])
    assert lean.tokenizer.decode(streamed, skip_special_tokens=True).strip() == g.text
    assert len(streamed) in (g.completion_tokens, g.completion_tokens + 1)  # (+ the eos token)


def test_generate_fallback_gives_the_same_answers(lean, monkeypatch):
    """Models transformers does not mark as static-cache capable go through `generate`
    (with StopOnStrings); for this model both paths must answer alike."""
    from harness.backends.hf import HFBackend
    lean.cfg = lean.cfg.model_copy(update={"stop": [","]})
    reqs = [Request(_msgs(q), max_new_tokens=m) for q, m in zip(QUESTIONS, [24, 3, 24, 1, 24, 12])]
    ours = [(g.text, g.completion_tokens) for g in lean.generate(reqs)]
    monkeypatch.setattr(HFBackend, "_static_cache_ok", lambda self: False)
    assert [(g.text, g.completion_tokens) for g in lean.generate(reqs)] == ours


def test_prefill_passes_stay_within_the_token_budget_and_run_as_wide_as_their_longest_row():
    from harness.backends.greedy import _passes
    runs = _passes([30, 20, 10, 5, 40], 60)
    assert [(r.start, r.stop, w) for r, w in runs] == [(0, 2, 30), (2, 4, 10), (4, 5, 40)]
    assert all((r.stop - r.start) * w <= 60 or r.stop - r.start == 1 for r, w in runs)
