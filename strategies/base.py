"""What every strategy file builds on: the config base with its capability flags.

Contract:
- A strategy file `strategies/<type>.py` defines its pydantic config model (a subclass of
  `StrategyConfig` with `type: Literal["<type>"]`), sets the capability flags below on it, and
  defines the strategy class (harness.strategy.Strategy) with `Config = <its config model>`.
  harness.registry names the class; the suite's `strategies:` union is built from the registry.
- The rest of the package asks these flags, never the type name:
  `label` (what `prepare` is doing, shown on its progress bar), `needs_knowledge_base`
  (`data.knowledge_base` is required), `retrieves` (answers carry retrieved chunks: the ragas
  metrics apply; `retrieval_knobs()` gives its RetrievalKnobs and `retrieval_key` where they sit
  in the YAML), `trains_weights` (it has a `training:` block and trains in `prepare`),
  `uses_adapter` (it answers with a peft adapter attached from `strategy.adapter_dir`: the
  forgetting canary and merged-latency checks apply), `api_model_ok` (it may run on an API model,
  backend openai), `prompt_baseline` (the base model prompted: the reference for extra prompt
  tokens). `trivial()` says whether a configuration is a trivial baseline for the floor.
- The strategy class derives from `StrategyBase`: built as `cls(config, ctx)`, and
  `served(backend)` is the one place that says how the strategy's model is served — a context
  manager yielding the backend that answers for it (the base: the backend as it is; a trained
  strategy: its trained weights attached, detached again when the block ends). Evaluation,
  batch-1 latency, the forgetting canary and `harness serve` all enter it.
- Module level imports stay light (pydantic, harness.knobs): validating a suite imports every
  strategy file, so torch, transformers, peft and llama-index are imported inside methods.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import ClassVar

from harness.knobs import RetrievalKnobs, Strict


class StrategyConfig(Strict):
    label: ClassVar[str] = "preparing"
    needs_knowledge_base: ClassVar[bool] = False
    retrieves: ClassVar[bool] = False
    retrieval_key: ClassVar[str | None] = None   # "" : the config itself; "retrieval": a block
    trains_weights: ClassVar[bool] = False
    uses_adapter: ClassVar[bool] = False
    api_model_ok: ClassVar[bool] = True
    prompt_baseline: ClassVar[bool] = False

    def retrieval_knobs(self) -> RetrievalKnobs | None:
        """The retrieval knobs this strategy retrieves with (None: it does not retrieve)."""
        k = self.retrieval_key
        return None if k is None else getattr(self, k) if k else self

    def trivial(self) -> bool:
        """A configuration that is a trivial baseline (harness.floor), e.g. a zero-shot prompt."""
        return False


class StrategyBase:
    """Every strategy class: `cls(config, ctx)` sets `config` and `ctx` (harness.strategy)."""

    def __init__(self, config, ctx):
        self.config, self.ctx = config, ctx

    def served(self, backend):
        """The backend as this strategy is served (here: the base model, unchanged)."""
        return nullcontext(backend)


class AdapterTraining(StrategyBase):
    """Shared by strategies that train a LoRA adapter in `prepare()` and answer with it attached
    (lora, hybrid): built as `cls(config, ctx)`, it sets `config`, `ctx` and `adapter_dir`
    (`<artifact_dir>/adapter/`). `served(backend)` attaches the adapter when the backend hosts
    adapters (an API endpoint serves its own fine-tuned model: the backend as it is).

    - `reused()` returns the stored training record (`train.json`) with `from_cache: True` when
      the finished adapter is already there, else None: a finished adapter is never retrained.
    - `train_adapter(fits, train, bar, **extra)` trains a fresh adapter (harness.training.
      train_lora; torch is imported only here) on the fitted prompts (harness.fit.Fitted, one per
      train row) with each row's reference answer, writes `train.json` and returns its record:
      adapter folder, `extra` (e.g. the index folder), seconds, tokens, steps, examples,
      trainable parameters, FLOPs estimate, losses and how many prompts were cut to fit.
      Raises `UserError` when the backend is not `Trainable` (harness.backends.base).
    """

    def __init__(self, config, ctx):
        super().__init__(config, ctx)
        self.adapter_dir = ctx.artifact_dir / "adapter"

    def served(self, backend):
        from harness.backends.base import AdapterHost
        return backend.adapter(self.adapter_dir) if isinstance(backend, AdapterHost) \
            else nullcontext(backend)

    def reused(self) -> dict | None:
        import json
        record = self.ctx.artifact_dir / "train.json"
        if record.exists() and (self.adapter_dir / "adapter_config.json").exists():
            return json.loads(record.read_text()) | {"from_cache": True}
        return None

    def train_adapter(self, fits, train, bar=None, **extra) -> dict:
        from harness.backends.base import Trainable
        from harness.errors import UserError
        from harness.store import write_json
        if not isinstance(self.ctx.backend, Trainable):
            raise UserError(f"strategy '{self.config.name}' trains an adapter, which needs a local "
                            f"model (backend hf), not {type(self.ctx.backend).__name__}",
                            key="model.backend")
        from harness.training import train_lora  # torch: only when something is trained
        pairs = [(f.messages, e.answer) for f, e in zip(fits, train)]
        res = train_lora(self.ctx.backend, pairs, self.config.lora, self.config.training,
                         self.adapter_dir, self.ctx.suite.seed, bar, self.ctx.on_step)
        info = {"adapter": str(self.adapter_dir)} | extra | {
            "train_seconds": res.seconds, "train_tokens": res.tokens, "steps": res.steps,
            "examples": res.examples, "trainable_params": res.trainable_params,
            "train_flops_estimate": res.flops_estimate, "losses": res.losses,
            "prompts_cut": sum(f.cut_tokens > 0 for f in fits),
            "prompt_tokens_cut": sum(f.cut_tokens for f in fits)}
        write_json(self.ctx.artifact_dir / "train.json", info)
        return info
