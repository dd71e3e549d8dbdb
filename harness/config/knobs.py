"""Config blocks shared by the suite model and the strategies' own config models.

Contract: every block is a frozen pydantic model that refuses unknown keys (`Strict`). Knob names
are the libraries' own: `LoraKnobs` passes as is to `peft.LoraConfig`, `TrainingKnobs` uses
transformers' `TrainingArguments` names, `RetrievalKnobs` llama-index's. `Model` is the generator
(the suite's `model:`, or a strategy's override of it). `Search` is a strategy's `search:` space
(harness.config.sweep_space). This module imports only pydantic and harness.config.sweep_space, so a strategy
file can import it without pulling in the suite (harness.config.suite imports the strategy files).
"""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.config.sweep_space import Dist


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)



class Model(Strict):
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
    # Longest prompt sent (tokens); null: the model's context window less max_new_tokens. Longer
    # prompts are fitted by harness.training.fit (lowest-ranked chunks dropped, then the question cut).
    max_prompt_tokens: int | None = Field(None, ge=16)
    # Requests generated together; `auto` (hf): as many as a 640 MB KV cache holds for the
    # prompts at hand (harness/backends/hf.py), up to 128.
    batch_size: Literal["auto"] | Annotated[int, Field(ge=1, le=1024)] = "auto"
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


class LoraKnobs(Strict):
    """Passed as is to `peft.LoraConfig`."""
    r: int = Field(8, ge=1, le=1024)
    lora_alpha: float = Field(16, gt=0)
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] = ["q_proj", "v_proj"]


class TrainingKnobs(Strict):
    """transformers `TrainingArguments` names, plus `train_size` (rows of train used)."""
    learning_rate: float = Field(2e-4, gt=0, lt=1)
    num_train_epochs: float = Field(1.0, gt=0, le=100)
    max_steps: int = Field(-1, ge=-1)
    per_device_train_batch_size: int = Field(8, ge=1, le=1024)
    warmup_ratio: float = Field(0.05, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    max_length: int = Field(512, ge=16, le=32768)
    # A training prompt over max_length: `fit` (harness.training.fit, as at generation: lowest-ranked
    # chunks dropped first, then the question's middle) or `left` (its start is cut, system turn
    # first: the harness's behaviour before `fit`, kept for suites measured with it).
    truncation: Literal["fit", "left"] = "fit"
    train_size: int | None = Field(None, ge=1)
    # Checkpoint every N optimizer steps (0: never); a killed run resumes from the newest one.
    # Left out of run ids: it changes how often progress is saved, never what is computed.
    save_steps: int = Field(20, ge=0)


class QdrantKnobs(Strict):
    """qdrant-client's `QdrantClient`: no `url` = embedded local mode (a folder in the suite's
    cache, no server); `url` = a Qdrant server, with the key read from the environment variable
    named by `api_key_env` (the NAME; the key never appears in a suite or in results)."""
    url: str | None = None
    api_key_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @model_validator(mode="after")
    def _server(self):
        if self.url is not None and not re.match(r"^https?://[^@/\s]+(/\S*)?$", self.url):
            raise ValueError("qdrant url must be an http(s) URL without user:password@ "
                             "(the key goes in the variable named by api_key_env)")
        if self.api_key_env and self.url is None:
            raise ValueError("qdrant api_key_env is for a server: set qdrant url too")
        return self


class RetrievalKnobs(Strict):
    """llama-index names: `SentenceSplitter(chunk_size, chunk_overlap)`, retriever top-k, and
    the vector store: `simple` (llama-index's in-memory SimpleVectorStore, persisted as JSON) or
    `qdrant` (llama-index's QdrantVectorStore; see `QdrantKnobs`)."""
    chunk_size: int = Field(256, ge=32, le=8192)
    chunk_overlap: int = Field(32, ge=0)
    similarity_top_k: int = Field(3, ge=1, le=50)
    retriever: Literal["dense", "bm25", "both"] = "dense"   # both: reciprocal-rank fusion
    # Prompts carry the N sentences of the top-k chunks closest to the question instead of the
    # chunks (harness.data.retrieval.Retriever.focus); null: the chunks.
    context_sentences: int | None = Field(None, ge=1, le=50)
    vector_store: Literal["simple", "qdrant"] = "simple"
    qdrant: QdrantKnobs = QdrantKnobs()

    @model_validator(mode="after")
    def _store_block(self):
        if self.vector_store != "qdrant" and self.qdrant != QdrantKnobs():
            raise ValueError("qdrant: is for vector_store: qdrant")
        return self


# `search:` on any strategy: {knob path: Dist} (see harness.config.sweep_space); used by `sweep:`.
Search = dict[str, Dist]
