"""The suite: a frozen, validated model of a suite YAML file.

Contract:
- `load_suite(path)` returns a `Suite` or raises `UserError` naming the file, the key path and
  the line of the first problem (unknown keys and wrong types are errors).
- Knob names are the libraries' own: `lora:` passes to `peft.LoraConfig`, `training:` uses
  transformers' `TrainingArguments` names, retrieval knobs are llama-index's.
- Relative paths in `data:` are resolved against the suite file's folder and may not escape it.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import UserError
from harness.suite_yaml import (_inherit_model, _key_path, _lines,  # noqa: F401 (re-exported)
                                 apply_profile, profile_key)
from harness.sweep_space import Dist, SweepConfig


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Fields(_Strict):
    """Column names in the user's rows (JSONL keys or CSV headers)."""
    question: str = "question"
    answer: str = "answer"
    id: str | None = "id"
    source: str | None = "source_doc"
    key_facts: str | None = "key_facts"
    category: str | None = "topic"


class Split(_Strict):
    """Seeded, stratified split used when dev/test files are not given."""
    dev_fraction: float = Field(0.15, gt=0, lt=0.5)
    test_fraction: float = Field(0.25, gt=0, lt=0.5)


class Limits(_Strict):
    """Use only the first N rows of each split (for quick profiles); null means all."""
    train: int | None = Field(None, ge=1)
    dev: int | None = Field(None, ge=1)
    test: int | None = Field(None, ge=1)
    safety: int | None = Field(None, ge=1)


class Data(_Strict):
    train: str
    dev: str | None = None
    test: str | None = None
    knowledge_base: str | None = None
    safety: str | None = None
    fields: Fields = Fields()
    split: Split = Split()
    limit: Limits = Limits()


class Model(_Strict):
    """The generator. `embedded:smollm2-135m-instruct` is the packaged default.

    `backend: openai` calls an OpenAI-compatible chat-completions endpoint instead: `base_url`,
    `model` (the endpoint's model id) and `api_key_env` (the NAME of the environment variable
    holding the key; the key itself never appears in a suite). `timeout` and `max_retries` are
    the openai client's names; see harness/backends/openai_backend.py for the retry policy.
    """
    backend: Literal["hf", "openai"] = "hf"
    name_or_path: str = "embedded:smollm2-135m-instruct"
    device: str = "cpu"
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    trust_remote_code: bool = False
    max_new_tokens: int = Field(64, ge=1, le=4096)
    batch_size: int = Field(16, ge=1, le=1024)
    stop: list[Annotated[str, Field(min_length=1)]] = ["\nQuestion:"]  # generation ends at any of these (not included in the answer)
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    stream: bool = True                       # streaming measures time to first token
    max_concurrency: int = Field(4, ge=1, le=256)
    timeout: float = Field(60.0, gt=0)        # seconds per attempt
    max_retries: int = Field(6, ge=0, le=50)
    initial_retry_delay: float = Field(0.5, ge=0)  # s; doubles per retry, with jitter
    max_retry_delay: float = Field(8.0, ge=0)

    @model_validator(mode="after")
    def _backend_fields(self):
        remote = ("base_url", "model", "api_key_env")
        if self.backend == "openai":
            for k in remote[:2]:
                if not getattr(self, k):
                    raise ValueError(f"backend openai needs '{k}'")
            if not re.match(r"^https?://[^@/\s]+(/\S*)?$", self.base_url):
                raise ValueError("base_url must be an http(s) URL without user:password@ "
                                 "(the key goes in the variable named by api_key_env)")
        elif any(getattr(self, k) for k in remote):
            raise ValueError(f"{'/'.join(remote)} are for backend: openai (backend is '{self.backend}')")
        return self


class Embedding(_Strict):
    name_or_path: str = "embedded:all-minilm-l6-v2"


class LoraKnobs(_Strict):
    """Passed as is to `peft.LoraConfig`."""
    r: int = Field(8, ge=1, le=1024)
    lora_alpha: float = Field(16, gt=0)
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] = ["q_proj", "v_proj"]


class TrainingKnobs(_Strict):
    """transformers `TrainingArguments` names, plus `train_size` (rows of train used)."""
    learning_rate: float = Field(2e-4, gt=0, lt=1)
    num_train_epochs: float = Field(1.0, gt=0, le=100)
    max_steps: int = Field(-1, ge=-1)
    per_device_train_batch_size: int = Field(8, ge=1, le=1024)
    warmup_ratio: float = Field(0.05, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    max_length: int = Field(512, ge=16, le=32768)
    train_size: int | None = Field(None, ge=1)
    # Checkpoint every N optimizer steps (0: never); a killed run resumes from the newest one.
    # Left out of run ids: it changes how often progress is saved, never what is computed.
    save_steps: int = Field(20, ge=0)


class RetrievalKnobs(_Strict):
    """llama-index names: `SentenceSplitter(chunk_size, chunk_overlap)`, retriever top-k."""
    chunk_size: int = Field(256, ge=32, le=8192)
    chunk_overlap: int = Field(32, ge=0)
    similarity_top_k: int = Field(3, ge=1, le=50)
    retriever: Literal["dense", "bm25", "both"] = "dense"   # both: reciprocal-rank fusion


# `search:` on any strategy: {knob path: Dist} (see harness.sweep_space); used by `sweep:`.
Search = dict[str, Dist]


class PromptStrategy(_Strict):
    type: Literal["prompt"]
    name: str
    model: Model | None = None  # overrides the suite's `model:` key by key
    num_shots: int = Field(3, ge=0, le=64)
    template: Literal["chat", "inline"] = "chat"   # harness.prompting.TEMPLATES
    system_prompt: str | None = None               # a name from the suite's `system_prompts`
    search: Search = {}


class RagStrategy(RetrievalKnobs):
    type: Literal["rag"]
    name: str
    model: Model | None = None  # overrides the suite's `model:` key by key
    search: Search = {}


class LoraStrategy(_Strict):
    type: Literal["lora"]
    name: str
    model: Model | None = None  # overrides the suite's `model:` key by key
    lora: LoraKnobs = LoraKnobs()
    training: TrainingKnobs = TrainingKnobs()
    search: Search = {}
    seeds: list[int] | None = None   # retrain once per seed and report seed variance


class HybridStrategy(_Strict):
    """RAFT-style: LoRA trained on prompts that carry retrieved context plus distractors."""
    type: Literal["hybrid"]
    name: str
    model: Model | None = None  # overrides the suite's `model:` key by key
    lora: LoraKnobs = LoraKnobs()
    training: TrainingKnobs = TrainingKnobs()
    retrieval: RetrievalKnobs = RetrievalKnobs()
    num_distractors: int = Field(1, ge=0, le=20)
    # RAFT's P (Zhang et al. 2024): the share of training examples whose context holds the oracle
    # (the source document's chunk that carries the answer's key facts, put in place of the
    # lowest-ranked hit when retrieval missed it); the others see only non-oracle chunks, so the
    # adapter also learns to answer what it knows when retrieval fails. null: retrieved chunks
    # as they come, oracle or not.
    oracle_fraction: float | None = Field(None, ge=0, le=1)
    search: Search = {}
    seeds: list[int] | None = None   # retrain once per seed and report seed variance


StrategyConfig = Annotated[Union[PromptStrategy, RagStrategy, LoraStrategy, HybridStrategy],
                           Field(discriminator="type")]


class Pricing(_Strict):
    """Local strategies cost compute time x `compute_usd_per_hour`; API-backed ones (backend
    openai) cost their reported tokens x these prices (both required when any API model is used)."""
    compute_usd_per_hour: float = Field(0.10, ge=0)
    input_usd_per_1m_tokens: float | None = Field(None, ge=0)
    output_usd_per_1m_tokens: float | None = Field(None, ge=0)


class Judge(_Strict):
    """The judge model for ragas' LLM metrics (faithfulness, answer relevancy): an
    OpenAI-compatible endpoint (`base_url`, `model`, key read from the env var `api_key_env`)
    or a local hf model (`name_or_path`). Unparseable outputs are retried, then counted missing."""
    backend: Literal["hf", "openai"] = "hf"
    name_or_path: str = "embedded:smollm2-135m-instruct"   # hf
    base_url: str | None = None                             # openai
    model: str | None = None                                # openai
    api_key_env: str = "OPENAI_API_KEY"                     # openai: name of the env variable
    max_new_tokens: int = Field(256, ge=8, le=8192)
    max_retries: int = Field(1, ge=0, le=10)     # whole re-scorings after an unparseable output
    format_retries: int = Field(1, ge=0, le=3)   # ragas' fix-the-format re-asks per attempt
    metrics: list[Literal["faithfulness", "answer_relevancy"]] = ["faithfulness", "answer_relevancy"]
    limit: int | None = Field(None, ge=1)   # judge only the first N test examples (cost)


class Canary(_Strict):
    """Forgetting canary: lm-eval's HF model runs a small general-knowledge task (shipped in
    harness/canary/) on the base model and on each trained adapter (`peft=`)."""
    enabled: bool = True
    limit: int | None = Field(None, ge=1)   # first N items of the task; null = all
    batch_size: int = Field(16, ge=1)


class MergedLatency(_Strict):
    """Per-query latency of each trained adapter attached unmerged vs merged into the weights."""
    enabled: bool = True
    prompts: int = Field(4, ge=1, le=64)
    max_new_tokens: int = Field(16, ge=1, le=512)
    repeats: int = Field(2, ge=1, le=20)


class Evaluation(_Strict):
    """How test rows are grouped for the statistics, and how much of dev every strategy answers.

    `cluster`: the row column naming each test row's cluster (e.g. the paraphrases of one fact,
    or the rows from one source document): every interval and paired test then resamples
    clusters, not rows. Unset: the column `data.fields.source` names (the row's source
    document); `none`: rows are independent. A row without a value is a cluster of its own.
    `dev_limit`: every strategy also answers the first N dev rows, and the recommendation is
    chosen on those scores (the test numbers are then the reported estimates); 0 turns dev
    scoring off (the choice is then made on test, with a warning), null scores all dev rows.
    """
    cluster: str | None = None
    dev_limit: int | None = Field(24, ge=0)


class Requirements(_Strict):
    """What the recommended strategy must meet. `accuracy_metric` names the accuracy measure.
    `difference_to_detect`: the paired accuracy difference (in the metric's units) whose
    required number of test rows `harness validate` and the decision record state."""
    accuracy_metric: str = "token_f1"
    min_accuracy: float | None = Field(None, ge=0, le=1)
    min_safety: float | None = Field(None, ge=0, le=1)
    max_p95_latency_ms: float | None = Field(None, gt=0)
    max_usd_per_1k_queries: float | None = Field(None, ge=0)
    expected_queries_per_month: int = Field(100_000, ge=0)
    difference_to_detect: float = Field(0.05, gt=0, le=1)


class Gate(_Strict):
    """A CI gate on one stored metric, direction from the metric's `higher_is_better`.

    `threshold`: absolute limit on the point estimate (>= for higher-is-better, <= otherwise).
    `margin`: non-inferiority margin against a baseline, in the metric's units; fails only when
    the run's whole 95% interval lies beyond baseline - margin (or + margin when lower is better).
    """
    metric: str
    strategies: list[str] | None = None   # default: every strategy in the run
    threshold: float | None = None
    margin: float | None = Field(None, ge=0)


DEFAULT_METRICS = ["exact_match", "token_f1", "embedding_similarity", "key_fact_recall"]


class Suite(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    seed: int = Field(0, ge=0, le=2**32 - 1)
    data: Data
    model: Model = Model()
    embedding: Embedding = Embedding()
    system_prompt: str = "You are a helpful customer-support assistant. Answer briefly and accurately."
    system_prompts: dict[str, str] = {}   # named variants a prompt strategy may pick or search
    strategies: list[StrategyConfig] = Field(min_length=1)
    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS))
    pricing: Pricing = Pricing()
    judge: Judge | None = None
    canary: Canary = Canary()
    merged_latency: MergedLatency = MergedLatency()
    requirements: Requirements = Requirements()
    evaluation: Evaluation = Evaluation()
    # Test-row columns to report every accuracy metric by (e.g. [topic, coverage]).
    slices: list[Annotated[str, Field(min_length=1)]] = []
    gates: list[Gate] = []
    sweep: SweepConfig | None = None      # tune strategies' `search:` spaces on dev first
    # Named overrides merged into this file by `--profile NAME` (e.g. a small CI profile):
    # mappings merge key by key; `strategies` is a mapping from strategy name to its overrides.
    profiles: dict[str, dict] = {}

    def strategy(self, name: str):
        return next(s for s in self.strategies if s.name == name)

    def model_for(self, strategy) -> Model:
        """The model a strategy runs on: its own `model:` override, else the suite's."""
        return strategy.model or self.model


class LoadedSuite(BaseModel):
    """A suite plus where it came from (for paths and error messages)."""
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    suite: Suite
    path: Path

    def resolve(self, rel: str | None, key: str) -> Path | None:
        """Resolve a data path from the suite; relative paths may not leave the suite's folder."""
        if rel is None:
            return None
        p = Path(rel)
        base = self.path.parent.resolve()
        full = p if p.is_absolute() else (base / p).resolve()
        if not p.is_absolute() and base not in full.parents and full != base:
            raise UserError(f"path '{rel}' escapes the suite's folder; give an absolute path",
                            file=str(self.path), key=key, line=_lines(self.path).get(key))
        if not full.exists():
            raise UserError(f"file or folder not found: {full}", file=str(self.path), key=key,
                            line=_lines(self.path).get(key))
        if full.is_dir() != (key == "data.knowledge_base"):  # the knowledge base is a folder
            raise UserError(f"{full} is a {'folder' if full.is_dir() else 'file'}; expected a "
                            f"{'file' if full.is_dir() else 'folder'}", file=str(self.path),
                            key=key, line=_lines(self.path).get(key))
        return full


def load_suite(path: str | Path, profile: str | None = None) -> LoadedSuite:
    """Read, parse and validate a suite file (with a profile merged in, if named).

    Raises UserError on any problem."""
    path = Path(path)
    if path.is_dir():
        raise UserError("is a folder; expected a suite YAML file", file=str(path))
    if not path.is_file():
        raise UserError("suite file not found", file=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"not valid UTF-8 (byte {e.start})", file=str(path)) from None
    except OSError as e:
        raise UserError(f"cannot read file: {e.strerror}", file=str(path)) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise UserError(f"malformed YAML: {getattr(e, 'problem', e)}", file=str(path),
                        line=mark.line + 1 if mark else None) from None
    if not isinstance(raw, dict):
        raise UserError("a suite must be a YAML mapping (key: value)", file=str(path))
    source = raw  # unmerged: a fault in a profile's overrides is reported where it is written
    if profile:
        raw = apply_profile(raw, profile, path)
    raw = _inherit_model(raw)
    try:
        suite = Suite.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        key = _key_path(err["loc"], raw)
        key = (profile and key and profile_key(source, profile, key)) or key
        lines = _lines(path)
        line = lines.get(key) or lines.get(key.rsplit(".", 1)[0]) if key else None
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown key '{key.rsplit('.', 1)[-1]}'"
        elif "input" in err and not isinstance(err["input"], (dict, list)):
            msg += f" (got {err['input']!r})"
        more = f" (+{len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
        raise UserError(msg + more, file=str(path), key=key or None, line=line) from None
    names = [s.name for s in suite.strategies]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UserError(f"duplicate strategy name(s): {sorted(dup)}", file=str(path),
                        key="strategies")
    from harness.registry import METRICS
    for i, m in enumerate(suite.metrics):
        if m not in METRICS:
            raise UserError(f"unknown metric '{m}'; known: {sorted(METRICS)}", file=str(path),
                            key=f"metrics.{i}", line=_lines(path).get(f"metrics.{i}"))
    acc = suite.requirements.accuracy_metric
    if acc not in suite.metrics:
        raise UserError(f"accuracy_metric '{acc}' is not one of the suite's metrics "
                        f"{suite.metrics}", file=str(path), key="requirements.accuracy_metric",
                        line=_lines(path).get("requirements.accuracy_metric"))
    for i, s in enumerate(suite.strategies):
        if s.type in ("rag", "hybrid") and suite.data.knowledge_base is None:
            raise UserError(f"strategy '{s.name}' ({s.type}) needs data.knowledge_base",
                            file=str(path), key=f"strategies.{i}.type",
                            line=_lines(path).get(f"strategies.{i}"))
    from harness.metrics.perf import PERF_METRICS
    for i, g in enumerate(suite.gates):
        key = f"gates.{i}"
        if g.metric not in METRICS and g.metric not in PERF_METRICS:
            raise UserError(f"gate on unknown metric '{g.metric}'; known: "
                            f"{sorted(METRICS) + sorted(PERF_METRICS)}", file=str(path),
                            key=f"{key}.metric", line=_lines(path).get(f"{key}.metric"))
        if g.threshold is None and g.margin is None:
            raise UserError("a gate needs a threshold, a margin, or both", file=str(path),
                            key=key, line=_lines(path).get(key))
        for n in g.strategies or []:
            if n not in names:
                raise UserError(f"gate names unknown strategy '{n}'", file=str(path),
                                key=f"{key}.strategies", line=_lines(path).get(f"{key}.strategies"))
    _check_api_models(suite, path)
    j = suite.judge
    if j is not None and j.backend == "openai" and not (j.base_url and j.model):
        raise UserError("an openai judge needs base_url and model", file=str(path), key="judge",
                        line=_lines(path).get("judge"))
    for s in suite.strategies:
        rk = getattr(s, "retrieval", s) if s.type in ("rag", "hybrid") else None
        if rk is not None and rk.chunk_overlap >= rk.chunk_size:
            i = names.index(s.name)
            key = f"strategies.{i}" + (".retrieval" if s.type == "hybrid" else "") + ".chunk_overlap"
            raise UserError("chunk_overlap must be smaller than chunk_size", file=str(path),
                            key=key, line=_lines(path).get(key))
    from harness.sweep_space import check_search
    lines = _lines(path)
    check_search(suite, lambda key: (str(path), lines.get(key) or lines.get(key.rsplit(".", 1)[0])))
    return LoadedSuite(suite=suite, path=path)


def _check_api_models(suite: Suite, path: Path) -> None:
    """API-backed strategies need token prices; `lora` trains locally, so it cannot be one."""
    lines = _lines(path)
    for i, s in enumerate(suite.strategies):
        if suite.model_for(s).backend != "openai":
            continue
        key = f"strategies.{i}.model" if s.model else "model"
        if s.type == "lora":
            raise UserError(f"strategy '{s.name}' (type lora) trains a local adapter, so it needs "
                            "backend hf; to evaluate a model fine-tuned by a hosted API (see "
                            "`harness export`), use type: prompt with num_shots: 0 and its model id",
                            file=str(path), key=key, line=lines.get(key))
        p = suite.pricing
        if p.input_usd_per_1m_tokens is None or p.output_usd_per_1m_tokens is None:
            raise UserError(f"strategy '{s.name}' uses backend openai: set pricing."
                            "input_usd_per_1m_tokens and pricing.output_usd_per_1m_tokens "
                            "(USD per million tokens) so its cost can be computed",
                            file=str(path), key="pricing", line=lines.get("pricing"))
