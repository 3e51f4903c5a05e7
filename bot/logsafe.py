"""Logging without personal data: user ids appear only as a salted one-way hash.

The salt comes from the settings (ZHICHENG_LOG_SALT, required with a token) through
configure_logging; until then, and in the console, a random salt of this process is used.

At every level, including DEBUG, only the bot's own loggers ("zhicheng.*") log below INFO; their
lines carry hashed user ids and never message texts. The libraries' debug lines (PTB's "Calling Bot
API endpoint … with parameters …", httpx, aiosqlite) carry raw Telegram ids, first names and texts:
they are let through only with ZHICHENG_LOG_UNSAFE_DEBUG=1, which logs a warning saying so.
Under journald (JOURNAL_STREAM set) lines carry no timestamp of their own: the journal adds one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Mapping

_salt = secrets.token_hex(16)
OWN_LOGGER = "zhicheng"
# Loggers that are noisy at INFO, or carry secrets there (httpx logs the URL, with the token).
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler")
UNSAFE_DEBUG_WARNING = (
    "ZHICHENG_LOG_UNSAFE_DEBUG=1: the libraries' debug lines are logged; they carry raw "
    "Telegram user ids, names and message texts. Turn it off once the problem is found."
)


def set_log_salt(salt: str | None) -> None:
    global _salt
    _salt = salt or secrets.token_hex(16)


def hashed(user_id: int | None) -> str:
    if user_id is None:
        return "-"
    return hashlib.sha256(f"{_salt}:{user_id}".encode()).hexdigest()[:12]


def log_format(environ: Mapping[str, str] | None = None) -> str:
    """One line per record; under journald (JOURNAL_STREAM) without the time, which the journal adds."""
    if (os.environ if environ is None else environ).get("JOURNAL_STREAM"):
        return "%(levelname)s %(name)s %(message)s"
    return "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: str = "INFO", salt: str | None = None, *, unsafe_debug: bool = False) -> None:
    """Configure logging once: one line per record; below INFO only the bot's own loggers, unless
    `unsafe_debug` (ZHICHENG_LOG_UNSAFE_DEBUG=1) lets the libraries' debug lines through too."""
    if salt is not None:
        set_log_salt(salt)
    debug = logging.getLevelName(level) == logging.DEBUG
    root_level = level if unsafe_debug or not debug else "INFO"
    logging.basicConfig(format=log_format(), level=root_level)
    logging.getLogger(OWN_LOGGER).setLevel(level)
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug and unsafe_debug else logging.WARNING)
    if debug and unsafe_debug:
        logging.getLogger(OWN_LOGGER).warning(UNSAFE_DEBUG_WARNING)
