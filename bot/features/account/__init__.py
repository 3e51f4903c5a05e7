"""The user's own account: /lang, /privacy, /delete_me."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.account import handlers


def register(registry: Registry) -> None:
    handlers.register(registry)
