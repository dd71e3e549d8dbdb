"""The output of `harness synth`: rows appended as they are made, and a log that makes it resumable.

Contract:
- `SynthLog(out, settings)` opens (or creates) the rows file `out` (JSONL) and its progress log
  `out.progress.jsonl`: a first line `{"settings": {...}}`, then one line per finished source
  `{"source": id, "generated": n, "kept": n, "dropped": {reason: n}}`.
- `append_row(row)` writes one row and fsyncs it before returning, so a killed run loses at most
  the row being written; `finish(source_id, counts)` logs a source as done (fsync'd too).
- Opening an existing pair: the rows of sources not logged as done (a run killed between a row
  and its source's log line) and a torn last line are removed, atomically, so that re-running
  those sources cannot duplicate them; `done` holds the finished sources and `rows` the kept
  rows. A log written with other `settings` raises `UserError` (naming the log file and the
  first differing key) rather than mixing two configurations in one file; so does a line of
  either file that is not a JSON object (naming the file and line), and an existing non-empty
  rows file with no log (never overwritten: it may be the user's own data).
Every written value passes through `harness.run.store.redact` (no environment secret is written).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from harness.errors import UserError
from harness.run.store import redact, write_jsonl


def _read(path: Path) -> list[tuple[int, dict]]:
    """(line, object) pairs; a torn last line (no newline: the write was cut) is dropped."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    torn = lines[-1] != ""  # the file does not end with a newline
    out = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            if torn and i == len(lines):
                break
            raise UserError(f"invalid JSON ({e.msg}); not a file `harness synth` wrote, or "
                            "edited by hand", file=str(path), line=i) from None
        if not isinstance(obj, dict):
            raise UserError("each line must be a JSON object", file=str(path), line=i)
        out.append((i, obj))
    return out


class SynthLog:
    def __init__(self, out: Path, settings: dict, source_key: str = "synth_source"):
        self.out, self.log = Path(out), Path(str(out) + ".progress.jsonl")
        self.source_key = source_key
        entries = _read(self.log)
        if not entries and self.out.exists() and self.out.stat().st_size:
            raise UserError("the output file exists and has no progress log beside it (not "
                            "written by `harness synth`); give a new --out", file=str(self.out))
        if entries:
            line, head = entries[0]
            old = head.get("settings")
            if old != settings:
                key = next((k for k in sorted(set(settings) | set(old or {}))
                            if (old or {}).get(k) != settings.get(k)), "settings")
                raise UserError(f"this output was made with other settings ({key}: "
                                f"{(old or {}).get(key)!r}, now {settings.get(key)!r}); use the "
                                "same options to resume, or another --out", file=str(self.log),
                                key=f"settings.{key}", line=line)
        self.done = {e["source"]: e for _, e in entries[1:] if "source" in e}
        rows = [r for _, r in _read(self.out)]
        self.rows = [r for r in rows if r.get("provenance", {}).get(source_key) in self.done]
        if len(self.rows) != len(rows) or (self.out.exists() and not self._ends_clean()):
            write_jsonl(self.out, self.rows)  # atomic: temporary file, fsync, rename
        if not entries:
            write_jsonl(self.log, [{"settings": settings}])

    def _ends_clean(self) -> bool:
        data = self.out.read_bytes()
        return not data or data.endswith(b"\n")

    @staticmethod
    def _append(path: Path, obj: dict) -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(redact(json.dumps(obj, ensure_ascii=False)) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def append_row(self, row: dict) -> None:
        self._append(self.out, row)
        self.rows.append(row)

    def finish(self, source_id: str, counts: dict) -> None:
        entry = {"source": source_id, **counts}
        self._append(self.log, entry)
        self.done[source_id] = entry

    def totals(self) -> dict:
        """Counts over every finished source: sources, generated, kept, dropped by reason."""
        out = {"sources": len(self.done), "generated": 0, "kept": 0, "dropped": {}}
        for e in self.done.values():
            out["generated"] += e.get("generated", 0)
            out["kept"] += e.get("kept", 0)
            for k, v in e.get("dropped", {}).items():
                out["dropped"][k] = out["dropped"].get(k, 0) + v
        return out
