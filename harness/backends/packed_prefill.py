"""Prefill with the rows' own prompt tokens packed end to end: no padding slot is run.

Contract: `packed_passes(lengths, budget)` cuts rows (sorted longest first) into consecutive
runs of about equal token counts, each within `budget` tokens (at least one row), and gives
each run's longest own length; `prefill_packed(model, own, p, width, view, mask, layers, dev)`
runs one such pass: the rows' own tokens `own` (after a shared prefix of `p` tokens, whose
per-layer keys/values `layers` every row attends, harness.backends.prefix_attention) as one
sequence of sum(len) tokens, writes each token's keys/values into its row's slot of `view` (the
rows' own cache, right-aligned at `width` slots as greedy.decode lays it out) and returns each
row's greedy next token. `mask` is the own-window mask of the run ([rows, 1, w, w], greedy's
`_own_mask`). Tokens and cache contents equal those of a left-padded pass up to float
rounding (tests/backends/test_packed_prefill.py).

Why (issue 18, BENCHMARKS.md 2026-12-03): a padded pass runs rows x longest-row slots through
every projection and MLP; the prompt strategy's 102 requests have 2,492 own tokens in 3,450
slots (the longest row 45 tokens, the median 24), so 28% of the prefill's matmul work was
padding. Packed, only attention (a small part of a pass) is laid out per row, inside
prefix_attention.attention; the linear layers see the real tokens only.
"""
from __future__ import annotations

import copy

import torch


def packed_passes(lengths: list[int], budget: int) -> list[tuple[slice, int]]:
    """Consecutive runs of rows whose token sums stay within `budget` (at least one row each),
    evened out so that no run is left with a small remainder; with each run's longest length."""
    total = sum(lengths)
    n_runs = -(-total // max(1, budget))
    target = -(-total // max(1, n_runs))
    runs, s = [], 0
    while s < len(lengths):
        e, used = s + 1, lengths[s]
        while e < len(lengths) and used < target and used + lengths[e] <= budget:
            used, e = used + lengths[e], e + 1
        runs.append((slice(s, e), max(lengths[s:e])))
        s = e
    return runs


class _Scatter:
    """A cache layer for a packed pass: the pass's token t is written to row `rows[t]`, slot
    `slots[t]` of the rows' cache; attention reads the rows' cache as a decode step does."""

    def __init__(self, layer, rows: torch.Tensor, slots: torch.Tensor):
        self.layer, self.rows, self.slots = layer, rows, slots

    def update(self, key_states, value_states, *args, **kwargs):
        keys, values = self.layer.keys, self.layer.values
        keys[self.rows, :, self.slots] = key_states[0].transpose(0, 1)   # [T, kv_heads, d]
        values[self.rows, :, self.slots] = value_states[0].transpose(0, 1)
        return keys, values

    def __getattr__(self, name):   # everything else as the StaticLayer view it wraps
        return getattr(self.layer, name)


@torch.inference_mode()
def prefill_packed(model, own: list[list[int]], p: int, width: int, view, mask, layers, dev):
    from harness.backends.prefix_attention import SharedPrefix
    lens = torch.tensor([len(o) for o in own])
    rows, w = len(own), mask.shape[-1]
    t = int(lens.sum())
    row_of = torch.repeat_interleave(torch.arange(rows), lens)
    k = torch.arange(t) - torch.repeat_interleave(lens.cumsum(0) - lens, lens)  # index in row
    start = w - lens[row_of]                     # a row's first query in its window of w
    scatter = row_of * w + start + k             # packed token -> [rows * w] padded layout
    gather = torch.full((rows * w,), t, dtype=torch.long)   # t: an all-zero padding query
    gather[scatter] = torch.arange(t)
    packed = copy.copy(view)
    packed.layers = [_Scatter(layer, row_of.to(dev), (width - lens[row_of] + k).to(dev))
                     for layer in view.layers]
    out = model(input_ids=torch.tensor([sum(own, [])], device=dev), attention_mask=mask.to(dev),
                position_ids=(p + k)[None].to(dev), cache=packed, use_cache=True,
                logits_to_keep=(lens.cumsum(0) - 1).to(dev),
                shared_prefix=SharedPrefix(layers, slice(width - w, width),
                                           (gather.to(dev), scatter.to(dev))))
    return out.logits[0].argmax(-1)
