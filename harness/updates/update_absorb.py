"""The ways a strategy absorbs a knowledge update, chosen by its capability flags.

Contract: `methods(cfg, upd)` names what will be measured, cheapest first: `reindex` for a
strategy that `retrieves` (rag, hybrid: its adapter, if any, is kept); for one that only
`trains_weights` (lora), `continued` (training goes on from the stored adapter on the update's
train pairs, plus `replay` unchanged train rows, for the strategy's `num_train_epochs` with the
update's `training:` overrides; the strategy's `max_steps` only if the update sets it) then
`scratch` (the strategy's own recipe retrained from nothing on the updated train split, the
added pairs on top of its `train_size`); `none` for the rest (nothing to update: answers stay
as they were), and for a weight-training one whose update has no train pairs.
`absorb(method, strategy, cfg, upd, where, bar)` performs one and returns (a strategy object that
answers with the update absorbed, record): record = {"method", "seconds" (measured wall time of
the re-index, or training seconds), ...what was done}. The strategy passed in is not changed:
`reindex` returns a shallow copy whose `retriever` is the refreshed one, the training methods
a new strategy object whose adapter lives under `<strategy dir>/updates/<update>/<method>/`.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from pathlib import Path

from harness.updates.update_data import UpdateSet, updated


@dataclass
class Where:
    suite: object
    data: object        # the Dataset before the update
    backend: object
    folder: Path        # <strategy dir>/updates/<update name>
    cache_dir: Path
    info: dict          # the strategy's prepare() record (its index folder)


def methods(cfg, upd: UpdateSet) -> list[str]:
    if cfg.retrieves:
        return ["reindex"]
    if cfg.trains_weights and upd.train:
        return ["continued", "scratch"]
    return ["none"]


def absorb(method: str, strategy, cfg, upd: UpdateSet, w: Where, bar=None):
    if method == "none":
        return strategy, {"method": "none", "seconds": 0.0,
                          "note": "nothing to update: answers stay as before"}
    if method == "reindex":
        from harness.updates.update_index import refresh_index
        retriever, stats = refresh_index(Path(w.info["index"]), w.data.kb, upd,
                                         cfg.retrieval_knobs(), w.suite.embedding.name_or_path)
        fresh = copy.copy(strategy)   # same shots, adapter and backend; the refreshed index
        fresh.retriever = retriever
        return fresh, {"method": "reindex"} | stats
    return _train(method, strategy, cfg, upd, w, bar)


def _train(method, strategy, cfg, upd, w: Where, bar):
    from harness.registry import STRATEGIES
    from harness.run.strategy import Context
    data, t, init = updated(w.data, upd), cfg.training, None
    if method == "continued":
        replaced = {e.id for e in upd.train}
        replay = [e for e in w.data.train if e.id not in replaced][: upd.config.replay]
        data = replace(data, train=list(upd.train) + replay)
        over = {k: v for k, v in upd.config.training.model_dump().items() if v is not None}
        # the strategy's max_steps was sized for its whole train split: epochs over the
        # update's pairs decide, unless the update sets max_steps itself
        t = t.model_copy(update={"max_steps": -1, "train_size": None} | over)
        init = strategy.adapter_dir
    elif t.train_size:  # scratch: the same rows as before plus the added pairs
        old = {e.id for e in w.data.train}
        t = t.model_copy(update={"train_size": t.train_size +
                                 sum(e.id not in old for e in upd.train)})
    fresh = STRATEGIES[cfg.type](cfg.model_copy(update={"training": t}),
                                 Context(w.suite, data, w.backend, w.folder / method, w.cache_dir,
                                         init_adapter=init))
    rec = fresh.prepare(bar)
    return fresh, {"method": method, "seconds": rec["train_seconds"], "steps": rec["steps"],
                   "examples": rec["examples"], "losses": rec["losses"],
                   "from_adapter": str(init) if init else None,
                   "from_cache": bool(rec.get("from_cache"))}
