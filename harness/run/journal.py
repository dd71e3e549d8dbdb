"""What each process did for a strategy, and a test-only kill switch.

Contract:
- `begin(strategy_dir)` opens a new attempt in `<strategy_dir>/progress.json` (pid, start time)
  and makes it the current one for this process; `add(key, n)` and `note(key, value)` update
  the current attempt and rewrite the file atomically; with no current attempt they do nothing
  (so `train_lora` used outside a run records nothing). `attempts(strategy_dir)` reads them back.
  Keys written by the harness: `train_steps` (optimizer steps computed), `train_resumed_from_step`,
  `predictions` (queries answered), `predictions_reused` (answers found stored).
- `kill_point(name, n)`: when the environment variable HARNESS_TEST_KILL_AT equals `name:n`,
  the process SIGKILLs itself right there; `name:n#k` waits for the k-th time this process
  reaches `name:n` (e.g. `train_step:1#2`: step 1 of the second training, in a sweep). Tests
  use it to interrupt a run at an exact point.
"""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

_current: dict = {}


def begin(strategy_dir: Path) -> None:
    path = Path(strategy_dir) / "progress.json"
    attempts = attempts_of(path)
    attempts.append({"pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    _current.clear()
    _current.update(path=path, attempts=attempts)
    _flush()


def attempts(strategy_dir: Path) -> list[dict]:
    return attempts_of(Path(strategy_dir) / "progress.json")


def attempts_of(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["attempts"]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def add(key: str, n: int = 1) -> None:
    if _current:
        last = _current["attempts"][-1]
        last[key] = last.get(key, 0) + n
        _flush()


def note(key: str, value) -> None:
    if _current:
        _current["attempts"][-1][key] = value
        _flush()


def end() -> None:
    _current.clear()


def _flush() -> None:
    from harness.run.store import write_json
    write_json(_current["path"], {"attempts": _current["attempts"]})


_reached: dict[str, int] = {}


def kill_point(name: str, n: int) -> None:
    at, _, nth = os.environ.get("HARNESS_TEST_KILL_AT", "").partition("#")
    if at == f"{name}:{n}":
        _reached[at] = _reached.get(at, 0) + 1
        if _reached[at] == int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)
