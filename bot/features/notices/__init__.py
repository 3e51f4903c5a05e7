"""Several notices: which one an interview follows, the offer of a newer one (what it changes for the
applicant, the answers and ticks that carry over), and /notices for the office."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.notices import handlers, office


def register(registry: Registry) -> None:
    handlers.register(registry)
    office.register(registry)
