"""Attention over a prefix every row of a batch shares, read once per step for all rows.

Contract: `shared_prefix(model)` is a context manager under which the model's attention layers
run `attention` (registered with transformers' AttentionInterface as NAME). A forward pass given
`shared_prefix=SharedPrefix(layers, slots)` (`layers`: (keys, values) per layer, batch-1 tensors
of the prefix, [1, kv_heads, P, d]; `slots`: the slice of the rows' own cache that holds tokens
yet, the rest being empty) and a 4-D boolean `attention_mask` over those slots ([rows, 1,
queries, len(slots)], True = may attend) attends to the prefix (every query sees all of it) and
to those slots of its own cache; without that keyword it is transformers'
`sdpa_attention_forward`, unchanged. Decode steps compute the prefix's scores once for all
rows (`grouped`); prefill passes whose rows' own windows are no longer than the prefix do the
same through the CPU flash kernel (`cascade`; `grouped` off the CPU); longer windows (rag's
chunks under a short system prompt), or, off the CPU, scores past GROUPED_MAX_SCORES, join the
prefix to each row's keys and run sdpa. Outputs equal attention over the prefix
copied into every row up to float rounding (tests/backends/test_greedy.py: the greedy tokens
equal `generate` on each request alone, in both forms).

Why (issue 18, BENCHMARKS.md): with the prefix copied into every row's cache, a decode step of 48
rows read 30 layers x 2 x 48 x 3 heads x 323 slots x 64 floats = 730 MB, 248 of the 323 slots the
same system prompt and shots for every row; and the KV-cache budget that sizes a decode batch was
spent on those copies. Here the prefix is one GEMM per kv-head for all rows' queries (this is
"cascade" / shared-prefix attention, as in FlashInfer and vLLM's cascade attention; transformers
has no such kernel on CPU), and the two halves are joined in one softmax. Prefill through sdpa
instead had to join the prefix to every row's keys and repeat each kv-head for its query heads
(`repeat_kv`): 16% of a 48-row prefill pass was those copies.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch

NAME = "harness_shared_prefix"
GROUPED_MAX_SCORES = 8 * 2**20   # attention scores one `grouped` call may hold (32 MiB fp32)


@dataclass
class SharedPrefix:
    layers: list   # (keys, values) of the prefix per layer, each [1, kv_heads, P, head_dim]
    slots: slice   # the own-cache slots attended (empty slots are not read at all)
    packed: tuple | None = None   # (gather, scatter): the queries come packed end to end


def attention(module, query, key, value, attention_mask, dropout=0.0, scaling=None,
              shared_prefix=None, **kwargs):
    """[rows, heads, q, d] queries over the shared prefix + the rows' own keys/values; returns
    ([rows, q, heads, d], None) as transformers' attention functions do."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward
    if shared_prefix is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout,
                                      scaling=scaling, **kwargs)
    if shared_prefix.packed is None:
        return _attend(module, query, key, value, attention_mask, scaling, shared_prefix, **kwargs)
    # a packed prefill pass (harness.backends.packed_prefill): query [1, heads, T, d], the rows'
    # tokens end to end; laid out per row (w queries each, a row's own at the end) to attend
    gather, scatter = shared_prefix.packed
    rows, w = attention_mask.shape[0], attention_mask.shape[2]
    h, d = query.shape[1], query.shape[3]
    qz = torch.cat([query[0], query.new_zeros(h, 1, d)], 1)   # the last query: padding
    q = qz[:, gather].view(h, rows, w, d).transpose(0, 1)
    out, _ = _attend(module, q, key, value, attention_mask, scaling, shared_prefix, **kwargs)
    return out.reshape(rows * w, h, d)[scatter].unsqueeze(0), None


def _attend(module, query, key, value, attention_mask, scaling, shared_prefix, **kwargs):
    """`attention` for queries laid out per row: [rows, heads, q, d]."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward
    pk, pv = shared_prefix.layers[module.layer_idx]   # [1, kvh, P, d]
    key, value = key[:, :, shared_prefix.slots], value[:, :, shared_prefix.slots]
    b, h, q = query.shape[:3]
    on_cpu = query.device.type == "cpu"
    if q > pk.shape[2] or (not on_cpu and b * h * q * (pk.shape[2] + key.shape[2])
                           > GROUPED_MAX_SCORES):
        # a long own window (rag's chunks) under a short prefix: sdpa's fused kernel over the
        # prefix joined to each row's keys was faster here (BENCHMARKS.md, 2026-12-02); and
        # sdpa never holds a whole score matrix, which for long prompts would raise the peak RSS
        keys = torch.cat([pk.expand(b, -1, -1, -1), key], dim=2)
        values = torch.cat([pv.expand(b, -1, -1, -1), value], dim=2)
        mask = torch.cat([attention_mask.new_ones(b, 1, q, pk.shape[2]), attention_mask], -1)
        return sdpa_attention_forward(module, query, keys, values, mask, scaling=scaling,
                                      **kwargs)
    mask_add = torch.zeros(attention_mask.shape, dtype=query.dtype, device=query.device)
    mask_add.masked_fill_(~attention_mask, float("-inf"))
    scale = scaling if scaling is not None else query.shape[-1] ** -0.5
    if q > 1 and on_cpu:   # a prefill pass (BENCHMARKS.md, 2026-12-03: 2.4x grouped's speed)
        out = cascade(query, key, value, mask_add, pk, pv, scale, ~attention_mask.any(-1))
    else:
        out = grouped(query, key, value, mask_add, pk[0], pv[0], scale)
    return out.transpose(1, 2), None


def cascade(q, keys, values, mask_add, pk, pv, scale: float, dead):
    """The same attention as `grouped` (`pk`/`pv` here [1, kvh, P, d]; `dead` [b, 1, n]: the
    queries that may attend none of their own slots, a row's left padding), on CPU, with no
    score matrix held: every row's queries over the prefix as one batch, then each row over its
    own keys, each one call of PyTorch's CPU flash-attention kernel (grouped-query heads without
    repeating keys); the halves are joined by their log-sum-exps (cascade attention, as
    FlashInfer merges states). The kernel is called directly because `F.scaled_dot_product_
    attention` does not return the log-sum-exp that joining needs."""
    flash = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu
    b, h, n, d = q.shape
    qp = q.transpose(0, 1).reshape(1, h, b * n, d)
    op, lp = flash(qp, pk, pv, 0.0, False, scale=scale)                 # [1, h, b*n, d], [1, h, b*n]
    oo, lo = flash(q, keys, values, 0.0, False, attn_mask=mask_add, scale=scale)
    lo = lo.masked_fill(dead, float("-inf"))  # the kernel gives a query that sees nothing 0
    lp = lp[0].reshape(h, b, n).transpose(0, 1)                          # [b, h, n]
    op = op[0].reshape(h, b, n, d).transpose(0, 1)
    lse = torch.logaddexp(lp, lo)
    return op * torch.exp(lp - lse).unsqueeze(-1) + oo * torch.exp(lo - lse).unsqueeze(-1)


def grouped(q, keys, values, mask_add, pk, pv, scale: float):
    """Attention of q [b, heads, n, d] over the prefix (`pk`/`pv` [kvh, P, d], one copy every
    row sees whole) and the rows' own `keys`/`values` [b, kvh, S, d],
    `mask_add` [b, 1, n, S] (0 = may attend, -inf = not); returns [b, heads, n, d].

    The query heads of one kv-head are grouped, so no key or value is repeated per head (what
    `repeat_kv` copies for sdpa), and the prefix's scores for all rows are one GEMM per kv-head;
    the two halves are joined in one softmax."""
    b, h, n, d = q.shape
    kvh = keys.shape[1]
    g = h // kvh
    qg = (q * scale).reshape(b, kvh, g * n, d)
    so = torch.matmul(qg, keys.transpose(-1, -2))                        # [b, kvh, g*n, S]
    so.view(b, kvh, g, n, -1).add_(mask_add.unsqueeze(2))
    m = pk.shape[1]
    sp = torch.bmm(qg.transpose(0, 1).reshape(kvh, b * g * n, d), pk.transpose(-1, -2))
    p = torch.softmax(torch.cat([sp.view(kvh, b, g * n, m).transpose(0, 1), so], -1), -1)
    out = torch.bmm(p[..., :m].transpose(0, 1).reshape(kvh, b * g * n, m), pv)
    out = out.view(kvh, b, g * n, d).transpose(0, 1) + torch.matmul(p[..., m:], values)
    return out.reshape(b, h, n, d)


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
