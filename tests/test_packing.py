"""Packing on the real model: no attention across examples, same loss as the padded batch."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
import torch

from harness.training.packing import (Packed, StepPrefix, _prefill, micro_batches, pack, packed_logits,
                             packed_loss, shared_prefix)
from harness.data.prompting import build_messages
from harness.training.training import encode_pair

SYSTEM = "You are the Northpeak support assistant."
QA = [("How do I reset my password?", "Use the 'Forgot password' link on the sign-in page."),
      ("What does the Family plan cost?", "It costs 14 euros a month for up to six people."),
      ("Can I restore deleted files?", "Yes, from the trash within 30 days.")]


def _feats(backend):
    return [encode_pair(backend, build_messages(SYSTEM, q), a, 256) for q, a in QA]


@contextmanager
def _lora(backend, **extra):
    """A peft LoRA model over the shared backend with non-zero A and B (every gradient non-zero);
    the LoRA layers are removed again afterwards. Yields (model, trainable parameters)."""
    from peft import LoraConfig, get_peft_model
    torch.manual_seed(0)  # the random A and B: a fixed draw, the same figures every run
    model = get_peft_model(backend.model, LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=8,
                                                     init_lora_weights=False, **extra))
    try:
        yield model, [p for p in model.parameters() if p.requires_grad]
    finally:
        model.unload()
        backend.model.eval()


def _same_gradient(a, b, tol=1e-4):
    """Equal up to float32 rounding: the error's norm is under `tol` of the gradient's norm.
    (Element-wise rtol fails on entries near zero, where another summation order of the same
    float32 sums differs by more than 1e-3 of the entry; a wrong gradient is off by far more.)"""
    err = (a - b).norm().item() / max(a.norm().item(), 1e-12)
    return err < tol


@pytest.mark.slow
def test_packed_example_sees_only_itself(backend):
    feats = _feats(backend)
    packed = pack(feats, capacity=10_000, pad_id=backend.tokenizer.pad_token_id)
    assert packed.input_ids.shape[0] == 1  # all three in one row
    with torch.no_grad():
        logits = packed_logits(backend.model, packed).reshape(*packed.input_ids.shape, -1)
        for (x, _), (row, start, n) in zip(feats, packed.spans):
            alone = backend.model(input_ids=torch.tensor([x])).logits[0]
            assert torch.allclose(logits[row, start:start + n], alone, atol=1e-3)
        # the check can fail: a plain concatenation (positions not restarted) leaks attention
        leaky = Packed(packed.input_ids, torch.arange(packed.input_ids.shape[1])[None],
                       packed.keep, packed.targets, packed.tokens, packed.spans)
        i = next(k for k, span in enumerate(packed.spans) if span[1] > 0)  # not first in its row
        row, start, n = packed.spans[i]
        leaked = packed_logits(backend.model, leaky).reshape(*packed.input_ids.shape, -1)
        alone = backend.model(input_ids=torch.tensor([feats[i][0]])).logits[0]
        assert not torch.allclose(leaked[row, start:start + n], alone, atol=1e-3)


@pytest.mark.slow
def test_packed_loss_equals_padded_batch_loss(backend):
    feats = _feats(backend)
    pad = backend.tokenizer.pad_token_id
    width = max(len(x) for x, _ in feats)
    ids = torch.full((3, width), pad)
    labels = torch.full((3, width), -100)
    mask = torch.zeros((3, width), dtype=torch.long)
    for r, (x, y) in enumerate(feats):
        ids[r, :len(x)], labels[r, :len(y)], mask[r, :len(x)] = torch.tensor(x), torch.tensor(y), 1
    with torch.no_grad():
        padded = backend.model(input_ids=ids, attention_mask=mask, labels=labels).loss
        for capacity in (10_000, 1):  # one row for all; one row per example
            packed = pack(feats, capacity, pad)
            assert packed.tokens == int(mask.sum())
            assert packed.targets.numel() == int((labels != -100).sum())
            assert abs(packed_loss(backend.model, packed).item() - padded.item()) < 1e-4


def test_micro_batches_bound_the_padded_area():
    lengths = [100, 450, 30, 460, 120, 90, 2000]
    groups = micro_batches(lengths, 1024)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    for g in groups:  # longest first; within budget unless a single example exceeds it
        assert lengths[g[0]] == max(lengths[i] for i in g)
        assert len(g) * lengths[g[0]] <= 1024 or len(g) == 1
    assert [6] in groups and len(groups) > 2


@pytest.mark.slow
def test_accumulated_micro_batches_give_the_full_batch_gradient(backend):
    """The training step's gradient accumulation (sum-reduced parts over the step's answer-token
    count) gives the same LoRA gradient as one batch holding every example."""
    feats = _feats(backend)
    pad = backend.tokenizer.pad_token_id
    with _lora(backend) as (model, lora):
        packed_loss(model, pack(feats, 1, pad)).backward()
        full = [p.grad.clone() for p in lora]
        model.zero_grad(set_to_none=True)
        parts = [pack([feats[i] for i in g], 1, pad) for g in micro_batches([len(x) for x, _ in feats], 60)]
        assert len(parts) == 3
        n = sum(b.targets.numel() for b in parts)
        for b in parts:
            (packed_loss(model, b, reduction="sum") / n).backward()
        for g, p in zip(full, lora):
            assert _same_gradient(g, p.grad)
        assert any(g.abs().sum() > 0 for g in full)


def test_shared_prefix_stops_inside_every_prompt():
    # same prompt, answers differ: the prefix must end before the first answer token is predicted
    x = list(range(100, 140))
    feats = [(x + [7, 8], [-100] * 40 + [7, 8]), (x + [9], [-100] * 40 + [9])]
    assert shared_prefix(feats) == 39  # position 39 predicts the first answer token
    short = [(x[:10] + [7], [-100] * 10 + [7])] + feats
    assert shared_prefix(short) == 0  # 9 shared tokens: under the minimum, not worth a pass
    assert shared_prefix(feats[:1]) == 0
    assert shared_prefix([(x[:20] + [1], [-100] * 21), (x[:20] + [2], [-100] * 21)]) == 20


@pytest.mark.slow
def test_shared_prefix_pack_gives_each_example_its_own_logits(backend):
    feats = _feats(backend)
    p = shared_prefix(feats)
    assert p >= 16  # the system turn
    packed = pack(feats, capacity=10_000, pad_id=backend.tokenizer.pad_token_id, prefix=p)
    assert packed.prefix_ids.tolist() == feats[0][0][:p] and packed.input_ids.shape[0] == 3
    assert packed.tokens == sum(len(x) for x, _ in feats)
    assert packed.computed == packed.tokens - 2 * p
    with torch.no_grad():
        logits = packed_logits(backend.model, packed).reshape(*packed.input_ids.shape, -1)
        for (x, _), (row, start, n) in zip(feats, packed.spans):
            alone = backend.model(input_ids=torch.tensor([x])).logits[0]
            assert torch.allclose(logits[row, start:start + n], alone[p:], atol=1e-3)


@pytest.mark.slow
def test_shared_prefix_gives_the_same_loss_and_gradient(backend):
    """Running the shared prefix once (its keys/values repeated for every row) is exact: the
    LoRA gradient flows back through the repeat into the prefix's computation."""
    feats = _feats(backend)
    pad = backend.tokenizer.pad_token_id
    with _lora(backend) as (model, lora):
        grads, losses = [], []
        for prefix in (0, shared_prefix(feats)):
            loss = packed_loss(model, pack(feats, 1, pad, prefix))
            loss.backward()
            losses.append(loss.item())
            grads.append([p.grad.clone() for p in lora])
            model.zero_grad(set_to_none=True)
        assert abs(losses[0] - losses[1]) < 1e-4
        for a, b in zip(*grads):
            assert _same_gradient(a, b)
        assert all(g.abs().sum() > 0 for g in grads[1])  # not trivially equal (both zero)


@pytest.mark.slow
def test_step_prefix_over_micro_batches_gives_the_full_batch_gradient(backend):
    """One step, three micro-batches, the shared prefix run once for all of them (StepPrefix):
    the same LoRA gradient as one batch holding every example and computing every token."""
    feats = _feats(backend)
    pad = backend.tokenizer.pad_token_id
    p = shared_prefix(feats)
    with _lora(backend) as (model, lora):
        packed_loss(model, pack(feats, 1, pad)).backward()
        full = [g.grad.clone() for g in lora]
        model.zero_grad(set_to_none=True)
        step = StepPrefix(model, torch.tensor(feats[0][0][:p]))
        parts = [pack([feats[i] for i in g], 0, pad, p)
                 for g in micro_batches([len(x) - p for x, _ in feats], 20)]
        assert len(parts) == 3
        n = sum(b.targets.numel() for b in parts)
        for b in parts:
            (packed_loss(model, b, reduction="sum", prefix=step) / n).backward()
        step.backward()
        for g, q in zip(full, lora):
            assert _same_gradient(g, q.grad)


def _grad(param):  # (the last layer's q_proj cannot reach any key or value: no gradient)
    return torch.zeros_like(param) if param.grad is None else param.grad.clone()


@pytest.mark.slow
def test_step_prefix_recomputes_with_the_same_dropout_masks(backend):
    feats = _feats(backend)
    ids = torch.tensor(feats[0][0][:shared_prefix(feats)])
    with _lora(backend, lora_dropout=0.5) as (model, lora):
        model.train()
        torch.manual_seed(1)
        step = StepPrefix(model, ids)
        torch.rand(1000)  # the micro-batches draw from the RNG in between
        for pair in step.leaves:
            for leaf in pair:
                leaf.grad = torch.ones_like(leaf)
        step.backward()
        got = [_grad(q) for q in lora]
        model.zero_grad(set_to_none=True)
        torch.manual_seed(1)  # reference: the prefix with autograd under the same masks
        cache = _prefill(model, ids)
        outs = [t for layer in cache.layers for t in (layer.keys, layer.values) if t.requires_grad]
        torch.autograd.backward(outs, [torch.ones_like(t) for t in outs])
        assert all(torch.allclose(g, _grad(q), rtol=1e-4, atol=1e-7) for g, q in zip(got, lora))
        model.zero_grad(set_to_none=True)
        torch.manual_seed(2)  # the check can fail: other masks, another gradient
        cache = _prefill(model, ids)
        outs = [t for layer in cache.layers for t in (layer.keys, layer.values) if t.requires_grad]
        torch.autograd.backward(outs, [torch.ones_like(t) for t in outs])
        assert not all(torch.allclose(g, _grad(q), rtol=1e-4, atol=1e-7) for g, q in zip(got, lora))
