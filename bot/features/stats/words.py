"""The words of /stats, one set for the message, the chart and the CSV file, so that the three say
the same (问答, never 访谈; 失败 counted one way: bot.store.population.OUTCOME)."""

from __future__ import annotations

from bot.chat.registry import N_

APPLICANTS = N_("Applicants")
FINISHED = N_("Questions finished")
UNREACHABLE = N_("Unreachable (blocked the bot)")
BY_NOTICE = N_("By notice")
BY_LEVEL = N_("By level")
BY_VERDICT = N_("By verdict (questions finished)")
READINESS = N_("Checklist readiness (items ticked)")
LINKED = N_("Applicants linked to a unit")
READINESS_OF_UNIT = N_("Checklist readiness (items ticked): %(unit)s")

# The outbox's kinds, in the order shown; reminders and broadcast messages are always shown.
KINDS = {
    "reminder": N_("Reminders"),
    "unit_reminder": N_("Reminders to units' HR"),
    "broadcast": N_("Broadcast messages"),
    "broadcast_report": N_("Broadcast reports"),
    "hr_revoked": N_("Notices of revoked HR rights"),
}
ALWAYS_SHOWN = ("reminder", "broadcast")
OUTCOMES = {
    "sent": N_("sent"),
    "blocked": N_("failed: blocked the bot"),
    "undeliverable": N_("failed: could not be delivered"),
    "waiting": N_("waiting"),
    "withdrawn": N_("withdrawn"),
}

CSV_HEADER = (N_("Measure"), N_("Item"), N_("Count"))
