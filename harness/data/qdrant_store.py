"""Qdrant as harness.data.retrieval's vector store, through llama-index's `QdrantVectorStore`.

Contract:
- `open_store(knobs, cache_dir, key)` returns (a llama-index `QdrantVectorStore` over the
  collection `harness-<key>`, a short name of where it lives). Where: qdrant-client's embedded
  local mode on the folder `cache_dir/qdrant/` when `knobs.qdrant.url` is unset (no server;
  name `local`), else the server at that URL with the key read from the environment variable
  named by `qdrant.api_key_env` (name: a hash of the URL). Both go through the same
  `QdrantClient` calls; only its constructor arguments differ.
- One local client per folder per process (local mode locks its folder, so two clients, or two
  processes, cannot share one); `close_clients()` closes this process's local clients.
- `holds(store, n, url)` says whether the collection exists with exactly `n` points (a complete
  index); `drop(store, url)` deletes the collection (one left half-written). `url`: the
  server's, for error messages (None in local mode).
- Raises UserError: the key variable unset, the local folder held by another process, the
  server unreachable (naming the URL, never the key).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from harness.errors import UserError

_local: dict[str, object] = {}   # resolved folder -> its QdrantClient (local mode)


def _client(knobs, cache_dir: Path):
    from qdrant_client import QdrantClient
    q = knobs.qdrant
    if q.url is None:
        folder = str((Path(cache_dir) / "qdrant").resolve())
        if folder not in _local:
            Path(folder).mkdir(parents=True, exist_ok=True)
            try:
                _local[folder] = QdrantClient(path=folder)
            except RuntimeError as e:  # portalocker: another process holds the folder
                raise UserError(f"the local Qdrant folder is in use by another process ({e}); "
                                "local mode serves one process at a time: run a Qdrant server "
                                "and set qdrant.url for parallel workers", file=folder,
                                key="qdrant") from None
        return _local[folder], "local"
    key = None
    if q.api_key_env:
        key = os.environ.get(q.api_key_env) or None
        if key is None:
            raise UserError(f"environment variable {q.api_key_env} (the Qdrant API key) is not "
                            "set", key="qdrant.api_key_env")
    return (QdrantClient(url=q.url, api_key=key),
            "server-" + hashlib.sha256(q.url.encode()).hexdigest()[:8])


def open_store(knobs, cache_dir: Path, key: str):
    from llama_index.vector_stores.qdrant import QdrantVectorStore
    client, where = _client(knobs, cache_dir)
    # index_doc_id: a payload index on the document id, which only a server uses (local mode
    # warns that it has none)
    # (it asks the server whether the collection exists: the first request)
    store = _call(client, knobs.qdrant.url, lambda c: QdrantVectorStore(
        collection_name=f"harness-{key}", client=c, index_doc_id=knobs.qdrant.url is not None))
    return store, where


def _call(client, url, fn):
    try:
        return fn(client)
    except Exception as e:  # qdrant-client's transport errors (httpx, grpc, HTTP status)
        if url is None:
            raise
        raise UserError(f"Qdrant server {url} did not answer: "
                        f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
                        key="qdrant.url") from None


def holds(store, n: int, url: str | None) -> bool:
    name = store.collection_name
    return _call(store.client, url, lambda c: c.collection_exists(name)
                 and c.count(name, exact=True).count == n)


def drop(store, url: str | None) -> None:
    name = store.collection_name
    _call(store.client, url, lambda c: c.collection_exists(name) and c.delete_collection(name))


def close_clients() -> None:
    while _local:
        _local.popitem()[1].close()
