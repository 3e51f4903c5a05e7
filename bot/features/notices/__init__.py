"""Several notices: which one an interview follows, the offer of a newer one."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.notices import handlers


def register(registry: Registry) -> None:
    handlers.register(registry)
