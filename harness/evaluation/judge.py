"""The judge model behind ragas' LLM metrics, and the one place their scores are taken.

Contract:
- `Judge(complete, name, strictness)` wraps any `complete(prompt: str) -> str`. `build_judge(cfg,
  model_cfg, backend)` makes one from the suite's `judge:` block: a local hf model (the loaded
  generator is reused when it is the same model) or an OpenAI-compatible endpoint (the openai
  backend, built by harness.backends.build, so the judge has the generator's retry policy; the
  key is read from the env var `cfg.api_key_env`, never stored). `judge.calls` counts
  completions.
- `judge.ragas_llm()` adapts it to ragas' `BaseRagasLLM`, so ragas' own prompts, output parsing
  and fix-the-format re-asks are used; at most `format_retries` re-asks per scoring attempt
  (ragas would allow 3 nested ones, each a long prompt: minutes on a CPU).
- `judge.score(metric, sample)` runs a ragas metric on one `SingleTurnSample` and returns
  (score, reason). An output that still cannot be parsed after the re-asks and `max_retries`
  further attempts, or a NaN score, gives (None, reason): a missing score, never 0.
"""
from __future__ import annotations

import asyncio
import logging
import math
import os
from typing import Callable

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # ragas' usage analytics: no network calls
logging.getLogger("ragas").setLevel(logging.CRITICAL)  # parse failures are counted, not logged


class Judge:
    def __init__(self, complete: Callable[[str], str], name: str = "judge", max_retries: int = 1,
                 strictness: int = 1, embedding_name: str = "embedded:all-minilm-l6-v2",
                 format_retries: int = 1):
        self._complete, self.name, self.max_retries = complete, name, max_retries
        self.format_retries, self._fixes_left = format_retries, format_retries
        self.metrics: tuple[str, ...] = ("faithfulness", "answer_relevancy")
        self.strictness = strictness  # answer-relevancy questions per answer (1 when greedy)
        self.embedding_name = embedding_name  # for answer relevancy's question similarity
        self.calls = 0
        self.last_reasons: list[str] = []  # why each score of the last metric call is missing

    def complete(self, prompt: str) -> str:
        self.calls += 1
        return self._complete(prompt)

    def ragas_llm(self):
        from langchain_core.outputs import Generation, LLMResult
        from ragas.exceptions import RagasOutputParserException
        from ragas.llms.base import BaseRagasLLM
        from ragas.prompt.pydantic_prompt import FixOutputFormat
        from ragas.run_config import RunConfig
        judge, fix = self, FixOutputFormat.instruction

        class _JudgeLLM(BaseRagasLLM):
            def generate_text(self, prompt, n=1, temperature=0.01, stop=None, callbacks=None):
                text = prompt.to_string()
                if fix in text:  # ragas re-asking to fix the format: bounded by format_retries
                    if judge._fixes_left <= 0:
                        raise RagasOutputParserException()
                    judge._fixes_left -= 1
                return LLMResult(generations=[[Generation(text=judge.complete(text))
                                               for _ in range(n)]])

            async def agenerate_text(self, prompt, n=1, temperature=0.01, stop=None,
                                     callbacks=None):
                return self.generate_text(prompt, n, temperature, stop, callbacks)

            def is_finished(self, response) -> bool:
                return True  # a truncated output is caught by parsing, then counted missing

        # One attempt per call: ragas would otherwise retry any exception with exponential
        # backoff (up to 10 x 60 s); our `max_retries` and the openai backend's own retries suffice.
        return _JudgeLLM(run_config=RunConfig(max_retries=1))

    def score(self, metric, sample) -> tuple[float | None, str]:
        from ragas.exceptions import RagasException
        reason = ""
        for _ in range(1 + self.max_retries):
            self._fixes_left = self.format_retries
            try:
                v = asyncio.run(metric.single_turn_ascore(sample))
            except (RagasException, ValueError, AssertionError) as e:
                reason = f"judge output unparseable: {type(e).__name__}"
                continue
            if v is None or (isinstance(v, float) and math.isnan(v)):
                reason = "judge gave no usable verdict (NaN)"
                continue
            return min(1.0, max(0.0, float(v))), ""
        return None, reason


def build_judge(cfg, model_cfg, backend=None, embedding_name="embedded:all-minilm-l6-v2") -> Judge:
    """`cfg`: harness.config.suite.Judge; `model_cfg`: the suite's generator model (its loaded `backend`
    is reused when the judge is the same local model). Other judges get their own backend from
    harness.backends.build: a local hf model, or the openai backend (its retry policy, timeout,
    key handling and redaction; greedy, not streamed, no stop strings)."""
    from harness.backends import build
    from harness.backends.base import Request
    if cfg.backend == "openai":
        backend = build(_openai_model(cfg))
        name, strictness = f"openai:{cfg.model}", 3
    else:
        if backend is None or model_cfg.name_or_path != cfg.name_or_path:
            backend = build(model_cfg.model_copy(update={
                "backend": "hf", "name_or_path": cfg.name_or_path, "stop": [], "batch_size": 1,
                "base_url": None, "model": None, "api_key_env": None}))
        name, strictness = f"hf:{cfg.name_or_path}", 1

    def complete(prompt: str) -> str:
        req = Request(({"role": "user", "content": prompt},), max_new_tokens=cfg.max_new_tokens)
        return backend.generate([req])[0].text

    judge = Judge(complete, name, cfg.max_retries, strictness=strictness,
                  embedding_name=embedding_name, format_retries=cfg.format_retries)
    judge.metrics = tuple(cfg.metrics)  # which judge metrics the suite asked for
    return judge


def _openai_model(cfg):
    """The `model:` block of an openai judge (harness.config.knobs.Model), or a UserError naming the
    judge's key."""
    from pydantic import ValidationError

    from harness.errors import UserError
    from harness.config.knobs import Model
    if not cfg.base_url or not cfg.model:
        raise UserError("an openai judge needs base_url and model", key="judge")
    if not os.environ.get(cfg.api_key_env):
        raise UserError(f"environment variable {cfg.api_key_env} (the judge's API key) is not set",
                        key="judge.api_key_env")
    try:  # max_new_tokens: each request asks for the judge's own (Model caps its default)
        return Model(backend="openai", base_url=cfg.base_url, model=cfg.model,
                     api_key_env=cfg.api_key_env, stop=[], stream=False,
                     max_new_tokens=min(cfg.max_new_tokens, 4096))
    except ValidationError as e:
        raise UserError(f"judge: {e.errors()[0]['msg']}", key="judge.base_url") from None
