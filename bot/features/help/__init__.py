"""/help and the replies to what no other route takes."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.help import handlers


def register(registry: Registry) -> None:
    handlers.register(registry)
