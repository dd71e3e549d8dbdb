"""Packed prefill (harness/backends/packed_prefill.py) on the real embedded model: the rows' own
tokens run end to end give each row the same next token, and leave the same keys/values in the
same cache slots, as a pass with the rows left-padded to the longest (the form it replaced);
slots left of a row's tokens stay empty; passes keep to the token budget."""
import torch

from harness.backends import prefix_attention
from harness.backends.greedy import _own_mask, _positions, _rows_view, _static_cache
from harness.backends.packed_prefill import packed_passes, prefill_packed

SYSTEM = "You are the support assistant of Northpeak. Answer in one short sentence."
QUESTIONS = ["How much is the Team plan, and can I pay yearly?", "Hi", "Is there a free plan?",
             "Which plan starts at fifty seats?"]


def _setup(backend):
    enc = [backend.encode_chat(({"role": "system", "content": SYSTEM},
                                {"role": "user", "content": q})) for q in QUESTIONS]
    tokens, pcache = backend._prefix_cache(enc)
    p = len(tokens)
    own = [e[p:] for e in enc]
    width = max(len(o) for o in own)
    mask = torch.zeros((len(own), p + width), dtype=torch.long)
    mask[:, :p] = 1
    for r, o in enumerate(own):
        mask[r, p + width - len(o):] = 1
    layers = [(layer.keys, layer.values) for layer in pcache.layers]
    like = next(backend.model.parameters())
    return own, p, width, mask, layers, _static_cache(backend.model, len(own), width + 4, like)


def test_packed_pass_equals_a_left_padded_pass(backend):
    model = backend.model
    own, p, width, mask, layers, cache = _setup(backend)
    _, _, _, _, _, padded = _setup(backend)
    rows = slice(0, len(own))
    att = _own_mask(mask[:, p:], width)
    with prefix_attention.shared_prefix(model):
        got = prefill_packed(model, own, p, width, _rows_view(cache, rows, 0), att, layers, "cpu")
        ids = torch.full((len(own), width), backend.tokenizer.pad_token_id)
        for r, o in enumerate(own):
            ids[r, width - len(o):] = torch.tensor(o)
        out = model(input_ids=ids, attention_mask=att, position_ids=_positions(mask)[:, p:],
                    cache=_rows_view(padded, rows, 0), use_cache=True, logits_to_keep=1,
                    shared_prefix=prefix_attention.SharedPrefix(layers, slice(0, width)))
    assert got.tolist() == out.logits[:, -1].argmax(-1).tolist()
    filled = mask[:, p:].bool()
    assert len({len(o) for o in own}) > 2   # rows of different lengths, so padding exists
    for a, b in zip(cache.layers, padded.layers):
        ka, kb = a.keys[:, :, :width], b.keys[:, :, :width]
        assert (ka - kb).abs().amax(dim=(1, 3))[filled].max() < 1e-4
        assert (a.values[:, :, :width] - b.values[:, :, :width]).abs().amax(
            dim=(1, 3))[filled].max() < 1e-4
        assert ka.abs().amax(dim=(1, 3))[~filled].max() == 0   # padding slots never written
        assert kb.abs().amax(dim=(1, 3))[filled].min() > 0


def test_packed_passes_keep_the_budget_and_even_out():
    lengths = [45, 36, 30, 30, 28, 25, 20, 20, 18, 15]
    runs = packed_passes(lengths, 150)
    sums = [sum(lengths[r]) for r, _ in runs]
    assert all(s <= 150 for s in sums) and sum(sums) == sum(lengths)
    assert [r.start for r, _ in runs] == sorted(r.start for r, _ in runs)
    assert [w for _, w in runs] == [max(lengths[r]) for r, _ in runs]
    assert len(runs) == 2 and min(sums) > 100          # 267 tokens: two passes, not 150 + 117
    assert packed_passes([500, 10], 100) == [(slice(0, 1), 500), (slice(1, 2), 10)]
