"""/stats for contact persons: the applicants by notice, level and verdict, interviews finished,
the spread of checklist readiness, reminders and broadcasts sent and failed, unreachable users;
as a message, as a chart (sendPhoto) and as a CSV document. Contact persons are not counted.
No personal data beyond what the bot stores: only counts leave the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from bot.chat import roles
from bot.chat.actions import Action, Later, SendDocument, SendPhoto
from bot.chat.events import Event
from bot.chat.registry import N_, Registry
from bot.chat.texts import csv_with_bom
from bot.chat.turn import Turn
from bot.features.broadcast.audiences import VERDICT_NAMES, level_options
from bot.features.stats.chart import stats_chart
from bot.store import population
from bot.store.audit import audit
from bot.store.population import READINESS_BANDS, Stats


def current_stats(turn: Turn) -> Stats:
    """The figures, each one aggregate query over the applicant summaries."""
    return population.stats(turn.database, turn.env.contact_ids)


def stats_csv(s: Stats, unit_names: Mapping[int, str] | None = None) -> bytes:
    """The statistics as CSV rows of (measure, key, count); the readiness by unit as rows
    `readiness:<unit name or id>`."""
    rows: list[list[object]] = [["measure", "key", "count"], ["applicants", "", s.applicants],
                                ["finished", "", s.finished], ["unreachable", "", s.unreachable]]
    for measure, counter in (("notice", s.by_notice), ("level", s.by_level), ("verdict", s.by_verdict),
                             ("readiness", s.readiness)):
        rows += [[measure, key, count] for key, count in sorted(counter.items())]
    names = unit_names or {}
    for unit_id in sorted(s.linked_by_unit):
        unit = names.get(unit_id, str(unit_id))
        rows.append([f"linked:{unit}", "", s.linked_by_unit[unit_id]])
        rows += [[f"readiness:{unit}", band, count]
                 for band, count in sorted(s.readiness_by_unit.get(unit_id, Counter()).items())]
    for kind, statuses in sorted(s.outbox.items()):
        rows += [[f"outbox:{kind}", status, count] for status, count in sorted(statuses.items())]
    return csv_with_bom(rows)


def on_stats(event: Event, turn: Turn) -> None:
    s = current_stats(turn)
    now = turn.clock()
    local = now.astimezone(ZoneInfo(turn.notice.info.timezone))
    audit(turn.database, turn.state.user_id, "stats.export", now, applicants=s.applicants)
    levels = dict(level_options(turn))
    notices = {turn.notice.id: turn.notice.info.number}
    turn.say("stats", s=s, at=local, levels=[(levels.get(k, k), n) for k, n in sorted(s.by_level.items())],
             notices=[(notices.get(k, k), n) for k, n in sorted(s.by_notice.items())],
             verdicts=[(turn._(name), s.by_verdict[v]) for v, name in VERDICT_NAMES.items() if s.by_verdict.get(v)],
             bands=[(band, s.readiness.get(band, 0)) for band in READINESS_BANDS],
             reminders=s.outbox.get("reminder", {}), broadcasts=s.outbox.get("broadcast", {}))
    stamp = f"{local:%Y%m%d-%H%M}"
    caption = turn._("Applicants by verdict, and checklist readiness of those who finished")

    def chart() -> list[Action]:  # drawn after the transaction, off the event loop
        return [SendPhoto(f"stats-{stamp}.png", stats_chart(s), caption)]

    turn.actions.append(Later(chart))
    turn.actions.append(SendDocument(f"stats-{stamp}.csv", stats_csv(s),
                                     turn._("The statistics as CSV (opens in a spreadsheet program)")))


def register(registry: Registry) -> None:
    registry.command("stats", N_("Statistics"),
                     N_("statistics of the applicants, as a message, a chart and a CSV file"),
                     on_stats, rank=110, role=roles.CONTACT)
