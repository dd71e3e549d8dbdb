"""Supervised fine-tuning (LoRA with peft, or any module's own weights): loss on answers only.

Contract:
- `train_lora(backend, pairs, lora, training, out_dir, seed, bar)` trains a fresh LoRA adapter
  (`peft.LoraConfig(**lora)`) injected into the backend's base model in place (no copy: the
  frozen base weights are never updated, and the LoRA layers are removed again with peft's
  `unload()` when training ends, also on error), so memory holds one base model. `pairs` are
  (chat messages, answer) tuples; the loss covers only the answer and its end-of-turn token. Writes `adapter_model.safetensors` + `adapter_config.json` to
  `out_dir` and returns a `TrainResult` (per-step loss, measured seconds, tokens seen).
- `init_adapter` (a saved peft adapter folder): continued training: the adapter is loaded
  trainable (peft's `PeftModel.from_pretrained(..., is_trainable=True)`, its own LoraConfig; the
  `lora` knobs are then not used) and trained further instead of a fresh one.
- Raises `TrainingDiverged` when the loss becomes NaN/inf.
- Crash safety (`harness.training.checkpoint`): every `training.save_steps` steps a checkpoint is stored
  next to `out_dir`; a later call with the same pairs, knobs and seed resumes from it, and one
  whose `out_dir` already holds the finished adapter returns its stored result without training.
- `on_step(step, loss, model)`, if given, is called after each optimizer step (1-based step) with
  the peft model being trained; it may raise (e.g. `optuna.TrialPruned`) to stop training.
- `train_module(model, backend, pairs, training, out_dir, seed, bar, on_step, method)` runs the
  same loop, loss, checkpoints and resume on the parameters of `model` that require grad (e.g.
  every weight of a copy of the backend's base model: full fine-tuning) and saves it with
  `model.save_pretrained(out_dir)` (safetensors); `method` (JSON-able) names what is trained
  in the fingerprint. The caller owns `model`: nothing of the backend's base model is touched.
  Its FLOPs estimate counts the weight gradients too (6 x params x tokens).

We use a short explicit loop rather than `transformers.Trainer`: each step's examples (grouped
by length) are packed into rows as wide as its longest example, with per-example position ids, so
nothing is padded to a fixed length and no token attends across examples (harness.training.packing); the
vocabulary projection runs only where the loss needs it, and the prefix every example of a
micro-batch shares (the system turn) is run once for all of them. On a 2-core CPU that is the
difference between minutes and tens of minutes (bench/train_throughput.py, BENCHMARKS.md).
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from harness.training.checkpoint import Checkpointer, fingerprint
from harness.errors import UserError
from harness.training.packing import StepPrefix, micro_batches, pack, packed_loss, shared_prefix
from harness.config.knobs import LoraKnobs, TrainingKnobs


# Tokens (padded area of the examples' own tokens, after a shared prefix) per forward/backward
# pass: a step's examples beyond this are run as gradient-accumulation micro-batches. Bounds
# activation memory whatever the batch size and example length. Measured on support_bot
# (2026-12-01, in-process RSS sampled every 0.1 s, 6-16 steps): the training peak was 2.40-2.66
# GB for lora and 2.92 GB for hybrid at 512 tokens, 1.89-2.00 / 2.25 GB at 256, at seconds per
# step within the noise of a shared machine; 256 keeps a whole run under 3 GB.
MICRO_BATCH_TOKENS = 256


class TrainingDiverged(RuntimeError):
    pass


@dataclass
class TrainResult:
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    tokens: int = 0            # tokens trained on (prompt + answer, no padding)
    computed_tokens: int = 0   # tokens run through the model (a shared prefix once per pass)
    steps: int = 0
    examples: int = 0
    trainable_params: int = 0
    flops_estimate: float = 0.0  # ~4 x params x tokens: forward 2N + activation grads 2N (LoRA
                                 # skips the frozen weights' gradients; train_module: 6, with
                                 # them); an estimate, not a count


def encode_pair(backend, messages, answer: str, max_length: int) -> tuple[list[int], list[int]]:
    """(input_ids, labels) with labels -100 on the prompt. Strategies fit prompts to max_length
    first (harness.training.fit); with `training.truncation: left` a longer prompt is cut here, from the
    left (counted by harness.training.fit, reported as train_prompts_cut)."""
    tok = backend.tokenizer
    prompt = backend.encode_chat(messages, add_generation_prompt=True)
    target = tok(answer.strip(), add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    target = target[:max_length - 1]
    prompt = prompt[-(max_length - len(target)):]
    return prompt + target, [-100] * len(prompt) + target


def _length_grouped_batches(lengths: list[int], bs: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, sort within windows of 16 batches by length, shuffle the batches."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    batches = []
    for w in range(0, len(idx), bs * 16):
        window = sorted(idx[w:w + bs * 16], key=lambda i: lengths[i])
        batches += [window[b:b + bs] for b in range(0, len(window), bs)]
    rng.shuffle(batches)
    return batches


def _setup(backend, pairs, method, training: TrainingKnobs, out_dir: Path, seed: int,
           start_from: str | None = None):
    """Seeded RNGs, the encoded features, the step count and the checkpointer of one training
    (`start_from`: identity of the weights it continues from, part of the fingerprint)."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    if training.train_size:
        pairs = pairs[: training.train_size]
    feats = [encode_pair(backend, m, a, training.max_length) for m, a in pairs]
    bs = training.per_device_train_batch_size
    steps_per_epoch = math.ceil(len(feats) / bs)
    total = training.max_steps if training.max_steps > 0 else max(
        1, math.ceil(training.num_train_epochs * steps_per_epoch))
    ck = Checkpointer(out_dir, fingerprint(method, training.model_dump(
        exclude={"save_steps"}), seed, total, feats, *([start_from] if start_from else [])),
        training.save_steps)
    return rng, feats, total, ck


def train_lora(backend, pairs, lora: LoraKnobs, training: TrainingKnobs, out_dir: Path,
               seed: int = 0, bar=None, on_step=None, init_adapter: Path | None = None
               ) -> TrainResult:
    from peft import LoraConfig, PeftModel, get_peft_model

    start_from = None if init_adapter is None else _weights_hash(init_adapter)
    rng, feats, total, ck = _setup(backend, pairs, lora.model_dump(), training, out_dir, seed,
                                   start_from)
    if (done := ck.finished()) is not None:
        return TrainResult(**done)

    try:
        model = (PeftModel.from_pretrained(backend.model, str(init_adapter), is_trainable=True)
                 if init_adapter is not None else
                 get_peft_model(backend.model, LoraConfig(task_type="CAUSAL_LM",
                                                          **lora.model_dump())))
    except ValueError as e:  # e.g. target_modules that the model does not have
        raise UserError(f"peft rejected the LoRA settings: {str(e).splitlines()[0]}",
                        key="lora.target_modules") from None
    try:
        return _train(model, backend, feats, training, total, ck, rng, bar, on_step)
    finally:
        model.unload()  # removes the LoRA layers, restoring the base modules in place
        backend.model.eval()


def _weights_hash(adapter: Path) -> str:
    """Identity of the adapter continued training starts from (its weights file's bytes)."""
    import hashlib
    weights = (Path(adapter) / "adapter_model.safetensors").read_bytes()
    return hashlib.sha256(weights).hexdigest()[:16]


def train_module(model, backend, pairs, training: TrainingKnobs, out_dir: Path, seed: int = 0,
                 bar=None, on_step=None, method=None) -> TrainResult:
    rng, feats, total, ck = _setup(backend, pairs, method, training, out_dir, seed)
    if (done := ck.finished()) is not None:
        return TrainResult(**done)
    try:  # forward 2N + activation gradients 2N + weight gradients 2N per token
        return _train(model, backend, feats, training, total, ck, rng, bar, on_step, 6.0)
    finally:
        model.eval()


def _train(model, backend, feats, training: TrainingKnobs, total: int, ck, rng, bar,
           on_step, flops_per_param_token: float = 4.0) -> TrainResult:
    from transformers import get_linear_schedule_with_warmup
    bs = training.per_device_train_batch_size
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=training.learning_rate, weight_decay=training.weight_decay)
    sched = get_linear_schedule_with_warmup(opt, int(training.warmup_ratio * total), total)
    result = TrainResult(examples=len(feats), trainable_params=sum(p.numel() for p in params))
    pad = backend.tokenizer.pad_token_id
    if bar:
        bar.total(total)
    queue: list[list[int]] = []
    start = 0
    if (state := ck.restore(model, opt, sched, rng)) is not None:
        start, queue = state["step"], state["queue"]
        result = TrainResult(**state["result"])
        if bar:
            bar.advance(start)
    t0, seconds0 = time.perf_counter(), result.seconds
    for step in range(start, total):
        if not queue:
            queue = _length_grouped_batches([len(f[0]) for f in feats], bs, rng)
        step_feats = [feats[i] for i in queue.pop()]
        # The prefix all of the step's examples share (the system turn) is run once, not once
        # per example (exact: harness.training.packing): inside the pass when the step is one pass, else
        # once for all of the step's micro-batches (StepPrefix). Micro-batches are bounded by
        # the area of the examples' own tokens. Without a prefix, rows are no wider than the
        # micro-batch's longest example: short examples share a row and the width (attention is
        # quadratic in it) never grows; one row for a whole step measured ~10% slower.
        p = shared_prefix(step_feats)
        parts = [[step_feats[i] for i in g] for g in
                 micro_batches([len(x) - p for x, _ in step_feats], MICRO_BATCH_TOKENS)]
        step_prefix = None
        if p and len(parts) > 1:
            step_prefix = StepPrefix(model, torch.tensor(step_feats[0][0][:p]))
            batches = [pack(q, 0, pad, p) for q in parts]
        else:
            batches = [pack(q, max(len(x) for x, _ in q), pad, shared_prefix(q)) for q in parts]
        n_targets = sum(b.targets.numel() for b in batches)
        loss = torch.zeros(())
        for b in batches:  # gradient accumulation: mean over all of the step's answer tokens
            part = packed_loss(model, b, reduction="sum", prefix=step_prefix) / n_targets
            if not torch.isfinite(part):
                raise TrainingDiverged(f"loss became {part.item()} at step {step}")
            part.backward()
            loss += part.detach()
        if step_prefix is not None:
            step_prefix.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
        result.losses.append(round(loss.item(), 5))
        result.tokens += sum(b.tokens for b in batches)
        result.computed_tokens += sum(b.computed for b in batches) - (
            p * (len(batches) - 1) if step_prefix is not None else 0)  # its prefix ran once
        result.steps = step + 1
        if bar:
            bar.advance(1); bar.note(f"loss {loss.item():.3f}")
        result.seconds = seconds0 + time.perf_counter() - t0
        ck.step_done(step + 1, model, opt, sched, rng, queue, result)
        if on_step is not None:
            on_step(step + 1, result.losses[-1], model)
    result.seconds = seconds0 + time.perf_counter() - t0
    result.flops_estimate = flops_per_param_token * sum(p.numel() for p in model.parameters()) * (
        result.computed_tokens or result.tokens)
    ck.save_trained(model, result)  # save_pretrained (a peft model: the adapter only), atomically
    return result
