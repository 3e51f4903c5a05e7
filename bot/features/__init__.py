"""The bot's features, one package each. Each registers its commands, buttons and awaited input
in one Registry (bot.chat.registry); each command names its rank in the command menu and /help.
A new feature is one more package and one more entry in FEATURES (a test keeps the list complete)."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features import (
    account,
    broadcast,
    case,
    checklist,
    contacts,
    deadlines,
    help,
    interview,
    notices,
    questions,
    stats,
    units,
    uploads,
)

FEATURES = (
    interview,
    checklist,
    deadlines,
    account,
    units,
    case,
    broadcast,
    stats,
    contacts,
    help,
    questions,
    notices,
    uploads,
)

REGISTRY = Registry()
for feature in FEATURES:
    feature.register(REGISTRY)
