"""Keep the memory of freed tensors from staying resident (glibc's malloc only).

Contract: `bound_heap(threshold)` fixes glibc's mmap threshold at `threshold` bytes (default
1 MiB) for this process, once, before the big allocations start (`harness` calls it at start);
a no-op where the C library is not glibc. `HARNESS_MMAP_THRESHOLD=0` leaves malloc as it is.
`release()` hands the heap's free pages back to the system (malloc_trim), e.g. between two
strategies of a run, so one strategy's leftovers do not raise the next one's peak.

Why: glibc serves allocations above its mmap threshold with mmap, returned to the system when
freed, but after each such free it raises the threshold to that block's size (up to 32 MiB), so
from then on activations and KV caches of that size come from the heap, where freed memory
stays resident and fragments. Setting the threshold (mallopt M_MMAP_THRESHOLD, which also
turns the adjustment off) keeps every tensor from 1 MiB up on mmap. Measured on LoRA training
of support_bot with 900-token prompts (BENCHMARKS.md, 2026-12-01): peak RSS 2.19 -> 1.96 GB
at the same speed; a threshold of 512 KiB or less saves more (1.59 GB) but runs 25-40% slower
(every activation of that size faults its pages in afresh).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

M_MMAP_THRESHOLD = -3   # glibc's malloc.h
DEFAULT = 1 << 20
_done = False


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def bound_heap(threshold: int | None = None) -> bool:
    """True when the threshold was set (glibc present, not turned off by the environment)."""
    global _done
    if _done:
        return True
    if threshold is None:
        threshold = int(os.environ.get("HARNESS_MMAP_THRESHOLD", DEFAULT))
    if threshold <= 0:
        return False
    try:
        _done = bool(_libc().mallopt(M_MMAP_THRESHOLD, int(threshold)))
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to bound
        return False
    return _done


def release() -> None:
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):
        pass
