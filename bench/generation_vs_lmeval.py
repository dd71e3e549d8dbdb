"""Evaluation generation: harness's hf backend vs lm-eval's HFLM `generate_until`, same prompts.

    python bench/generation_vs_lmeval.py [--n 32] [--lmeval-batch-sizes 4,8,16]

Prompts are the support_bot `prompt` strategy's (system prompt + few-shot turns + test question,
chat template applied), greedy, the suite's `max_new_tokens` and stop strings. lm-eval runs on
the same in-memory model at each batch size given; its fastest is the baseline. Prints
generated tokens/s of both, whether every output is identical, and the ratio (target >= 1.5).
"""
from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import _machine  # noqa: F401  (sys.path, offline env)
from _machine import print_machine


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=32, help="number of prompts (test questions)")
    ap.add_argument("--lmeval-batch-sizes", default="8,16", help="comma-separated")
    ap.add_argument("--suite", default=str(_machine.ROOT / "suites" / "support_bot.yaml"))
    args = ap.parse_args()

    from harness.backends.base import Request
    from harness.backends.hf import HFBackend
    from harness.data.dataset import load_dataset
    from harness.data.prompting import build_messages
    from harness.config.suite import load_suite
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    print_machine("generation vs lm-eval HFLM.generate_until")
    ls = load_suite(Path(args.suite))
    suite, data = ls.suite, load_dataset(ls)
    strat = next(s for s in suite.strategies if s.type == "prompt")
    shots = [(e.question, e.answer) for e in random.Random(suite.seed).sample(data.train, strat.num_shots)]
    msgs = [build_messages(suite.system_prompt, e.question, shots=shots) for e in data.test[: args.n]]
    backend = HFBackend(suite.model)
    tok, cfg = backend.tokenizer, suite.model
    contexts = [tok.apply_chat_template(list(m), tokenize=False, add_generation_prompt=True)
                for m in msgs]

    backend.generate([Request(m, max_new_tokens=2) for m in msgs[:2]])  # warm-up, untimed
    t0 = time.perf_counter()
    ours = backend.generate([Request(m) for m in msgs])
    ours_s = time.perf_counter() - t0
    n_tokens = sum(g.completion_tokens for g in ours)
    print(f"prompts: {len(msgs)} ({sum(g.prompt_tokens for g in ours) / len(msgs):.0f} tokens "
          f"each on average), max_new_tokens {cfg.max_new_tokens}, stop {cfg.stop!r}")
    print(f"harness hf backend (batch {cfg.batch_size}, shared-prefix KV reuse): {n_tokens} tokens "
          f"in {ours_s:.1f} s = {n_tokens / ours_s:.1f} tokens/s")

    best = None
    for bs in [int(b) for b in args.lmeval_batch_sizes.split(",")]:
        lm = HFLM(pretrained=backend.model, tokenizer=tok, batch_size=bs, device=cfg.device,
                  max_length=4096)
        same_prompt = all(lm.tok_encode(c) == backend.encode_chat(m) for c, m in zip(contexts, msgs))
        gen_kwargs = {"until": list(cfg.stop), "max_gen_toks": cfg.max_new_tokens, "do_sample": False}
        reqs = [Instance("generate_until", {}, (c, dict(gen_kwargs)), i) for i, c in enumerate(contexts)]
        lm.generate_until([Instance("generate_until", {}, (c, gen_kwargs | {"max_gen_toks": 2}), i)
                           for i, c in enumerate(contexts[:2])], disable_tqdm=True)  # warm-up
        t0 = time.perf_counter()
        texts = lm.generate_until(reqs, disable_tqdm=True)
        secs = time.perf_counter() - t0
        same = sum(t.strip() == g.text for t, g in zip(texts, ours))
        print(f"lm-eval HFLM batch {bs}: {secs:.1f} s = {n_tokens / secs:.1f} tokens/s; "
              f"identical outputs {same}/{len(ours)}; identical prompt tokens: {same_prompt}")
        if best is None or secs < best[1]:
            best = (bs, secs, same)
    bs, secs, same = best
    print(f"RATIO vs lm-eval (best batch size {bs}): {secs / ours_s:.2f} x tokens/s "
          f"(target >= 1.5); outputs identical: {same}/{len(ours)}")


if __name__ == "__main__":
    main()
