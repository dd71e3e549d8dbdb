"""Sequence packing for causal-LM fine-tuning, without attention across examples.

Contract:
- `pack(features, capacity, pad_id)` turns (input_ids, labels) pairs (labels -100 on the prompt)
  into a `Packed` batch: examples concatenated into rows of at most `capacity` tokens (an example
  longer than `capacity` gets a row of its own), rows right-padded to the longest row.
  `position_ids` restart at 0 for every example (and for the padding tail), which is how
  transformers marks packed sequences: with `attention_mask=None` and no cache, its mask builder
  (`masking_utils.find_packed_sequence_indices`) turns the restarts into a block-diagonal causal
  mask for sdpa/eager attention, so no token attends to another example. Rows holding a single
  example are run as a plain right-padded batch with causal attention only (the padding comes
  after every real token, so it is never attended to: same result, faster).
- `micro_batches(lengths, max_tokens)` splits one optimizer step's examples into groups whose
  padded area (examples x longest length) stays within `max_tokens`, longest first: the step's
  gradient is accumulated over them (the same update as one batch, at a bounded activation
  memory: ~1.4 MB per token for SmolLM2-135M in fp32).
- `keep` marks the positions whose next token is an answer token, `targets` holds those next
  tokens (row-major order). `packed_loss(model, batch)` runs the model with `logits_to_keep=keep`,
  so the vocabulary projection (a fifth of this model's FLOPs) is computed only where the loss
  needs it, and returns the mean cross-entropy over answer tokens: the same value as the
  unpacked, padded batch's `model(..., labels=labels).loss`.
- Shared prefix: `pack(..., prefix=shared_prefix(features))` leaves out the tokens every example
  starts with (the chat template's system turn: 73 of ~116 tokens per support_bot example) and
  keeps them once in `prefix_ids`. `packed_logits` then runs the prefix once, repeats its keys and
  values for every row, and runs the examples' own tokens (one per row, right-padded) on top:
  each example attends to the prefix and to itself only, exactly as when run alone, and the
  gradient of the prefix's computation is the sum over the rows (autograd through the repeat).
  `shared_prefix` stops inside every example's prompt, so no loss position lies in the prefix.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

MIN_SHARED_PREFIX = 16  # tokens; a shorter shared prefix is not worth its own forward pass


@dataclass
class Packed:
    input_ids: torch.Tensor      # (rows, width) long
    position_ids: torch.Tensor   # (rows, width) long, restarting per example
    keep: torch.Tensor           # (rows, width) bool: positions predicting an answer token
    targets: torch.Tensor        # (n_keep,) long
    tokens: int                  # real tokens (no padding)
    spans: list[tuple[int, int, int]]  # (row, start, length) of each input example, in order
    prefix_ids: torch.Tensor | None = None  # (p,) long: tokens shared by every example, run once
    computed: int = 0            # tokens run through the model (the prefix counted once)

    @property
    def one_per_row(self) -> bool:
        return len({r for r, _, _ in self.spans}) == len(self.spans)


def _rows(lengths: list[int], capacity: int) -> list[list[int]]:
    """First-fit decreasing: example indices per row."""
    rows: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        r = next((r for r, free in enumerate(room) if free >= lengths[i]), None)
        if r is None:
            rows.append([]); room.append(max(capacity, lengths[i])); r = len(rows) - 1
        rows[r].append(i); room[r] -= lengths[i]
    return rows


def shared_prefix(features: list[tuple[list[int], list[int]]],
                  minimum: int = MIN_SHARED_PREFIX) -> int:
    """Number of leading tokens all examples share, cut so that no position inside it predicts
    an answer token (every loss position stays among the examples' own tokens, which are never
    empty); 0 if that is under `minimum` tokens or there are < 2 examples."""
    if len(features) < 2:
        return 0
    first = features[0][0]
    limit = min(next((i for i, t in enumerate(y) if t != -100), len(y)) - 1 for _, y in features)
    p = 0
    while p < limit and all(x[p] == first[p] for x, _ in features):
        p += 1
    return p if p >= minimum else 0


def pack(features: list[tuple[list[int], list[int]]], capacity: int, pad_id: int,
         prefix: int = 0) -> Packed:
    """`prefix` > 0 (from `shared_prefix`): those tokens are kept once in `prefix_ids` and each
    example's remaining tokens get a row of their own (spans then index those rows)."""
    full = sum(len(x) for x, _ in features)
    prefix_ids = None
    if prefix:
        prefix_ids = torch.tensor(features[0][0][:prefix], dtype=torch.long)
        features = [(x[prefix:], y[prefix:]) for x, y in features]
        capacity = 0  # one example per row
    rows = _rows([len(x) for x, _ in features], capacity)
    width = max(sum(len(features[i][0]) for i in row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    pos = torch.zeros((len(rows), width), dtype=torch.long)
    nxt = torch.full((len(rows), width), -100, dtype=torch.long)
    spans: list[tuple[int, int, int] | None] = [None] * len(features)
    for r, row in enumerate(rows):
        at = 0
        for i in row:
            x, y = features[i]
            n = len(x)
            ids[r, at:at + n] = torch.tensor(x)
            pos[r, at:at + n] = torch.arange(n) + prefix  # after the shared prefix, if any
            nxt[r, at:at + n - 1] = torch.tensor(y[1:])  # next-token label, inside the example
            spans[i] = (r, at, n)
            at += n
        pos[r, at:] = torch.arange(width - at)  # the padding tail is a "sequence" of its own
    keep = nxt != -100
    return Packed(ids, pos, keep, nxt[keep], full, spans, prefix_ids,  # type: ignore[arg-type]
                  prefix + sum(len(x) for x, _ in features))


def micro_batches(lengths: list[int], max_tokens: int) -> list[list[int]]:
    groups: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        g = groups[-1] if groups else None
        if g is None or (len(g) + 1) * lengths[g[0]] > max_tokens:  # g[0] is g's longest
            groups.append([i])
        else:
            g.append(i)
    return groups


def _prefill(model, prefix_ids: torch.Tensor):
    """A DynamicCache holding the keys/values of `prefix_ids` (p,), computed by `model`."""
    from transformers import DynamicCache
    cache = DynamicCache(config=model.config)
    ids = prefix_ids[None].to(next(model.parameters()).device)
    model(input_ids=ids, cache=cache, use_cache=True,
          logits_to_keep=torch.zeros_like(ids, dtype=torch.bool))  # no logits needed
    if cache.get_seq_length() != ids.shape[1]:  # e.g. a model that ignores use_cache
        raise RuntimeError("the model did not fill the KV cache for the shared prefix")
    return cache


class StepPrefix:
    """A prefix shared by every micro-batch of one optimizer step, run once for the whole step.

    The prefix is run without autograd; its keys/values become leaf tensors that each
    micro-batch's cache repeats for its rows, so their gradients add up over the micro-batches.
    `backward()` (once, after the last micro-batch's backward) runs the prefix again with
    autograd (same weights, same RNG state, so dropout masks match) and back-propagates the
    summed gradients through it: activation checkpointing of the prefix, with the same gradient
    as running it inside every micro-batch (tests/test_packing.py)."""

    def __init__(self, model, prefix_ids: torch.Tensor):
        self.model, self.ids = model, prefix_ids
        self.rng = torch.get_rng_state()
        with torch.no_grad():
            cache = _prefill(model, prefix_ids)
        self.leaves = [[t.requires_grad_() for t in (layer.keys, layer.values)]
                       for layer in cache.layers]

    def cache(self, rows: int):
        from transformers import DynamicCache
        cache = DynamicCache(config=self.model.config)
        for i, (k, v) in enumerate(self.leaves):
            cache.update(k.expand(rows, -1, -1, -1), v.expand(rows, -1, -1, -1), i)
        return cache

    def backward(self) -> None:
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(self.rng)
            cache = _prefill(self.model, self.ids)
        outs, grads = [], []
        for layer, leaves in zip(cache.layers, self.leaves):
            for out, leaf in zip((layer.keys, layer.values), leaves):
                if leaf.grad is not None and out.requires_grad:  # e.g. keys without LoRA: no
                    outs.append(out); grads.append(leaf.grad)
        if outs:
            torch.autograd.backward(outs, grads)


def packed_logits(model, batch: Packed, keep=None,
                  prefix: StepPrefix | None = None) -> torch.Tensor:
    """Logits at `keep` positions (default: all), flattened row-major to (n, vocab). `prefix`:
    the step's shared prefix, already run (for a batch packed with that prefix)."""
    dev = next(model.parameters()).device
    keep = torch.ones_like(batch.keep) if keep is None else keep
    if batch.prefix_ids is not None:  # the shared prefix once, its keys/values for every row
        rows = batch.input_ids.shape[0]
        if prefix is not None:
            cache = prefix.cache(rows)
        else:
            cache = _prefill(model, batch.prefix_ids)
            cache.batch_repeat_interleave(rows)
        # rows are right-padded and one example each: causal attention over [prefix][own tokens]
        kw = {"cache": cache, "use_cache": True, "attention_mask": None}
    elif batch.one_per_row:  # plain right-padded rows: causal attention alone is exact for
        # every real token (the padding comes after it), so no mask at all; sdpa then runs its
        # causal kernel instead of the masked or block-diagonal path, the fastest on this CPU
        kw = {"use_cache": False, "attention_mask": None}
    else:
        kw = {"position_ids": batch.position_ids.to(dev), "use_cache": False,
              "attention_mask": None}
    out = model(input_ids=batch.input_ids.to(dev), logits_to_keep=keep.to(dev), **kw)
    return out.logits.reshape(-1, out.logits.shape[-1])


def packed_loss(model, batch: Packed, reduction: str = "mean",
                prefix: StepPrefix | None = None) -> torch.Tensor:
    logits = packed_logits(model, batch, batch.keep, prefix)
    return torch.nn.functional.cross_entropy(logits.float(), batch.targets.to(logits.device),
                                             reduction=reduction)
