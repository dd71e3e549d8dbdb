"""One decode step of the prompt strategy's call, taken apart (issue 18).

    python bench/decode_step.py [--step 6] [--rounds 3] [--compile]

Runs the support_bot `prompt` strategy's requests (as bench/generation_vs_lmeval.py issues
them) until decode step `--step`, keeps that step's inputs (the batch's rows and KV cache as
they stand then) and re-runs the step alone, the variants alternating in one process (this
VM's speed drifts from minute to minute): eager, as the backend runs it; with the attention
replaced by a no-op (what attending the KV cache costs); the model's weight matmuls alone at
the step's rows (`_machine.model_matmul_flops`); and with `--compile`, `torch.compile` of the
model's forward (inductor, dynamic shapes), with its compile time and whether its greedy tokens
equal eager's. Each in ms a step and as a fraction of the fp32 matmul peak (2 x params FLOP per
row), so what a fused decode step would buy is measured, not guessed.
"""
from __future__ import annotations

import argparse
import time

import _machine  # noqa: F401  (sys.path, offline env)
from _machine import matmul_flops, model_matmul_flops, print_machine
from generation_vs_lmeval import load


class _Captured(Exception):
    pass


def capture(backend, reqs, step: int) -> dict:
    """The keyword arguments of the call's `step`-th decode forward pass (its cache included)."""
    model, orig, seen = backend.model, backend.model.forward, {"n": 0}

    def forward(*args, **kwargs):
        if kwargs["input_ids"].shape[1] == 1:
            seen["n"] += 1
            if seen["n"] == step:
                seen["kwargs"] = kwargs
                raise _Captured
        return orig(*args, **kwargs)
    model.forward = forward
    try:
        backend.generate(reqs)
    except _Captured:
        pass
    finally:
        model.forward = orig
    if "kwargs" not in seen:
        raise SystemExit(f"the call ended before decode step {step}")
    return seen["kwargs"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--step", type=int, default=6, help="which decode step to capture")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=10, help="runs of the step per timing")
    ap.add_argument("--compile", action="store_true", help="also torch.compile's forward")
    ap.add_argument("--suite", default=str(_machine.ROOT / "suites" / "support_bot.yaml"))
    args = ap.parse_args()

    import torch

    from harness.backends import prefix_attention as pa
    print_machine("one decode step of the prompt strategy's call")
    _, backend, questions, strategy = load(args.suite)
    reqs = strategy("prompt").requests(questions)[0]
    model, forward = backend.model, backend.model.forward
    kw = capture(backend, reqs, args.step)
    rows = kw["input_ids"].shape[0]
    filled = [int(layer.cumulative_length) for layer in kw["cache"].layers]
    params = sum(p.numel() for p in model.parameters())

    def once(fn):
        for layer, c in zip(kw["cache"].layers, filled):   # the step writes the same slot again
            layer.cumulative_length.fill_(c)
        return fn(**kw)

    def timed(fn) -> float:
        with torch.inference_mode(), pa.shared_prefix(model):
            once(fn)
            t0 = time.perf_counter()
            for _ in range(args.reps):
                once(fn)
            return (time.perf_counter() - t0) / args.reps

    real = pa._attend

    def no_attention(fn) -> float:
        pa._attend = lambda module, query, *a, **k: (query.transpose(1, 2), None)
        try:
            return timed(fn)
        finally:
            pa._attend = real
    variants = {"eager": lambda: timed(forward), "attention a no-op": lambda: no_attention(forward)}
    if args.compile:
        compiled = torch.compile(forward, dynamic=True)
        t0 = time.perf_counter()
        with torch.inference_mode(), pa.shared_prefix(model):
            got, want = once(compiled).logits, once(forward).logits
        print(f"torch.compile (inductor, dynamic shapes): {time.perf_counter() - t0:.0f} s to "
              f"compile this step; max logit difference {(got - want).abs().max().item():.1e}; "
              f"greedy tokens equal: {bool((got.argmax(-1) == want.argmax(-1)).all())}")
        variants["compiled"] = lambda: timed(compiled)
    print(f"step {args.step}: {rows} rows, own cache slots {kw['shared_prefix'].slots}")
    peak = matmul_flops()
    for r in range(args.rounds):
        times = {name: run() for name, run in variants.items()}
        times["weight matmuls alone"] = 2 * params * rows / model_matmul_flops(model, rows)
        print(f"round {r + 1}: " + "; ".join(
            f"{name} {t * 1e3:.0f} ms ({2 * params * rows / t / peak:.2f} of the peak)"
            for name, t in times.items()), flush=True)
    print(f"matmul peak {peak / 1e9:.0f} GFLOP/s (measured before the rounds; the ratios' base)")


if __name__ == "__main__":
    main()
