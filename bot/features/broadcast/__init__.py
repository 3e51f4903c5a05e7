"""Contact persons' broadcasts: the /broadcast wizard, /broadcasts, the command line."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.broadcast import wizard


def register(registry: Registry) -> None:
    wizard.register(registry)
