"""The checklist after the interview: /checklist, ticks, the checklist document."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.checklist import handlers


def register(registry: Registry) -> None:
    handlers.register(registry)
