"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import sys
import time


def log(text: str) -> None:
    """Progress, on stderr, so that stdout holds only the figures."""
    print(text, file=sys.stderr, flush=True)


def met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def reference_loop_ms() -> float:
    """A fixed pure-Python loop (best of 3): how fast this CPU is right now (the host is shared)."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        s = 0
        for i in range(1_000_000):
            s += i
        best = min(best, time.perf_counter() - t0)
    return best * 1e3
