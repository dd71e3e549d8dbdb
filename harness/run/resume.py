"""Evaluation that survives a kill: predictions are stored chunk by chunk and reused.

Contract:
- `predict(strategy, queries, bar, strategy_dir, split, chunk)` answers `queries` in fixed
  chunks of `chunk` queries (chunk k is always queries[k*chunk:(k+1)*chunk], so an interrupted
  and an uninterrupted run batch identically and give identical answers). After each chunk, every
  prediction so far is rewritten atomically to `<strategy_dir>/predictions.partial.jsonl`
  (rows: the `Prediction` fields plus `split`); queries whose prediction is already there are
  not asked again. Returns the predictions in query order.
- `finish(strategy_dir)` drops the partial file once the strategy's final files are written.
- Counts reused and computed predictions in `harness.run.journal` and honours its kill switch
  (`predict_batch:N`, after the N-th chunk of this process is stored).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from harness.run import journal
from harness.run.store import read_jsonl, write_jsonl
from harness.run.strategy import Prediction

PARTIAL = "predictions.partial.jsonl"
CHUNK_BATCHES = 4  # a chunk is this many generation batches: length sorting still pays off
AUTO_ROWS = 64     # rows of a generation batch assumed for `batch_size: auto`
_chunks_done = 0   # chunks stored by this process (for the kill switch)


def chunk_size(suite) -> int:
    bs = suite.model.batch_size
    return CHUNK_BATCHES * (AUTO_ROWS if bs == "auto" else bs)


def _stored(path: Path) -> list[dict]:
    try:
        return read_jsonl(path)
    except (OSError, ValueError):  # absent (or unreadable: recompute rather than fail)
        return []


def predict(strategy, queries, bar, strategy_dir: Path, split: str, chunk: int) -> list[Prediction]:
    global _chunks_done
    path = Path(strategy_dir) / PARTIAL
    rows = _stored(path)
    fields = {f.name for f in dataclasses.fields(Prediction)}
    done = {r["id"]: Prediction(**{k: v for k, v in r.items() if k in fields})
            for r in rows if r.get("split") == split}
    wanted = {q.id for q in queries}
    reused = len(wanted & done.keys())
    if reused:
        journal.add("predictions_reused", reused)
        if bar:
            bar.advance(reused)
    for start in range(0, len(queries), chunk):
        todo = [q for q in queries[start:start + chunk] if q.id not in done]
        if not todo:
            continue
        preds = strategy.predict(todo, bar)
        for p in preds:
            done[p.id] = p
        rows += [dataclasses.asdict(p) | {"split": split} for p in preds]
        write_jsonl(path, rows)
        journal.add("predictions", len(preds))
        _chunks_done += 1
        journal.kill_point("predict_batch", _chunks_done)
    return [done[q.id] for q in queries]


def finish(strategy_dir: Path) -> None:
    (Path(strategy_dir) / PARTIAL).unlink(missing_ok=True)
