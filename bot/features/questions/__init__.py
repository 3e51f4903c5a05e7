"""Typed questions answered from the notice; /unanswered for contact persons."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.questions import handlers


def register(registry: Registry) -> None:
    handlers.register(registry)
