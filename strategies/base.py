"""What every strategy file builds on: the config base with its capability flags.

Contract:
- A strategy file `strategies/<type>.py` defines its pydantic config model (a subclass of
  `StrategyConfig` with `type: Literal["<type>"]`), sets the capability flags below on it, and
  defines the strategy class (harness.run.strategy.Strategy) with `Config = <its config model>`.
  harness.registry names the class; the suite's `strategies:` union is built from the registry.
- The rest of the package asks these flags, never the type name:
  `label` (what `prepare` is doing, shown on its progress bar), `needs_knowledge_base`
  (`data.knowledge_base` is required), `retrieves` (answers carry retrieved chunks: the ragas
  metrics apply; `retrieval_knobs()` gives its RetrievalKnobs and `retrieval_key` where they sit
  in the YAML), `trains_weights` (it has a `training:` block and trains in `prepare`: the
  forgetting canary and seed variance apply; `trained_folder` names the folder of its strategy
  folder that holds the trained weights, and their key in `train.json`), `uses_adapter` (it
  answers with a peft adapter attached from `strategy.adapter_dir`: the merged-latency check
  applies), `api_model_ok` (it may run on an API model,
  backend openai), `prompt_baseline` (the base model prompted: the reference for extra prompt
  tokens). `trivial()` says whether a configuration is a trivial baseline for the floor.
- The strategy class derives from `StrategyBase`: built as `cls(config, ctx)`, and
  `served(backend)` is the one place that says how the strategy's model is served — a context
  manager yielding the backend that answers for it (the base: the backend as it is; a trained
  strategy: its trained weights attached, detached again when the block ends). Evaluation,
  batch-1 latency, the forgetting canary and `harness serve` all enter it.
- `QuestionPrompts` (a mixin): `requests`/`predict` (and the training prompts) of a strategy
  that answers the question alone through `served` (lora, full).
- Module level imports stay light (pydantic, harness.config.knobs): validating a suite imports every
  strategy file, so torch, transformers, peft and llama-index are imported inside methods.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import ClassVar

from harness.config.knobs import RetrievalKnobs, Strict


class StrategyConfig(Strict):
    label: ClassVar[str] = "preparing"
    needs_knowledge_base: ClassVar[bool] = False
    retrieves: ClassVar[bool] = False
    retrieval_key: ClassVar[str | None] = None   # "" : the config itself; "retrieval": a block
    trains_weights: ClassVar[bool] = False
    trained_folder: ClassVar[str | None] = None   # e.g. "adapter" (set when trains_weights)
    uses_adapter: ClassVar[bool] = False
    api_model_ok: ClassVar[bool] = True
    prompt_baseline: ClassVar[bool] = False

    def retrieval_knobs(self) -> RetrievalKnobs | None:
        """The retrieval knobs this strategy retrieves with (None: it does not retrieve)."""
        k = self.retrieval_key
        return None if k is None else getattr(self, k) if k else self

    def trivial(self) -> bool:
        """A configuration that is a trivial baseline (harness.evaluation.floor), e.g. a zero-shot prompt."""
        return False


class StrategyBase:
    """Every strategy class: `cls(config, ctx)` sets `config` and `ctx` (harness.run.strategy)."""

    def __init__(self, config, ctx):
        self.config, self.ctx = config, ctx

    def served(self, backend):
        """The backend as this strategy is served (here: the base model, unchanged)."""
        return nullcontext(backend)


class WeightTraining(StrategyBase):
    """Shared by strategies that train weights in `prepare()` (`trains_weights`): built as
    `cls(config, ctx)`, it sets `config`, `ctx` and `trained_dir` (`<artifact_dir>/<its config's
    trained_folder>/`, which the training writes with `harness_train.json` last).

    - `reused()` returns the stored training record (`train.json`) with `from_cache: True` when
      the finished training is already there, else None: a finished training is never redone.
    - `trainable_backend(what)` is the context's backend, or raises `UserError` naming the
      strategy when it is not `Trainable` (harness.backends.base; e.g. an API model).
    - `record(res, fits, **extra)` writes `train.json` and returns it: the trained folder (under
      the `trained_folder` key), `extra` (e.g. the index folder), seconds, tokens, steps,
      examples, trainable parameters, FLOPs estimate, losses (a harness.training.training.TrainResult)
      and how many prompts (harness.training.fit.Fitted, one per train row) were cut to fit.
    """

    def __init__(self, config, ctx):
        super().__init__(config, ctx)
        self.trained_dir = ctx.artifact_dir / config.trained_folder

    def reused(self) -> dict | None:
        import json
        record = self.ctx.artifact_dir / "train.json"
        if record.exists() and (self.trained_dir / "harness_train.json").exists():
            return json.loads(record.read_text()) | {"from_cache": True}
        return None

    def trainable_backend(self, what: str):
        from harness.backends.base import Trainable
        from harness.errors import UserError
        if not isinstance(self.ctx.backend, Trainable):
            raise UserError(f"strategy '{self.config.name}' trains {what}, which needs a local "
                            f"model (backend hf), not {type(self.ctx.backend).__name__}",
                            key="model.backend")
        return self.ctx.backend

    def record(self, res, fits, **extra) -> dict:
        from harness.run.store import write_json
        info = {self.config.trained_folder: str(self.trained_dir)} | extra | {
            "train_seconds": res.seconds, "train_tokens": res.tokens, "steps": res.steps,
            "examples": res.examples, "trainable_params": res.trainable_params,
            "train_flops_estimate": res.flops_estimate, "losses": res.losses,
            "prompts_cut": sum(f.cut_tokens > 0 for f in fits),
            "prompt_tokens_cut": sum(f.cut_tokens for f in fits)}
        write_json(self.ctx.artifact_dir / "train.json", info)
        return info


class QuestionPrompts:
    """For a strategy that answers the question alone (system prompt + question: no retrieval,
    no shots) through `served(backend)`, and trains on the same prompts (lora, full). The
    system prompt is the suite's, or the variant of `system_prompts` the config's `system_prompt`
    names.

    - `train_fits(backend)`: (fits, rows): the first `training.train_size` train rows, each
      fitted (harness.training.fit.Fitter.for_training on `backend`) as a training prompt with
      its reference answer.
    - `requests(questions)`: the chat requests for these questions, fitted to the strategy's
      model (`Fitter.for_generation`); no retrieval, so no contexts (`None`).
    - `predict(queries, bar)`: those requests answered by `served(ctx.backend)`.
    """

    def train_fits(self, backend):
        from harness.data.prompting import builder
        from harness.training.fit import Fitter
        build = builder(self.ctx.suite, system_name=self.config.system_prompt)
        fitter = Fitter.for_training(backend, self.config.training)
        train = self.ctx.data.train[: self.config.training.train_size]
        return [fitter.fit(build, e.question, answer=e.answer) for e in train], train

    def requests(self, questions: list[str]):
        from harness.backends.base import Request
        from harness.data.prompting import builder
        from harness.training.fit import Fitter
        build = builder(self.ctx.suite, system_name=self.config.system_prompt)
        fitter = Fitter.for_generation(self.ctx.backend, self.ctx.suite.model_for(self.config))
        fits = [fitter.fit(build, q) for q in questions]
        return [Request(f.messages, cut_tokens=f.cut_tokens) for f in fits], None

    def predict(self, queries, bar=None):
        from harness.run.strategy import to_predictions
        reqs, _ = self.requests([q.text for q in queries])
        with self.served(self.ctx.backend) as b:
            return to_predictions(queries, b.generate(reqs, bar.advance if bar else None),
                                  requests=reqs)


class AdapterTraining(WeightTraining):
    """Strategies that train a LoRA adapter and answer with it attached (lora, hybrid; their
    config's `trained_folder` is "adapter", so `adapter_dir` is `<artifact_dir>/adapter/`).
    `served(backend)` attaches the adapter when the backend hosts adapters (an API endpoint
    serves its own fine-tuned model: the backend as it is).

    - `train_adapter(fits, train, bar, answers=None, **extra)` trains a fresh adapter
      (harness.training.training.train_lora; torch is imported only here) on the fitted prompts with
      `answers` (default: each row's reference answer) and returns `record(...)`. Raises
      `UserError` when the backend is not `Trainable`. With `ctx.init_adapter` set
      (harness.updates.update_run: continued training on a knowledge update), training starts from that
      saved adapter instead of a fresh one.
    """

    def __init__(self, config, ctx):
        super().__init__(config, ctx)
        self.adapter_dir = self.trained_dir

    def served(self, backend):
        from harness.backends.base import AdapterHost
        return backend.adapter(self.adapter_dir) if isinstance(backend, AdapterHost) \
            else nullcontext(backend)

    def train_adapter(self, fits, train, bar=None, answers=None, **extra) -> dict:
        backend = self.trainable_backend("an adapter")
        from harness.training.training import train_lora  # torch: only when something is trained
        answers = [e.answer for e in train] if answers is None else answers
        pairs = [(f.messages, a) for f, a in zip(fits, answers)]
        res = train_lora(backend, pairs, self.config.lora, self.config.training,
                         self.adapter_dir, self.ctx.suite.seed, bar, self.ctx.on_step,
                         init_adapter=self.ctx.init_adapter)
        return self.record(res, fits, **extra)
