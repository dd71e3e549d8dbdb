"""Latency of a trained LoRA adapter attached unmerged (peft layers on the side) vs merged into
the base weights (peft `merge_and_unload`, on a copy of the model).

Contract: `merged_vs_unmerged(backend, adapter_dir, prompts, cfg, seed)` generates each prompt
alone (batch of 1, `cfg.max_new_tokens` new tokens, greedy), alternating unmerged and merged,
`cfg.repeats` times, and returns {"unmerged_ms_per_query", "merged_ms_per_query": Estimate-dict
+ unit, "merged_speedup": ratio, "same_outputs": bool (greedy outputs identical)}.
A timing of one machine at one moment: compare the two numbers with each other, not across runs.
"""
from __future__ import annotations

from harness.backends.base import Request
from harness.evaluation.stats import ci


def merged_vs_unmerged(backend, adapter_dir, messages: list, cfg, seed: int = 0) -> dict:
    reqs = [Request(m, max_new_tokens=cfg.max_new_tokens) for m in messages[: cfg.prompts]]
    times = {"unmerged": [], "merged": []}
    texts = {}
    for _ in range(cfg.repeats):
        for mode in ("unmerged", "merged"):
            with backend.adapter(adapter_dir, merged=(mode == "merged")) as b:
                gens = [b.generate([r])[0] for r in reqs]  # one at a time: per-query latency
            times[mode] += [g.latency_s * 1000 for g in gens]
            texts[mode] = [g.text for g in gens]
    out = {f"{m}_ms_per_query": ci(t, seed=seed).to_dict() | {"unit": "ms / query (batch 1)"}
           for m, t in times.items()}
    u, m = out["unmerged_ms_per_query"]["value"], out["merged_ms_per_query"]["value"]
    out["merged_speedup"] = {"value": u / m if m else None, "unit": "unmerged / merged latency"}
    out["same_outputs"] = texts["unmerged"] == texts["merged"]
    out["max_new_tokens"] = cfg.max_new_tokens
    return out
