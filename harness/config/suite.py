"""The suite: a frozen, validated model of a suite YAML file.

Contract:
- `load_suite(path)` returns a `Suite` or raises `UserError` naming the file, the key path and
  the line of the first problem (unknown keys and wrong types are errors).
- Knob names are the libraries' own: `lora:` passes to `peft.LoraConfig`, `training:` uses
  transformers' `TrainingArguments` names, retrieval knobs are llama-index's.
- Relative paths in `data:` are resolved against the suite file's folder and may not escape it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import UserError
from harness.config.knobs import (LoraKnobs, Model, RetrievalKnobs, Search,  # noqa: F401 (re-exported)
                           Strict as _Strict, TrainingKnobs)
from harness.registry import TASKS, strategy_union, task_union
from harness.config.suite_yaml import (_inherit_model, _key_path, _lines,  # noqa: F401 (re-exported)
                                 apply_profile, parse, profile_key)
from harness.config.sweep_space import SweepConfig
from harness.config.templates import Templates  # noqa: F401 (the suite's `templates:` block)
from harness.updates.update_data import Update


class Fields(_Strict):
    """Column names in the user's rows (JSONL keys or CSV headers). `answers` holds several
    acceptable answers (a list, SQuAD's {"text": [...]} or [{"text": ...}], or `|`-separated in
    CSV); with it, `answer` may be absent (the first of `answers` is the reference)."""
    question: str = "question"
    answer: str = "answer"
    answers: str | None = "answers"
    id: str | None = "id"
    source: str | None = "source_doc"
    key_facts: str | None = "key_facts"
    category: str | None = "topic"


class Split(_Strict):
    """Seeded split used when dev/test files are not given: stratified by category, or, with
    `group_by: COLUMN`, grouped (scikit-learn's GroupShuffleSplit: every row sharing a value of
    COLUMN, e.g. its source document, lands on one side; fractions then count groups)."""
    dev_fraction: float = Field(0.15, gt=0, lt=0.5)
    test_fraction: float = Field(0.25, gt=0, lt=0.5)
    group_by: str | None = Field(None, min_length=1)


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


class Embedding(_Strict):
    name_or_path: str = "embedded:all-minilm-l6-v2"


# Every registered strategy's own config model (strategies/<type>.py), discriminated on
# `type`: a new strategy is its file alone (harness.registry discovers strategies/<type>.py).
StrategyConfig = strategy_union()
# The task kind (harness/tasks/): `qa` unless the suite says `task: {kind: sql, ...}`.
TaskConfig = task_union()


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
    harness/training/canary/) on the base model and on each trained adapter (`peft=`)."""
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
    `latency_requests`: after the batch evaluation, the first N test questions are answered one
    request at a time as `harness serve` would (harness.evaluation.request_latency): `p50/p95_latency_ms`
    and time to first token, what the latency requirement reads; 0 turns it off.
    """
    cluster: str | None = None
    dev_limit: int | None = Field(24, ge=0)
    latency_requests: int = Field(8, ge=0, le=256)


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
    # Knowledge updates absorbed per month: each adds the strategy's measured cost of absorbing
    # one of the suite's `updates:` to its monthly cost (harness.updates.update_run).
    updates_per_month: float = Field(0, ge=0)
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
    task: TaskConfig = TASKS["qa"]()
    data: Data
    model: Model = Model()
    embedding: Embedding = Embedding()
    system_prompt: str = "You are a helpful customer-support assistant. Answer briefly and accurately."
    system_prompts: dict[str, str] = {}   # named variants a prompt strategy may pick or search
    templates: Templates = Templates()    # user-turn wording (harness.data.prompting)
    answer_style: Literal["free", "short"] = "free"   # short: templates.short_answer is asked
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
    # Knowledge updates (harness.updates.update_data): per strategy, staleness, the cost of absorbing
    # each, and accuracy after it on the changed and the unchanged questions.
    updates: list[Update] = []
    # Named overrides merged into this file by `--profile NAME` (e.g. a small CI profile):
    # mappings merge key by key; `strategies` is a mapping from strategy name to its overrides.
    profiles: dict[str, dict] = {}

    @model_validator(mode="before")
    @classmethod
    def _task_metrics(cls, raw):
        """Without a `metrics:` list, the task kind's default metrics."""
        if isinstance(raw, dict) and "metrics" not in raw:
            task = raw.get("task")
            kind = task.get("kind", "qa") if isinstance(task, dict) else "qa"
            if kind in TASKS:
                raw = raw | {"metrics": list(TASKS[kind].default_metrics)}
        return raw

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
        if full.is_dir() != key.endswith("knowledge_base"):  # a knowledge base is a folder
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
    from harness.config.suite_yaml import MAX_BYTES
    try:
        if path.stat().st_size > MAX_BYTES:  # not even read
            raise UserError(f"suite file is larger than {MAX_BYTES // 1024} KiB", file=str(path))
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"not valid UTF-8 (byte {e.start})", file=str(path)) from None
    except OSError as e:
        raise UserError(f"cannot read file: {e.strerror}", file=str(path)) from None
    raw = parse(text, path)  # size, alias and nesting limits (harness.config.suite_yaml)
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
    from harness.config.suite_checks import check_suite
    check_suite(suite, path)
    return LoadedSuite(suite=suite, path=path)
