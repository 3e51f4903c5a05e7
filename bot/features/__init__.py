"""The bot's features, one module each; each registers its commands and button events in
REGISTRY; each command names its rank in the command menu and /help."""

from __future__ import annotations

from bot.features import (
    account,
    broadcast,
    case,
    checklist,
    deadlines,
    help,
    hr,
    interview,
    myunit,
    notices,
    office,
    questions,
    stats,
    units,
)
from bot.registry import Registry

REGISTRY = Registry()
for feature in (interview, checklist, deadlines, account, myunit, hr, case, units, broadcast, stats, office, help,
                questions, notices):
    feature.register(REGISTRY)
