"""`openai` backend: any OpenAI-compatible chat-completions endpoint, through the openai client.

Contract (the ModelBackend protocol of harness/backends/base.py):
- `OpenAIBackend(cfg, pricing)` reads the API key from the environment variable named by
  `cfg.api_key_env` (never from a file); a missing variable is a `UserError`. Without
  `api_key_env` a placeholder key is sent (local servers such as `harness serve`, Ollama or a
  llama.cpp server ignore it).
- `generate(requests, progress)` sends at most `cfg.max_concurrency` requests at a time and
  returns one `Generation` per request, in request order, greedy (`temperature=0`). Streaming
  (`cfg.stream`) measures `ttft_s`; token usage comes from the response (`include_usage` on the
  stream; an endpoint that sends no usage on streams is then asked without streaming). With
  token prices, `cost_usd` = prompt tokens x input price + completion tokens x output price.
- Retries: see `_with_retries`. A request that still fails raises `EndpointError` (a UserError:
  the CLI prints it and exits 2) naming the endpoint and the last failure, never the key.
"""
from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

import httpx
import openai

from harness.backends.base import Generation, Request
from harness.errors import UserError
from harness.config.suite import Model, Pricing

PLACEHOLDER_KEY = "no-key"  # sent when the suite names no key variable (local servers)
RETRY_STATUS = {408, 409, 429} | set(range(500, 600))


class EndpointError(UserError):
    """A request to an OpenAI-compatible endpoint failed for good (message names the endpoint)."""


class OpenAIBackend:
    """Chat completions over HTTP; see the module docstring for the contract."""

    name = "openai"
    prices_tokens = True  # harness.backends.build passes the suite's pricing

    def __init__(self, cfg: Model, pricing: Pricing | None = None):
        self.cfg, self.pricing = cfg, pricing
        self._key = PLACEHOLDER_KEY
        if cfg.api_key_env:
            self._key = os.environ.get(cfg.api_key_env, "")
            if not self._key:
                raise UserError(f"environment variable {cfg.api_key_env} is not set (it must "
                                f"hold the API key for {cfg.base_url})", key="model.api_key_env")
        # max_retries=0: the client's own retries cover only establishing a request, not a
        # stream cut off halfway, and cannot be observed; `_with_retries` owns the whole policy.
        self.client = openai.OpenAI(base_url=cfg.base_url, api_key=self._key, timeout=cfg.timeout,
                                    max_retries=0)
        self._stream = cfg.stream  # switched off if the endpoint sends no usage on streams
        self._lock = threading.Lock()

    # -- one request -------------------------------------------------------------------------
    def _params(self, req: Request) -> dict:
        return {"model": self.cfg.model, "messages": list(req.messages), "temperature": 0,
                "max_tokens": req.max_new_tokens or self.cfg.max_new_tokens,
                **({"stop": list(self.cfg.stop)[:4]} if self.cfg.stop else {})}

    def _streamed(self, req: Request, t0: float):
        text, usage, ttft = [], None, None
        stream = self.client.chat.completions.create(
            **self._params(req), stream=True, stream_options={"include_usage": True})
        for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                if choice.delta and choice.delta.content:
                    if ttft is None:
                        ttft = time.perf_counter() - t0
                    text.append(choice.delta.content)
        return "".join(text), usage, ttft

    def _once(self, req: Request, t0: float) -> tuple[str, object, float | None]:
        if self._stream:
            text, usage, ttft = self._streamed(req, t0)
            if usage is not None:
                return text, usage, ttft
            with self._lock:
                self._stream = False  # this endpoint ignores include_usage: stop streaming
        resp = self.client.chat.completions.create(**self._params(req))
        return resp.choices[0].message.content or "", resp.usage, None

    def _with_retries(self, req: Request) -> Generation:
        """Retry policy, ours rather than the client's so that it is one loop we test:
        - retried: HTTP 408/409/429/5xx, connection errors (refused, reset, cut-off stream) and
          timeouts (`cfg.timeout` seconds per attempt); anything else (400, 401, 404...) fails
          at once, since repeating it cannot help.
        - up to `cfg.max_retries` retries; before retry k (0-based) we sleep a random time in
          [d/2, d] with d = min(max_retry_delay, initial_retry_delay * 2**k) (exponential backoff,
          "equal jitter", so that concurrent clients spread out), or the server's Retry-After
          when it asks for longer (capped at max_retry_delay).
        - latency and TTFT run from the first attempt: what the user waited, retries included.
        """
        t0, last = time.perf_counter(), "no attempt made"
        for attempt in range(self.cfg.max_retries + 1):
            wait = None
            try:
                text, usage, ttft = self._once(req, t0)
                return self._generation(text, usage, ttft, time.perf_counter() - t0)
            except openai.APIStatusError as e:
                last = f"HTTP {e.status_code}: {self._redact(_message(e))}"
                if e.status_code not in RETRY_STATUS:
                    break
                wait = _retry_after(e)
            except (openai.APIConnectionError, httpx.TransportError) as e:
                # APIConnectionError includes APITimeoutError; a stream cut off while being read
                # surfaces as httpx's own ReadError / RemoteProtocolError (openai 1.x does not wrap
                # errors raised during iteration)
                last = f"{type(e).__name__}: {self._redact(str(e))}"
            if attempt < self.cfg.max_retries:
                d = min(self.cfg.max_retry_delay, self.cfg.initial_retry_delay * 2 ** attempt)
                d = random.uniform(d / 2, d)
                time.sleep(min(max(d, wait or 0.0), self.cfg.max_retry_delay))
        raise EndpointError(f"endpoint {self.cfg.base_url} (model '{self.cfg.model}') failed "
                            f"after {attempt + 1} attempt(s): {last}")

    def _generation(self, text, usage, ttft, latency) -> Generation:
        pt = int(getattr(usage, "prompt_tokens", 0) or 0)
        ct = int(getattr(usage, "completion_tokens", 0) or 0)
        cost = None
        p = self.pricing
        if p and p.input_usd_per_1m_tokens is not None and p.output_usd_per_1m_tokens is not None:
            cost = (pt * p.input_usd_per_1m_tokens + ct * p.output_usd_per_1m_tokens) / 1e6
        return Generation(text=text.strip(), prompt_tokens=pt, completion_tokens=ct,
                          latency_s=latency, batch_size=1, cost_usd=cost, ttft_s=ttft)

    def _redact(self, text: str) -> str:
        """Servers sometimes echo the key they rejected; never let it into a message."""
        return text.replace(self._key, "***") if self._key != PLACEHOLDER_KEY else text

    # -- the protocol --------------------------------------------------------------------------
    def generate(self, requests: list[Request], progress=None) -> list[Generation]:
        results: list[Generation | None] = [None] * len(requests)
        with ThreadPoolExecutor(max_workers=self.cfg.max_concurrency) as pool:
            futures = {pool.submit(self._with_retries, r): i for i, r in enumerate(requests)}
            try:
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    if progress:
                        progress(1)
            except BaseException:
                for f in futures:
                    f.cancel()  # a request failed for good: do not start the rest
                raise
        return results  # type: ignore[return-value]


def _message(e: openai.APIStatusError) -> str:
    body = e.body if isinstance(e.body, dict) else {}
    err = body.get("error", body) if isinstance(body, dict) else {}
    msg = err.get("message") if isinstance(err, dict) else None
    return str(msg or e.message)[:300]


def _retry_after(e: openai.APIStatusError) -> float | None:
    try:
        return float(e.response.headers.get("retry-after"))
    except (TypeError, ValueError, AttributeError):
        return None
