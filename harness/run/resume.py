"""Evaluation that survives a kill: predictions are stored chunk by chunk and reused.

Contract:
- `predict_splits(strategy, {split: queries}, bar, strategy_dir, chunk)` answers every split's
  queries, taken in order as one sequence, in fixed chunks of `chunk` queries (chunk k is always
  items k*chunk..(k+1)*chunk-1, so an interrupted and an uninterrupted run batch identically and
  give identical answers; rows of different splits share batches). After each chunk, every
  prediction so far is rewritten atomically to `<strategy_dir>/predictions.partial.jsonl`
  (rows: the `Prediction` fields plus `split`); queries whose prediction is already there (same
  split and id) are not asked again. Returns {split: predictions in query order}.
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


def predict_splits(strategy, splits: dict[str, list], bar, strategy_dir: Path,
                   chunk: int) -> dict[str, list[Prediction]]:
    """The splits' queries, in the order given, are one sequence cut into the fixed chunks, so
    rows of different splits (test questions, safety probes, dev questions) share generation
    batches. A decode step's matmuls run at a fraction of the machine's peak that grows with its
    rows (BENCHMARKS.md, issue 18), so one wide batch beats three narrow ones; answers do not
    depend on which rows share a batch."""
    global _chunks_done
    path = Path(strategy_dir) / PARTIAL
    rows = _stored(path)
    fields = {f.name for f in dataclasses.fields(Prediction)}
    done = {(r.get("split"), r["id"]): Prediction(**{k: v for k, v in r.items() if k in fields})
            for r in rows}
    asked = [(split, q) for split, qs in splits.items() for q in qs]
    reused = sum((s, q.id) in done for s, q in asked)
    if reused:
        journal.add("predictions_reused", reused)
        if bar:
            bar.advance(reused)
    for start in range(0, len(asked), chunk):
        todo = [(s, q) for s, q in asked[start:start + chunk] if (s, q.id) not in done]
        if not todo:
            continue
        preds = strategy.predict([q for _, q in todo], bar)
        for (s, q), p in zip(todo, preds):
            done[(s, q.id)] = p
            rows.append(dataclasses.asdict(p) | {"split": s})
        write_jsonl(path, rows)
        journal.add("predictions", len(preds))
        _chunks_done += 1
        journal.kill_point("predict_batch", _chunks_done)
    return {split: [done[(split, q.id)] for q in qs] for split, qs in splits.items()}


def finish(strategy_dir: Path) -> None:
    (Path(strategy_dir) / PARTIAL).unlink(missing_ok=True)
