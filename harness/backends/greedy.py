"""Greedy decoding of our own for the hf backend: static KV cache, prefill in micro-batches,
finished rows dropped from the batch.

Contract: `decode(model, rows, prefix, max_new, stop_ids, stop_hit, pad_id, prefill_tokens)`
generates greedily for every row of token ids (each row starts with the shared `prefix`, whose
KV cache `prefix.cache` is computed once by the caller; on sdpa attention it stays one copy that
every row attends, harness.backends.prefix_attention, else it is copied into each row's cache)
and returns per row the new token ids, ending with the token that stopped it (a stop id, or the
step whose decoded tail `stop_hit` flags) or cut at its `max_new`. The tokens equal
`model.generate(do_sample=False)` run on each row alone (tests/backends/test_greedy.py);
`streamer` (one row only) receives tokens as transformers' streamers do (prompt first).

Why not `generate`: profiled on this CPU (BENCHMARKS.md, issue 18), a batch-16 decode step of
`generate` spent 36% of its time in `torch.cat` (its DynamicCache grows K/V by concatenation,
copying the whole cache every step) and finished rows kept being computed until the longest
ended. Here the KV cache is preallocated once (transformers' `StaticCache`, written in place),
rows that finish leave the batch, and the prompts are prefilled a few rows at a time
(`prefill_tokens` bounds the activation memory) into the rows' slots of the one cache, so the
decode batch can be wide while the peak memory stays that of a small prefill. With the prefix
shared, a prefill pass runs the rows' own tokens packed end to end (no padding slot run through
the projections and MLPs: harness.backends.packed_prefill).
"""
from __future__ import annotations

import copy
from contextlib import nullcontext
from dataclasses import dataclass

import torch

from harness.backends import prefix_attention
from harness.backends.packed_prefill import packed_passes, prefill_packed


@dataclass
class Prefix:
    tokens: list[int]
    cache: object  # a transformers Cache holding the prefix's keys and values (batch 1)


def _static_cache(model, rows: int, length: int, like):
    """A StaticCache for `rows` x `length` tokens, allocated now, in `like`'s dtype/device."""
    from transformers import StaticCache
    cfg = model.config.get_text_config(decoder=True)
    cache = StaticCache(config=cfg, max_cache_len=length)
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    cache.early_initialization(rows, cfg.num_key_value_heads, head_dim, like.dtype, like.device)
    return cache


def _rows_view(cache, rows: slice, filled: int):
    """A StaticCache over `rows` of `cache`: its layers' keys/values are views of those rows, so
    a forward pass through it writes into `cache` in place; `filled` positions are taken."""
    from transformers import StaticCache
    view = StaticCache.__new__(StaticCache)
    view.__dict__.update(cache.__dict__)
    view.layers = []
    for layer in cache.layers:
        v = copy.copy(layer)
        v.keys, v.values = layer.keys[rows], layer.values[rows]
        v.batch_size = v.keys.shape[0]
        v.cumulative_length = torch.tensor(filled, dtype=torch.long, device=layer.keys.device)
        view.layers.append(v)
    return view


def _positions(mask: torch.Tensor) -> torch.Tensor:
    """Position ids from a left-padded mask, as `generate` makes them (padding at 1)."""
    pos = mask.long().cumsum(-1) - 1
    return pos.masked_fill(mask == 0, 1)


@torch.inference_mode()
def decode(model, rows: list[list[int]], prefix: Prefix | None, max_new: list[int],
           stop_ids: set[int], stop_hit, pad_id: int, prefill_tokens: int = 2048,
           streamer=None) -> list[list[int]]:
    shared = prefix is not None and prefix_attention.supported(model)
    with prefix_attention.shared_prefix(model) if shared else nullcontext():
        return _decode(model, rows, prefix, max_new, stop_ids, stop_hit, pad_id, prefill_tokens,
                       streamer, shared)


def _own_mask(mask: torch.Tensor, queries: int) -> torch.Tensor:
    """[rows, 1, queries, slots] boolean mask over a window of the rows' own cache slots
    (`mask`: [rows, slots], 1 = filled): the queries are the window's last `queries` slots and
    see the filled slots up to their own (one query, a decode step, sees every filled slot)."""
    m = mask.bool()[:, None, None, :]
    if queries == 1:
        return m
    n = mask.shape[1]
    causal = torch.arange(n)[None, :] <= torch.arange(n - queries, n)[:, None]
    return m & causal


def _passes(lengths: list[int], budget: int) -> list[tuple[slice, int]]:
    """Consecutive runs of rows, each with the longest own length in it, such that rows x that
    length stays within `budget` tokens (at least one row per run). Rows come sorted longest
    first (HFBackend.generate), so a run's shorter rows carry little padding."""
    runs, s = [], 0
    while s < len(lengths):
        e, w = s + 1, lengths[s]
        while e < len(lengths) and (e + 1 - s) * max(w, lengths[e]) <= budget:
            w, e = max(w, lengths[e]), e + 1
        runs.append((slice(s, e), w))
        s = e
    return runs


def _decode(model, rows, prefix, max_new, stop_ids, stop_hit, pad_id, prefill_tokens, streamer,
            shared: bool) -> list[list[int]]:
    """`shared`: the prefix is attended once for all rows (harness.backends.prefix_attention) and
    each row's cache holds its own tokens only; else the prefix is copied into every row."""
    dev = next(model.parameters()).device
    p = len(prefix.tokens) if prefix else 0
    own = [r[p:] for r in rows]
    width = max(len(o) for o in own)
    total = p + width + max(max_new)
    n = len(rows)
    ids = torch.full((n, width), pad_id, dtype=torch.long)
    mask = torch.zeros((n, total), dtype=torch.long)
    mask[:, :p] = 1
    for r, o in enumerate(own):
        ids[r, width - len(o):] = torch.tensor(o, dtype=torch.long)
        mask[r, p + width - len(o):p + width] = 1
    like = next(model.parameters())
    base = p if shared else 0   # cache slot 0 is this position of the sequence
    cache = _static_cache(model, n, total - base, like)
    layers = [(layer.keys, layer.values) for layer in prefix.cache.layers] if shared else None

    def extra(slots: slice) -> dict:   # the own-cache slots a pass reads (shared prefix only)
        return {"shared_prefix": prefix_attention.SharedPrefix(layers, slots)} if shared else {}
    if prefix and not shared:
        for big, small in zip(cache.layers, prefix.cache.layers):
            big.keys[:, :, :p], big.values[:, :, :p] = small.keys, small.values

    if streamer is not None:
        streamer.put(torch.tensor(rows[0]))
    # Prefill a few rows at a time straight into their slots of the one cache (a cache whose
    # layers are views of those rows): the activations of a pass grow with its tokens; packed
    # (shared prefix) it runs only the rows' tokens, else as wide as its longest row (its left
    # padding slots stay empty).
    last = torch.empty(n, dtype=torch.long, device=dev)
    if shared:   # the rows' own tokens packed end to end, no padding slot run
        for part, w in packed_passes([len(o) for o in own], prefill_tokens):
            lo = width - w
            last[part] = prefill_packed(model, own[part], p, width, _rows_view(cache, part, 0),
                                        _own_mask(mask[part, p + lo:p + width], w), layers, dev)
    for part, w in ([] if shared else _passes([len(o) for o in own], prefill_tokens)):
        lo = width - w   # the pass's first own slot
        m = mask[part, :p + width]
        out = model(input_ids=ids[part, lo:].to(dev), attention_mask=m.to(dev),
                    position_ids=_positions(m)[:, p + lo:].to(dev),
                    cache=_rows_view(cache, part, p + lo - base), use_cache=True,
                    logits_to_keep=1)
        last[part] = out.logits[:, -1].argmax(-1)
        del out
    for layer in cache.layers:
        layer.cumulative_length.fill_(p + width - base)
    generated: list[list[int]] = [[] for _ in rows]
    alive = list(range(n))   # original row index of each row still in the batch
    pos = _positions(mask[:, :p + width])[:, -1:]
    cur = p + width
    finished: set[int] = set()   # rows done but still in the batch (their tokens are ignored)
    while alive:
        keep = []
        for j, r in enumerate(alive):
            if r in finished:
                continue
            tok = int(last[j])
            generated[r].append(tok)
            if tok in stop_ids or len(generated[r]) >= max_new[r] or stop_hit(generated[r]):
                finished.add(r)
            else:
                keep.append(j)
        if streamer is not None and generated[0] and alive and alive[0] == 0:
            streamer.put(torch.tensor([generated[0][-1]]))
        if not keep:
            break
        if len(alive) - len(keep) >= max(1, len(alive) // 4):
            # drop finished rows from the batch (and the cache) once a quarter has finished:
            # a copy of the cache costs about what a few steps of dead rows do
            sel = torch.tensor(keep, device=dev)
            for layer in cache.layers:
                layer.keys = layer.keys.index_select(0, sel)
                layer.values = layer.values.index_select(0, sel)
            mask, pos, last = mask[keep], pos[keep], last[sel]
            alive = [alive[j] for j in keep]
        mask[:, cur] = 1
        pos = pos + 1
        att = _own_mask(mask[:, p:cur + 1], 1) if shared else mask[:, :cur + 1]
        out = model(input_ids=last.view(-1, 1), attention_mask=att.to(dev),
                    position_ids=pos.to(dev), cache=cache, use_cache=True,
                    **extra(slice(0, cur + 1 - p)))
        last = out.logits[:, -1].argmax(-1)
        cur += 1
    if streamer is not None:
        streamer.end()
    return generated
