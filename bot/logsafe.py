"""Logging without personal data: user ids appear only as a salted one-way hash."""

from __future__ import annotations

import hashlib
import logging
import os

_SALT = os.environ.get("ZHICHENG_LOG_SALT", "zhicheng")


def hashed(user_id: int | None) -> str:
    if user_id is None:
        return "-"
    return hashlib.sha256(f"{_SALT}:{user_id}".encode()).hexdigest()[:12]


def configure_logging(level: str = "INFO") -> None:
    """Configure logging once: one line per record, httpx and the scheduler muted."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s", level=level)
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
