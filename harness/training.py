"""LoRA supervised fine-tuning with peft: loss on the answer tokens only.

Contract:
- `train_lora(backend, pairs, lora, training, out_dir, seed, bar)` trains a fresh LoRA adapter
  (`peft.LoraConfig(**lora)`) on a copy of the backend's base model, so the base model in memory
  is never modified. `pairs` are (chat messages, answer) tuples; the loss covers only the answer
  and its end-of-turn token. Writes `adapter_model.safetensors` + `adapter_config.json` to
  `out_dir` and returns a `TrainResult` (per-step loss, measured seconds, tokens seen).
- Raises `TrainingDiverged` when the loss becomes NaN/inf.
- `on_step(step, loss, model)`, if given, is called after each optimizer step (1-based step) with
  the peft model being trained; it may raise (e.g. `optuna.TrialPruned`) to stop training.

We use a short explicit loop rather than `transformers.Trainer`: it lets us batch by length
(no padding to a fixed max length), which on a 2-core CPU is the difference between minutes and
tens of minutes, and keeps every step's loss for the run record.
"""
from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from harness.suite import LoraKnobs, TrainingKnobs


class TrainingDiverged(RuntimeError):
    pass


@dataclass
class TrainResult:
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    tokens: int = 0            # tokens processed (prompt + answer, no padding)
    steps: int = 0
    examples: int = 0
    trainable_params: int = 0
    flops_estimate: float = 0.0  # ~4 x params x tokens: forward 2N + activation grads 2N (LoRA
                                 # skips the frozen weights' gradients); an estimate, not a count


def encode_pair(backend, messages, answer: str, max_length: int) -> tuple[list[int], list[int]]:
    """(input_ids, labels) with labels -100 on the prompt; the prompt is cut from the left."""
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


def train_lora(backend, pairs, lora: LoraKnobs, training: TrainingKnobs, out_dir: Path,
               seed: int = 0, bar=None, on_step=None) -> TrainResult:
    from peft import LoraConfig, get_peft_model
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(seed)
    rng = random.Random(seed)
    if training.train_size:
        pairs = pairs[: training.train_size]
    feats = [encode_pair(backend, m, a, training.max_length) for m, a in pairs]
    bs = training.per_device_train_batch_size
    steps_per_epoch = math.ceil(len(feats) / bs)
    total = training.max_steps if training.max_steps > 0 else max(
        1, math.ceil(training.num_train_epochs * steps_per_epoch))

    model = get_peft_model(copy.deepcopy(backend.model),
                           LoraConfig(task_type="CAUSAL_LM", **lora.model_dump()))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=training.learning_rate, weight_decay=training.weight_decay)
    sched = get_linear_schedule_with_warmup(opt, int(training.warmup_ratio * total), total)
    result = TrainResult(examples=len(feats), trainable_params=sum(p.numel() for p in params))
    pad, device = backend.tokenizer.pad_token_id, next(model.parameters()).device
    if bar:
        bar.total(total)
    queue: list[list[int]] = []
    t0 = time.perf_counter()
    for step in range(total):
        if not queue:
            queue = _length_grouped_batches([len(f[0]) for f in feats], bs, rng)
        batch = [feats[i] for i in queue.pop()]
        width = max(len(ids) for ids, _ in batch)
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for r, (x, y) in enumerate(batch):  # right padding, masked out of attention and loss
            ids[r, :len(x)], labels[r, :len(y)], mask[r, :len(x)] = torch.tensor(x), torch.tensor(y), 1
        loss = model(input_ids=ids.to(device), attention_mask=mask.to(device),
                     labels=labels.to(device)).loss
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"loss became {loss.item()} at step {step}")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
        result.losses.append(round(loss.item(), 5))
        result.tokens += int(mask.sum())
        result.steps = step + 1
        if bar:
            bar.advance(1); bar.note(f"loss {loss.item():.3f}")
        if on_step is not None:
            on_step(step + 1, result.losses[-1], model)
    result.seconds = time.perf_counter() - t0
    result.flops_estimate = 4.0 * sum(p.numel() for p in model.parameters()) * result.tokens
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))  # adapter only, safetensors
    return result
