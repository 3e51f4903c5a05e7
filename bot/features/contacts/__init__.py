"""Contact persons and the audit log: /contacts, /audit."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.contacts import handlers


def register(registry: Registry) -> None:
    handlers.register(registry)
