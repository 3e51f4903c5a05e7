"""/stats for contact persons: text, chart and CSV."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.stats import handlers


def register(registry: Registry) -> None:
    handlers.register(registry)
