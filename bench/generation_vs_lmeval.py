"""Evaluation generation against the machine's limit and against lm-eval, same prompts.

    python bench/generation_vs_lmeval.py [--n 48] [--lmeval-batch-sizes 16,32,64] [--rag] [--test-only]

1. Decode-bound: the support_bot `prompt` strategy's requests as a run issues them (system
   prompt + few-shot turns + question, chat template applied; the test questions, then the
   safety probes and the dev questions every strategy answers, one `generate` call as
   harness.run.resume.predict_splits makes it; `--test-only`: the test questions alone),
   greedy, the suite's `max_new_tokens` and stop strings, `batch_size` as the suite sets it (auto). Compute efficiency = 2 x params FLOP per
   generated token per second / the fp32 matmul peak measured in this process (before and
   after; the higher); also printed counting every token run (each request's own prompt tokens
   are prefilled too: about as many as it generates here). lm-eval's HFLM `generate_until` runs on the same in-memory model at each
   batch size given; its fastest is the baseline. Prints whether every output is identical.
2. Prefill-bound (`--rag`): the `rag` strategy's requests (top-k chunks in the prompt).
   Compute efficiency = 2 x params FLOP per token run (the shared prefix once, each request's
   own prompt tokens, each generated token) per second / the matmul peak.
Targets (issue 18): decode >= 0.30 of the peak and >= 3x lm-eval's best; prefill >= 0.75.
Each figure also prints where the call's time went (the shared prefix, the prefill passes, the
decode steps, outside the model), the decode steps' own efficiency, and the call's BOUND: every
forward pass the call made, timed again as the model's weight matmuls alone at that pass's rows
(`_machine.model_matmul_flops`: every weight once, streamed from memory as in a real step), so
the figure this call would reach if nothing but its fp32 matmuls cost time (no attention, norms,
rotary, cache writes or Python).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import _machine  # noqa: F401  (sys.path, offline env)
from _machine import matmul_flops, model_matmul_flops, print_machine


def _timed(backend, reqs):
    """(outputs, seconds, passes): `passes` lists each forward pass of the base model during the
    call as (tokens in the pass, its kind, seconds): "prefix" (the shared prefix, the call's
    first pass, run without the shared-prefix attention), "decode" (one token per row) or
    "prefill"."""
    passes, start = [], {}

    def pre(module, args, kwargs):
        start["t"] = time.perf_counter()

    def post(module, args, kwargs, out):
        ids = kwargs.get("input_ids", args[0] if args else None)
        first = not passes and "shared_prefix" not in kwargs and ids.shape[0] == 1
        kind = "decode" if ids.shape[-1] == 1 else "prefix" if first else "prefill"
        passes.append((ids.numel(), kind, time.perf_counter() - start["t"]))

    hooks = (backend.model.register_forward_pre_hook(pre, with_kwargs=True),
             backend.model.register_forward_hook(post, with_kwargs=True))
    try:
        t0 = time.perf_counter()
        out = backend.generate(reqs)
        return out, time.perf_counter() - t0, passes
    finally:
        for h in hooks:
            h.remove()


def _bound(backend, passes, seconds, credited: int, peak: float, params: int, label: str):
    """Print where the call's `seconds` went and the figure it would reach with only its
    passes' weight matmuls costing time (each distinct pass size timed alone once)."""
    at = {n: model_matmul_flops(backend.model, n, steps=2) for n in {n for n, _, _ in passes}}
    mm_s = sum(2 * params * n / at[n] for n, _, _ in passes)
    prefix, fills, steps = ([p for p in passes if p[1] == k]
                            for k in ("prefix", "prefill", "decode"))

    def spent(ps):
        return sum(t for _, _, t in ps)
    widest = {k: max((n for n, _, _ in ps), default=0)
              for k, ps in (("prefill", fills), ("decode", steps))}
    print(f"  where the {seconds:.1f} s went: shared prefix {spent(prefix):.2f} s; "
          f"{len(fills)} prefill passes ({sum(n for n, _, _ in fills):,} tokens) "
          f"{spent(fills):.2f} s; {len(steps)} decode steps (up to {widest['decode']} rows) "
          f"{spent(steps):.2f} s; outside the model {seconds - spent(passes):.2f} s")
    if steps:   # the decode loop on its own: the call's figure less its prefill's share
        rows = sum(n for n, _, _ in steps)
        print(f"  the decode steps alone: {rows:,} rows in {spent(steps):.2f} s = "
              f"{2 * params * rows / spent(steps) / peak:.2f} of the peak (2 x params FLOP per "
              f"row a step runs, finished rows not yet dropped included)")
    rates = "; ".join(f"{k} {n} rows {at[n] / 1e9:.0f} GFLOP/s = {at[n] / peak:.2f} of the peak"
                      for k, n in widest.items() if n)
    print(f"  the weight matmuls alone at the widest passes: {rates}")
    print(f"  BOUND: these passes' weight matmuls alone at their shapes take {mm_s:.2f} s, so "
          f"with nothing else costing time this call's {label} would be "
          f"{2 * params * credited / mm_s / peak:.2f} of the peak")


def _tokens_run(backend, reqs, out) -> int:
    enc = [backend.encode_chat(r.messages) for r in reqs]
    prefix = backend._prefix_cache(enc)[0] or []
    return len(prefix) + sum(len(e) - len(prefix) for e in enc) + sum(g.completion_tokens for g in out)


def _lmeval(backend, msgs, ours, n_tokens, sizes):
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM
    tok, cfg = backend.tokenizer, backend.cfg
    contexts = [tok.apply_chat_template(list(m), tokenize=False, add_generation_prompt=True)
                for m in msgs]
    best = None
    for bs in sizes:
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
    return best


def load(suite_path: str, n: int = 48, test_only: bool = False):
    """(suite, backend, questions, strategy): the suite's model loaded, the questions a run asks
    each strategy (the first `n` test questions, then, unless `test_only`, the safety probes and
    the dev questions, one `generate` call as harness.run.resume.predict_splits makes it), and
    `strategy(kind)`, the suite's strategy of that type prepared in a scratch folder."""
    from harness.backends.hf import HFBackend
    from harness.config.suite import load_suite
    from harness.data.dataset import load_dataset
    from harness.registry import STRATEGIES
    from harness.run.strategy import Context

    ls = load_suite(Path(suite_path))
    suite, data = ls.suite, load_dataset(ls)
    backend = HFBackend(suite.model)
    questions = [e.question for e in data.test[:n]]
    if not test_only:
        from harness.run.runner import decision_dev
        questions += [p.prompt for p in data.safety]
        questions += [e.question for e in decision_dev(suite, data)[0]]
    work = Path(tempfile.mkdtemp(prefix="genbench-"))

    def strategy(kind):
        c = next(s for s in suite.strategies if s.type == kind)
        s = STRATEGIES[kind](c, Context(suite, data, backend, work / kind, work / "cache"))
        s.prepare()
        return s
    return suite, backend, questions, strategy


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=48, help="number of prompts (test questions)")
    ap.add_argument("--lmeval-batch-sizes", default="16,32,64", help="comma-separated")
    ap.add_argument("--test-only", action="store_true",
                    help="only the test questions (not the run's probes and dev questions)")
    ap.add_argument("--rag", action="store_true", help="also the rag strategy's requests")
    ap.add_argument("--suite", default=str(_machine.ROOT / "suites" / "support_bot.yaml"))
    args = ap.parse_args()

    from harness.backends.base import Request

    print_machine("generation: compute efficiency and lm-eval HFLM.generate_until")
    suite, backend, questions, strategy = load(args.suite, args.n, args.test_only)
    cfg, params = suite.model, sum(p.numel() for p in backend.model.parameters())

    prompt = strategy("prompt")
    reqs = prompt.requests(questions)[0]
    msgs = [r.messages for r in reqs]
    backend.generate([Request(m, max_new_tokens=2) for m in msgs[:2]])  # warm-up, untimed
    peak = matmul_flops()
    ours, ours_s, passes = _timed(backend, reqs)
    peak = max(peak, matmul_flops())
    n_tokens = sum(g.completion_tokens for g in ours)
    eff = 2 * params * n_tokens / ours_s / peak
    eff_all = 2 * params * _tokens_run(backend, reqs, ours) / ours_s / peak
    print(f"matmul peak {peak / 1e9:.1f} GFLOP/s; params {params / 1e6:.1f} M")
    print(f"prompts: {len(msgs)} ({sum(g.prompt_tokens for g in ours) / len(msgs):.0f} tokens "
          f"each on average), max_new_tokens {cfg.max_new_tokens}, stop {cfg.stop!r}")
    print(f"harness hf backend (batch_size {cfg.batch_size}: {max(g.batch_size for g in ours)} rows, "
          f"shared-prefix KV reuse): {n_tokens} tokens in {ours_s:.1f} s = {n_tokens / ours_s:.1f} "
          f"tokens/s; DECODE COMPUTE EFFICIENCY {eff:.2f} of the peak (target >= 0.30); counting "
          f"every token run (own prompt tokens prefilled + generated): {eff_all:.2f}")
    _bound(backend, passes, ours_s, n_tokens, peak, params, "decode compute efficiency")
    sizes = [int(b) for b in args.lmeval_batch_sizes.split(",")]
    bs, secs, same = _lmeval(backend, msgs, ours, n_tokens, sizes)
    print(f"RATIO vs lm-eval (best batch size {bs}): {secs / ours_s:.2f} x tokens/s "
          f"(target >= 3); outputs identical: {same}/{len(ours)}")

    if args.rag:
        rag = strategy("rag")
        rreqs = rag.requests(questions)[0]
        peak_r = matmul_flops()
        rout, rag_s, rpasses = _timed(backend, rreqs)
        peak_r = max(peak_r, matmul_flops())
        run = _tokens_run(backend, rreqs, rout)
        eff_r = 2 * params * run / rag_s / peak_r
        print(f"rag requests: {len(rreqs)} ({sum(g.prompt_tokens for g in rout) / len(rreqs):.0f} "
              f"prompt tokens on average; {run} tokens run incl. "
              f"{sum(g.completion_tokens for g in rout)} generated) in {rag_s:.1f} s; matmul peak "
              f"{peak_r / 1e9:.1f} GFLOP/s; PREFILL COMPUTE EFFICIENCY {eff_r:.2f} (target >= 0.75)")
        _bound(backend, rpasses, rag_s, run, peak_r, params, "prefill compute efficiency")


if __name__ == "__main__":
    main()
