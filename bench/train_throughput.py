"""LoRA training throughput: harness.training.training vs a transformers `Trainer` padding to max_length.

    python bench/train_throughput.py [--steps 4] [--batch-size 8] [--max-length 512]

Same model (SmolLM2-135M-Instruct, fp32), same LoRA config (the support_bot `lora` strategy's),
same examples (the support_bot train split, in the `lora` strategy's prompt format), same number
of optimizer steps, in one process. Prints tokens/s (real tokens, padding not counted) of both,
the machine's ceiling (measured fp32 matmul FLOP/s / (4 x parameter count)) and the two ratios
(targets: >= 0.75 x ceiling, >= 3 x Trainer). Also runs our loop without the shared-prefix reuse
(every example's system turn computed again) and prints the compute efficiency of both (FLOPs
actually run per second vs the matmul ceiling), so the two sources of speed are seen apart.
"""
from __future__ import annotations

import argparse
import copy
import tempfile
import time
from unittest import mock
from pathlib import Path

import _machine  # noqa: F401  (sys.path, offline env)
from _machine import matmul_flops, print_machine


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=4, help="optimizer steps for each trainer")
    ap.add_argument("--batch-size", type=int, default=8, help="examples per step")
    ap.add_argument("--max-length", type=int, default=512, help="Trainer's fixed padded length")
    ap.add_argument("--suite", default=str(_machine.ROOT / "suites" / "support_bot.yaml"))
    ap.add_argument("--profile", action="store_true",
                    help="also profile the loop without prefix reuse: time by kind of op")
    args = ap.parse_args()

    import torch
    from harness.backends.hf import HFBackend
    from harness.data.dataset import load_dataset
    from harness.data.prompting import build_messages
    from harness.config.suite import load_suite
    from harness.training.training import encode_pair, train_lora

    print_machine("LoRA training throughput")
    ls = load_suite(Path(args.suite))
    suite = ls.suite
    strat = next(s for s in suite.strategies if s.type == "lora")
    n = args.steps * args.batch_size
    train = load_dataset(ls).train[:n]
    backend = HFBackend(suite.model)
    pairs = [(build_messages(suite.system_prompt, e.question), e.answer) for e in train]
    feats = [encode_pair(backend, m, a, args.max_length) for m, a in pairs]
    real_tokens = sum(len(x) for x, _ in feats)
    n_params = sum(p.numel() for p in backend.model.parameters())
    flops = matmul_flops()
    ceiling = flops / (4 * n_params)
    print(f"data: {n} examples, {real_tokens} real tokens ({real_tokens / n:.0f} per example), "
          f"{args.steps} steps of {args.batch_size}; LoRA {strat.lora.model_dump()}")
    print(f"ceiling: fp32 matmul {flops / 1e9:.1f} GFLOP/s / (4 x {n_params / 1e6:.1f} M params) "
          f"= {ceiling:.0f} tokens/s")

    knobs = strat.training.model_copy(update={"max_steps": args.steps, "train_size": n,
                                              "per_device_train_batch_size": args.batch_size,
                                              "max_length": args.max_length})
    with tempfile.TemporaryDirectory() as tmp:  # one untimed warm-up step (first-call costs)
        train_lora(backend, pairs, strat.lora, knobs.model_copy(update={"max_steps": 1}),
                   Path(tmp) / "w", suite.seed)
        ours = train_lora(backend, pairs, strat.lora, knobs, Path(tmp) / "a", suite.seed)
        # ablation: the same loop without the shared-prefix reuse (every token computed)
        with mock.patch("harness.training.training.shared_prefix", return_value=0):
            plain = train_lora(backend, pairs, strat.lora, knobs, Path(tmp) / "b", suite.seed)
    ours_tps = ours.tokens / ours.seconds
    plain_tps = plain.tokens / plain.seconds
    flops = max(flops, matmul_flops())  # again after training: the machine's best of both
    ceiling = flops / (4 * n_params)
    print(f"ceiling re-measured after training: {flops / 1e9:.1f} GFLOP/s -> {ceiling:.0f} tokens/s "
          f"(the higher of the two measurements is used)")
    print(f"harness.training.training: {ours.tokens} tokens in {ours.seconds:.1f} s = {ours_tps:.1f} tokens/s "
          f"(loss {ours.losses[0]:.3f} -> {ours.losses[-1]:.3f}); {ours.computed_tokens} tokens "
          f"computed (the shared prefix once per pass)")
    print(f"  same loop without shared-prefix reuse: {plain.tokens} tokens in {plain.seconds:.1f} s "
          f"= {plain_tps:.1f} tokens/s = {plain_tps / ceiling:.2f} x ceiling (loss "
          f"{plain.losses[0]:.3f} -> {plain.losses[-1]:.3f})")
    for name, r in (("with", ours), ("without", plain)):
        done = 4 * n_params * r.computed_tokens / r.seconds
        print(f"  compute efficiency {name} prefix reuse: 4 x params x computed tokens / s = "
              f"{done / 1e9:.1f} GFLOP/s = {done / flops:.2f} x the matmul ceiling")

    if args.profile:
        profile_steps(backend, pairs, strat.lora, knobs, suite.seed, n_params, flops)

    # Baseline: what a user would write with transformers: pad every example to max_length.
    from peft import LoraConfig, get_peft_model
    from transformers import Trainer, TrainingArguments
    pad = backend.tokenizer.pad_token_id
    rows = []
    for x, y in feats:
        k = args.max_length - len(x)
        rows.append({"input_ids": torch.tensor(x + [pad] * k),
                     "attention_mask": torch.tensor([1] * len(x) + [0] * k),
                     "labels": torch.tensor(y + [-100] * k)})
    model = get_peft_model(copy.deepcopy(backend.model),
                           LoraConfig(task_type="CAUSAL_LM", **strat.lora.model_dump()))
    with tempfile.TemporaryDirectory() as tmp:
        targs = TrainingArguments(output_dir=tmp, max_steps=args.steps, report_to=[],
                                  per_device_train_batch_size=args.batch_size,
                                  learning_rate=knobs.learning_rate, warmup_steps=knobs.warmup_ratio,
                                  save_strategy="no", logging_steps=1, use_cpu=True,
                                  dataloader_num_workers=0, seed=suite.seed,
                                  disable_tqdm=True)
        trainer = Trainer(model=model, args=targs, train_dataset=rows)
        t0 = time.perf_counter()
        trainer.train()
        base_s = time.perf_counter() - t0
    base_tps = real_tokens / base_s
    print(f"transformers Trainer (padding='max_length', {args.max_length}): {real_tokens} real "
          f"tokens ({n * args.max_length} computed) in {base_s:.1f} s = {base_tps:.1f} tokens/s")
    print(f"RATIO vs ceiling: {ours_tps / ceiling:.2f} x (target >= 0.75; "
          f"{plain_tps / ceiling:.2f} x without shared-prefix reuse)")
    print(f"RATIO vs Trainer: {ours_tps / base_tps:.2f} x (target >= 3)")


KINDS = {  # aten op name fragments -> what they are in a transformer step
    "matmul (forward + backward)": ("aten::mm", "aten::bmm", "aten::addmm"),
    "attention (sdpa forward + backward)": ("scaled_dot_product",),
    "cross-entropy (log-softmax forward + backward)": ("log_softmax", "nll_loss"),
    "element-wise (norms, rotary, SiLU, LoRA scaling, residuals)": (
        "aten::mul", "aten::add", "aten::silu", "aten::pow", "aten::rsqrt", "aten::mean",
        "aten::neg", "aten::div", "aten::sum", "aten::cat", "aten::dropout", "aten::sub",
        "aten::where", "aten::masked_fill", "aten::copy_", "aten::fill_", "aten::zero_"),
    "optimizer (AdamW, clipping)": ("Optimizer", "_foreach", "aten::lerp", "aten::addcdiv",
                                    "aten::addcmul", "aten::sqrt", "aten::norm"),
}


def profile_steps(backend, pairs, lora, knobs, seed, n_params, flops):
    """Where a training step's time goes, without prefix reuse (every token computed): self
    CPU time by kind of op under torch.profiler, and the FLOP/s the matmuls themselves reach."""
    from torch.profiler import ProfilerActivity, profile
    from harness.training.training import train_lora
    with tempfile.TemporaryDirectory() as tmp, \
            mock.patch("harness.training.training.shared_prefix", return_value=0), \
            profile(activities=[ProfilerActivity.CPU]) as prof:
        r = train_lora(backend, pairs, lora, knobs, Path(tmp) / "p", seed)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    by_kind = {k: 0.0 for k in KINDS} | {"other (Python, autograd, views)": 0.0}
    for e in events:
        kind = next((k for k, frags in KINDS.items() if any(f in e.key for f in frags)),
                    "other (Python, autograd, views)")
        by_kind[kind] += e.self_cpu_time_total
    mm_s = by_kind["matmul (forward + backward)"] / 1e6  # wall time of the ops on the main thread
    print(f"profile of the loop without prefix reuse ({r.steps} steps, {r.computed_tokens} tokens, "
          f"{r.seconds:.1f} s under the profiler): self CPU time by kind of op")
    for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        print(f"  {v / total:6.1%}  {k}")
    done = 4 * n_params * r.computed_tokens
    print(f"  the matmuls alone: {done / 1e9:.0f} GFLOP in ~{mm_s:.1f} s of their own time = "
          f"{done / mm_s / 1e9:.0f} GFLOP/s = {done / mm_s / flops:.2f} x the matmul ceiling")


if __name__ == "__main__":
    main()
