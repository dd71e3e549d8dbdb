"""Attention over a prefix every row of a batch shares, read once per step for all rows.

Contract: `shared_prefix(model)` is a context manager under which the model's attention layers
run `attention` (registered with transformers' AttentionInterface as NAME). A forward pass given
`shared_prefix=SharedPrefix(layers, slots)` (`layers`: (keys, values) per layer, batch-1 tensors
of the prefix, [1, kv_heads, P, d]; `slots`: the slice of the rows' own cache that holds tokens
yet, the rest being empty) and a 4-D boolean `attention_mask` over those slots ([rows, 1,
queries, len(slots)], True = may attend) attends to the prefix (every query sees all of it) and
to those slots of its own cache; without that keyword it is transformers'
`sdpa_attention_forward`, unchanged. Prefill (several queries) joins the prefix to the rows'
keys and runs sdpa as before; a decode step (one query) computes the prefix's scores once for
all rows. Outputs equal attention over the prefix copied into every row up to float rounding
(tests/backends/test_greedy.py: the greedy tokens equal `generate` on each request alone).

Why (issue 18, BENCHMARKS.md): with the prefix copied into every row's cache, a decode step of 48
rows read 30 layers x 2 x 48 x 3 heads x 323 slots x 64 floats = 730 MB, 248 of the 323 slots the
same system prompt and shots for every row; and the KV-cache budget that sizes a decode batch was
spent on those copies. Here the prefix is one GEMM per kv-head for all rows' queries (this is
"cascade" / shared-prefix attention, as in FlashInfer and vLLM's cascade attention; transformers
has no such kernel on CPU), and the two halves are joined in one softmax.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch

NAME = "harness_shared_prefix"


@dataclass
class SharedPrefix:
    layers: list   # (keys, values) of the prefix per layer, each [1, kv_heads, P, head_dim]
    slots: slice   # the own-cache slots attended (empty slots are not read at all)


def attention(module, query, key, value, attention_mask, dropout=0.0, scaling=None,
              shared_prefix=None, **kwargs):
    """[rows, heads, q, d] queries over the shared prefix + the rows' own keys/values; returns
    ([rows, q, heads, d], None) as transformers' attention functions do."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward
    if shared_prefix is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout,
                                      scaling=scaling, **kwargs)
    pk, pv = shared_prefix.layers[module.layer_idx]   # [1, kvh, P, d]
    key, value = key[:, :, shared_prefix.slots], value[:, :, shared_prefix.slots]
    b, h, q, d = query.shape
    if q > 1:  # prefill: the prefix joined to each row's keys, through sdpa as before
        keys = torch.cat([pk.expand(b, -1, -1, -1), key], dim=2)
        values = torch.cat([pv.expand(b, -1, -1, -1), value], dim=2)
        mask = torch.cat([attention_mask.new_ones(b, 1, q, pk.shape[2]), attention_mask], -1)
        return sdpa_attention_forward(module, query, keys, values, mask, dropout=dropout,
                                      scaling=scaling, **kwargs)
    kvh = key.shape[1]
    g = h // kvh
    scale = scaling if scaling is not None else d ** -0.5
    qg = query.reshape(b, kvh, g, d)                   # the query heads of one kv-head together
    # prefix: every row's queries against its one copy of the keys (one GEMM per kv-head)
    qp = qg.transpose(0, 1).reshape(kvh, b * g, d)
    sp = torch.matmul(qp, pk[0].transpose(-1, -2)).mul_(scale)       # [kvh, b*g, P]
    sp = sp.view(kvh, b, g, -1).transpose(0, 1)                      # [b, kvh, g, P]
    so = torch.matmul(qg, key.transpose(-1, -2)).mul_(scale)         # [b, kvh, g, S]
    so = so.masked_fill(~attention_mask, float("-inf"))              # mask [b, 1, 1, S]
    p = torch.softmax(torch.cat([sp, so], dim=-1), dim=-1)
    n = sp.shape[-1]
    pp = p[..., :n].transpose(0, 1).reshape(kvh, b * g, n)
    out = torch.matmul(pp, pv[0]).view(kvh, b, g, d).transpose(0, 1)
    out = out + torch.matmul(p[..., n:], value)                      # [b, kvh, g, d]
    return out.reshape(b, 1, h, d), None


def _register() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask
    AttentionInterface.register(NAME, attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(NAME, sdpa_mask)  # 2-D masks: as sdpa's


def _configs(model) -> dict:
    return {id(m.config): m.config for m in model.modules()
            if hasattr(m, "layer_idx") and hasattr(m, "config")}


def supported(model) -> bool:
    """Whether `shared_prefix` applies: the model's attention layers run sdpa (eager, flash or
    a remote model's own attention keep the prefix copied into every row)."""
    impls = {c._attn_implementation for c in _configs(model).values()}
    return bool(impls) and impls <= {"sdpa", NAME}


@contextmanager
def shared_prefix(model):
    """The model's attention layers run `attention` for the block, then what they ran before
    (the model must be `supported`)."""
    _register()
    configs = _configs(model)
    before = {k: c._attn_implementation for k, c in configs.items()}
    try:
        for c in configs.values():
            c._attn_implementation = NAME
        yield
    finally:
        for k, c in configs.items():
            c._attn_implementation = before[k]
