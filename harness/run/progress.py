"""Progress bars (rich) for indexing, training and evaluation.

Contract: `bar(description, total)` is a context manager yielding a `Bar` with `advance(n)`,
`total(n)` and `note(text)`; bars are hidden when stdout is not a terminal unless
HARNESS_PROGRESS=1, and never raise.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager

from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)


class Bar:
    def __init__(self, progress: Progress | None, task):
        self._p, self._t = progress, task

    def advance(self, n: int = 1):
        if self._p is not None:
            self._p.advance(self._t, n)

    def total(self, n: int):
        if self._p is not None:
            self._p.update(self._t, total=n)

    def note(self, text: str):
        if self._p is not None:
            self._p.update(self._t, info=text)


def _enabled() -> bool:
    return os.environ.get("HARNESS_PROGRESS") == "1" or sys.stdout.isatty()


@contextmanager
def bar(description: str, total: int | None = None):
    if not _enabled():
        yield Bar(None, None)
        return
    progress = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                        transient=False)
    with progress:
        yield Bar(progress, progress.add_task(description, total=total, info=""))
