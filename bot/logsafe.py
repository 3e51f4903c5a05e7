"""Logging without personal data: user ids appear only as a salted one-way hash.

The salt comes from the settings (ZHICHENG_LOG_SALT, required with a token) through
configure_logging; until then, and in the console, a random salt of this process is used.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

_salt = secrets.token_hex(16)


def set_log_salt(salt: str | None) -> None:
    global _salt
    _salt = salt or secrets.token_hex(16)


def hashed(user_id: int | None) -> str:
    if user_id is None:
        return "-"
    return hashlib.sha256(f"{_salt}:{user_id}".encode()).hexdigest()[:12]


def configure_logging(level: str = "INFO", salt: str | None = None) -> None:
    """Configure logging once: one line per record, httpx and the scheduler muted."""
    if salt is not None:
        set_log_salt(salt)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s", level=level)
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
