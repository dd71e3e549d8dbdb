"""Shared by the bench scripts: the machine's description and its measured fp32 matmul limit.

`matmul_flops()` times torch fp32 matmuls in this process (same threads, same moment as the
benchmark it is compared with), so a ratio against it is meaningful even on a busy machine.
"""
from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from a checkout
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    import torch
    return {"nproc": os.cpu_count(), "cpu": cpu_model(), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def print_machine(title: str) -> dict:
    info = machine()
    print(f"== {title}")
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    return info


def matmul_flops(seconds: float = 6.0, rounds: int = 4) -> float:
    """Best fp32 FLOP/s over square and model-shaped matmuls (the machine's limit).

    The best of `rounds` short timings per shape: this VM's speed varies by tens of percent from
    minute to minute, and the ceiling should be what the machine *can* do, so the maximum (the
    strictest ceiling for the ratio) rather than a mean."""
    import torch
    best = 0.0
    shapes = ((2048, 2048, 2048), (960, 576, 1536), (960, 1536, 576), (960, 576, 576))
    mats = [(torch.randn(m, k), torch.randn(k, n), 2.0 * m * k * n) for m, k, n in shapes]
    for a, b, _ in mats:
        a @ b  # warm-up
    for _ in range(rounds):
        for a, b, flop in mats:
            reps, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds / rounds / len(mats):
                a @ b
                reps += 1
            best = max(best, flop * reps / (time.perf_counter() - t0))
    return best


def model_matmul_flops(model, rows: int, steps: int = 4) -> float:
    """FLOP/s of the model's own weight matmuls alone at `rows` rows: every nn.Linear weight of
    the model (and the output embedding) once per step, in the model's order, on random inputs,
    the median of `steps`. This is what a forward pass of that many tokens could reach if
    nothing but its matmuls ran: the weights stream from memory as they do in a real step
    (a `matmul_flops` shape repeats one small matrix that stays in cache)."""
    import statistics

    import torch
    import torch.nn.functional as F
    ws = [m.weight for m in model.modules() if isinstance(m, torch.nn.Linear)]
    xs = {k: torch.randn(rows, k, dtype=ws[0].dtype) for k in {w.shape[1] for w in ws}}
    flop = 2.0 * rows * sum(w.numel() for w in ws)
    times = []
    with torch.inference_mode():
        for _ in range(steps + 1):
            t0 = time.perf_counter()
            for w in ws:
                F.linear(xs[w.shape[1]], w)
            times.append(time.perf_counter() - t0)
    return flop / statistics.median(times[1:])
