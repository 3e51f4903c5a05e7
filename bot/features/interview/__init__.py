"""The interview: /start, /restart, answering, going back, starting over, another level."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.interview import handlers


def register(registry: Registry) -> None:
    handlers.register(registry)
