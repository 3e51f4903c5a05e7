"""A clock the test moves forward by hand."""

from __future__ import annotations


class SteppedClock:
    """A monotonic clock the test moves forward (conversations.clock.Clock runs on from its start
    at this pace)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now
