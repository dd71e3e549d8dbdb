"""`harness serve`: one strategy of a finished run behind an OpenAI-compatible endpoint.

Contract:
- `served_strategy(run_dir, name, raw=False, backend=None)` (a context manager) reads the run's
  `suite.resolved.json`, refuses a strategy that is not finished (no `metrics.json`) or whose data
  changed since the run, builds the strategy class on the run's folder and the suite's cache and
  calls `prepare()`, which reuses the stored adapter and the cached index (it never trains). The
  strategy's local model is loaded unless `backend` is given; the backend as the strategy is
  served (`strategy.served`: its trained weights, if any, attached) answers for the life of the
  block.
- `create_app(served, api_key=None)` is a FastAPI app with `GET /v1/models` and
  `POST /v1/chat/completions` (non-streaming, or SSE with `stream: true`; `usage` on both, on
  streams when `stream_options.include_usage`). Answers are greedy (`temperature` is ignored),
  one request at a time (one model in memory). By default the server builds the strategy's own
  prompt from the last user message: system prompt, shots, retrieved chunks (retrieval is
  server-side; the client sends only the question). With `raw`, the client's messages are sent
  to the model (and adapter) as they are, like any model server. With `api_key`, requests must
  carry `Authorization: Bearer <key>`.
- `serve(...)` runs it with uvicorn on 127.0.0.1 unless told otherwise.
"""
from __future__ import annotations

import hmac
import json
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from harness.backends.base import Request
from harness.errors import UserError
from harness.run.run_reader import Run


@dataclass
class Served:
    model_id: str
    backend: object            # HFBackend, the strategy's trained weights attached (if any)
    strategy: object           # the prepared strategy (builds prompts unless raw)
    raw: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, messages: list[dict], max_tokens: int | None) -> Request:
        if self.raw:
            return Request(tuple(messages), max_tokens)
        users = [m["content"] for m in messages if m["role"] == "user"]
        if not users:
            raise ValueError("messages need a user message (the question)")
        reqs, _ = self.strategy.requests([users[-1]])
        return Request(reqs[0].messages, max_tokens)

    def generate(self, req: Request, stop: list[str] | None, streamer=None):
        """Call with `lock` held. A request's `stop` replaces the run's stop strings."""
        old = self.backend.cfg
        if stop is not None:
            self.backend.cfg = old.model_copy(update={"stop": stop})
        try:
            return self.backend.generate([req], streamer=streamer)[0]
        finally:
            self.backend.cfg = old


def _load_run(run_dir: Path, name: str):
    from harness.data.dataset import load_dataset
    from harness.config.suite import LoadedSuite, Suite
    run = Run(Path(run_dir))
    resolved_path = run.path("suite.resolved.json")
    if not resolved_path.is_file():
        raise UserError("not a run folder (suite.resolved.json missing)", file=str(run_dir))
    resolved = run.suite
    suite = Suite.model_validate({k: v for k, v in resolved.items() if not k.startswith("_")})
    names = [s.name for s in suite.strategies]
    if name not in names:
        raise UserError(f"no strategy '{name}' in this run (strategies: {names})",
                        file=str(resolved_path), key="strategies")
    if not run.strategy(name).complete:
        raise UserError(f"strategy '{name}' did not finish in this run; `harness run` it first",
                        file=str(run.strategy(name).folder))
    data = load_dataset(LoadedSuite(suite=suite, path=Path(resolved["_source"])))
    if run.has("run.json") and run.info.get("data_hash") != data.content_hash:
        raise UserError("the suite's data changed since this run; re-run it before serving",
                        file=str(run.path("run.json")), key="data_hash")
    return suite, data


@contextmanager
def served_strategy(run_dir: Path, name: str, raw: bool = False, backend=None):
    from harness.registry import STRATEGIES
    from harness.run.strategy import Context
    run_dir = Path(run_dir)
    suite, data = _load_run(run_dir, name)
    cfg = suite.strategy(name)
    model = suite.model_for(cfg)
    if model.backend != "hf":
        raise UserError(f"strategy '{name}' runs on a remote model ({model.base_url}); "
                        "only local models can be served", key="model.backend")
    if backend is None:
        from harness.backends import build
        backend = build(model)
    strategy = STRATEGIES[cfg.type](cfg, Context(suite, data, backend, run_dir / "strategies" / name,
                                                 run_dir.parent / "cache"))
    strategy.prepare()  # reuses the stored adapter / cached index: the run finished
    with strategy.served(backend) as served:  # trained weights attached for the life of the block
        yield Served(name, served, strategy, raw)


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # other OpenAI parameters are accepted, unused
    model: str
    messages: list[dict]
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stream: bool = False
    stream_options: dict | None = None
    stop: str | list[str] | None = None
    n: int = 1


def _text(content) -> str:
    if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "")


def _safe_prefix(acc: str, stops: list[str]) -> str:
    """What of the streamed text is final: before any stop string, stripped like the answer,
    minus a tail that could still begin a stop string or be trailing whitespace."""
    for s in stops:
        acc = acc.split(s, 1)[0]
    acc = acc.lstrip()
    hold = max((len(s) for s in stops), default=1) - 1
    return acc[:len(acc) - hold].rstrip() if hold else acc.rstrip()


def _error(status: int, message: str, kind: str):
    from fastapi.responses import JSONResponse
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status)


def create_app(served: Served, api_key: str | None = None):
    from fastapi import FastAPI, Request as HTTPRequest
    from fastapi.responses import StreamingResponse

    app = FastAPI(title=f"harness serve: {served.model_id}")
    created = int(time.time())

    @app.middleware("http")
    async def auth(request: HTTPRequest, call_next):
        if api_key is not None and not hmac.compare_digest(
                request.headers.get("authorization", ""), f"Bearer {api_key}"):
            return _error(401, "missing or wrong API key", "invalid_request_error")
        return await call_next(request)

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": [{"id": served.model_id, "object": "model",
                                            "created": created, "owned_by": "harness"}]}

    @app.post("/v1/chat/completions")
    def chat(body: ChatRequest):
        if body.model != served.model_id:
            return _error(404, f"model '{body.model}' not served here (serving "
                               f"'{served.model_id}')", "not_found_error")
        if body.n != 1:
            return _error(400, "only n=1 is supported", "invalid_request_error")
        try:
            msgs = [{"role": m["role"], "content": _text(m.get("content"))} for m in body.messages]
            req = served.request(msgs, body.max_completion_tokens or body.max_tokens)
        except (KeyError, TypeError, ValueError) as e:
            return _error(400, f"bad messages: {e}", "invalid_request_error")
        stop = [body.stop] if isinstance(body.stop, str) else body.stop
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        if body.stream:
            usage = bool((body.stream_options or {}).get("include_usage"))
            return StreamingResponse(_sse(served, req, stop, usage, cid, created),
                                     media_type="text/event-stream")
        with served.lock:
            g = served.generate(req, stop)
        return {"id": cid, "object": "chat.completion", "created": created,
                "model": served.model_id,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": g.text},
                             "finish_reason": _finish(served, req, g)}],
                "usage": _usage(g)}

    return app


def _usage(g) -> dict:
    return {"prompt_tokens": g.prompt_tokens, "completion_tokens": g.completion_tokens,
            "total_tokens": g.prompt_tokens + g.completion_tokens}


def _finish(served, req, g) -> str:
    limit = req.max_new_tokens or served.backend.cfg.max_new_tokens
    return "length" if g.completion_tokens >= limit else "stop"


def _sse(served: Served, req: Request, stop, include_usage: bool, cid: str, created: int):
    """Server-sent events: tokens as the model produces them (transformers' streamer)."""
    from transformers import TextIteratorStreamer

    def event(delta: dict | None, finish=None, usage=None) -> str:
        chunk = {"id": cid, "object": "chat.completion.chunk", "created": created,
                 "model": served.model_id,
                 "choices": [] if delta is None else [{"index": 0, "delta": delta,
                                                       "finish_reason": finish}]}
        if usage is not None:
            chunk["usage"] = usage
        return f"data: {json.dumps(chunk)}\n\n"

    stops = list(stop if stop is not None else served.backend.cfg.stop)
    with served.lock:
        streamer = TextIteratorStreamer(served.backend.tokenizer, skip_prompt=True,
                                        skip_special_tokens=True)
        box: dict = {}

        def work():
            try:
                box["gen"] = served.generate(req, stop, streamer)
            except BaseException as e:  # surfaced below, after the stream ends
                box["error"] = e
                streamer.end()

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        try:
            yield event({"role": "assistant", "content": ""})
            acc, sent = "", ""
            for piece in streamer:
                acc += piece
                safe = _safe_prefix(acc, stops)
                if len(safe) > len(sent) and safe.startswith(sent):
                    yield event({"content": safe[len(sent):]})
                    sent = safe
        finally:
            worker.join()  # the model is never used by two requests at once
        if "error" in box:
            raise box["error"]
        g = box["gen"]
        if g.text.startswith(sent) and len(g.text) > len(sent):
            yield event({"content": g.text[len(sent):]})
        yield event({}, finish=_finish(served, req, g))
        if include_usage:
            yield event(None, usage=_usage(g))
        yield "data: [DONE]\n\n"


def resolve_run(ref: Path) -> Path:
    """A run folder, or a suite folder (`results/<suite>`) meaning its latest run."""
    return Run.resolve(Path(ref)).folder


def serve(run_dir: Path, name: str, host: str, port: int, raw: bool, api_key: str | None,
          console) -> None:
    import uvicorn
    with served_strategy(resolve_run(run_dir), name, raw) as served:
        app = create_app(served, api_key)
        console.print(f"serving '{name}' of {run_dir} at http://{host}:{port}/v1 "
                      f"(model id '{served.model_id}'{', raw messages' if raw else ''})")
        if host not in ("127.0.0.1", "localhost", "::1") and api_key is None:
            console.print(f"[yellow]warning:[/] listening on {host} without --api-key-env: "
                          "anyone who can reach this port can use the model")
        uvicorn.run(app, host=host, port=port, log_level="warning")
