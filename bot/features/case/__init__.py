"""/case for HR and contact persons: a specific case by buttons or a case file."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.case import handlers


def register(registry: Registry) -> None:
    handlers.register(registry)
