"""Deadlines and reminders: /deadlines, the .ics file, /reminders."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.deadlines import handlers


def register(registry: Registry) -> None:
    handlers.register(registry)
