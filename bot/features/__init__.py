"""The bot's features, one module each; each registers its commands and button events in
REGISTRY; each command names its rank in the command menu and /help."""

from __future__ import annotations

from bot.features import account, broadcast, checklist, deadlines, help, interview, office, stats
from bot.registry import Registry

REGISTRY = Registry()
for feature in (interview, checklist, deadlines, account, broadcast, stats, office, help):
    feature.register(REGISTRY)
