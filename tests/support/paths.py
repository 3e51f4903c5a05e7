"""Every finished path of the bundled notice's interview, walked once per test process.

Walking all 125,786 paths takes seconds; the tests that sample them share this one list
(read-only: each test copies the answers it changes)."""

from __future__ import annotations

from functools import cache

from conversations.interview import interview_for
from knowledge import default_notice


@cache
def every_path() -> tuple[dict[str, str], ...]:
    """Every reachable finished path of answers of the bundled notice, depth first, in ask order."""
    return tuple(interview_for(default_notice()).paths())
