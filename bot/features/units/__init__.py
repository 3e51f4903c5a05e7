"""Units and their HR: invitations (/invite, /units), the applicant's link (/myunit), HR's /unit."""

from __future__ import annotations

from bot.chat.registry import Registry
from bot.features.units import hr, invitations, myunit


def register(registry: Registry) -> None:
    invitations.register(registry)
    myunit.register(registry)
    hr.register(registry)
