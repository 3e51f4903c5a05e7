"""/stats for contact persons: the applicants by notice, level and verdict, interviews finished,
the spread of checklist readiness, reminders and broadcasts sent and failed, unreachable users;
as a message, as a chart (sendPhoto) and as a CSV document. Contact persons are not counted.
No personal data beyond what the bot stores: only counts leave the database."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import office, roles
from bot.actions import Action, Later, SendDocument, SendPhoto
from bot.charts import stats_chart
from bot.events import Event
from bot.features.audiences import VERDICT_NAMES, level_options
from bot.population import READINESS_BANDS, Stats, load_applicants_sync, outbox_counts_sync, stats, stats_csv
from bot.registry import N_, Registry
from bot.turn import Turn


def current_stats(turn: Turn) -> Stats:
    applicants = load_applicants_sync(turn.database, {turn.notice.id: turn.notice}, turn.env.contact_ids)
    result = stats(applicants)
    result.outbox = outbox_counts_sync(turn.database)
    return result


def on_stats(event: Event, turn: Turn) -> None:
    s = current_stats(turn)
    now = turn.clock()
    local = now.astimezone(ZoneInfo(turn.notice.info.timezone))
    office.audit_sync(turn.database, turn.state.user_id, "stats.export", now, applicants=s.applicants)
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
