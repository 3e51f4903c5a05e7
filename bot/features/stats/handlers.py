"""/stats for contact persons: the applicants by notice, level and verdict, questions finished,
the spread of checklist readiness, what became of reminders and broadcast messages (sent, failed
as blocked or undeliverable, waiting, withdrawn), unreachable users; as a message, as a chart
(sendPhoto) and as a CSV document, all three in the same words (bot.features.stats.words).
Contact persons are not counted. No personal data beyond what the bot stores: only counts leave
the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.chat import roles
from bot.chat.actions import Action, Later, SendDocument, SendPhoto
from bot.chat.events import Event
from bot.chat.registry import N_, Registry
from bot.chat.texts import csv_with_bom, gettext
from bot.chat.turn import Turn
from bot.features.broadcast.audiences import VERDICT_NAMES, level_options
from bot.features.stats import words
from bot.features.stats.chart import stats_chart
from bot.store import population
from bot.store.audit import audit
from bot.store.population import OUTCOMES, READINESS_BANDS, Stats, Tally


def current_stats(turn: Turn) -> Stats:
    """The figures, each one aggregate query over the applicant summaries."""
    return population.stats(turn.database, turn.env.contact_ids)


@dataclass(frozen=True)
class Names:
    """What the figures' keys are called: notices by number, levels as the interview names them,
    units by name; verdicts, bands and outbox kinds come from the catalog."""

    notices: Mapping[str, str]
    levels: Mapping[str, str]
    units: Mapping[int, str]


def names_of(turn: Turn) -> Names:
    return Names(
        {turn.notice.id: turn.notice.info.number}, dict(level_options(turn)), population.unit_names(turn.database)
    )


def shown_kinds(s: Stats) -> list[tuple[str, Tally]]:
    """The outbox's kinds to show, in order: reminders and broadcast messages always, others once used."""
    kinds = [k for k in words.KINDS if k in words.ALWAYS_SHOWN or k in s.outbox]
    kinds += sorted(k for k in s.outbox if k not in words.KINDS)
    return [(k, s.outbox.get(k, Tally())) for k in kinds]


def stats_rows(s: Stats, locale: str, names: Names) -> list[list[object]]:
    """The statistics as rows of (measure, item, count), worded as the message words them."""

    def _(text: str) -> str:
        return gettext(locale, text)

    rows: list[list[object]] = [
        [_(h) for h in words.CSV_HEADER],
        [_(words.APPLICANTS), "", s.applicants],
        [_(words.FINISHED), "", s.finished],
        [_(words.UNREACHABLE), "", s.unreachable],
    ]
    rows += [[_(words.BY_NOTICE), names.notices.get(k, k), n] for k, n in sorted(s.by_notice.items())]
    rows += [[_(words.BY_LEVEL), names.levels.get(k, k), n] for k, n in sorted(s.by_level.items())]
    rows += [
        [_(words.BY_VERDICT), _(name), s.by_verdict[v]] for v, name in VERDICT_NAMES.items() if s.by_verdict.get(v)
    ]
    rows += [[_(words.READINESS), band, s.readiness.get(band, 0)] for band in READINESS_BANDS]
    for unit_id in sorted(s.linked_by_unit, key=lambda u: (names.units.get(u, ""), u)):
        unit = names.units.get(unit_id, str(unit_id))
        rows.append([_(words.LINKED), unit, s.linked_by_unit[unit_id]])
        bands = s.readiness_by_unit.get(unit_id, Counter())
        rows += [[_(words.READINESS_OF_UNIT) % {"unit": unit}, band, bands.get(band, 0)] for band in READINESS_BANDS]
    for kind, tally in shown_kinds(s):
        label = _(words.KINDS[kind]) if kind in words.KINDS else kind
        rows += [[label, _(words.OUTCOMES[outcome]), getattr(tally, outcome)] for outcome in OUTCOMES]
    return rows


def stats_csv(s: Stats, locale: str, names: Names) -> bytes:
    """The statistics as a CSV file (UTF-8 with BOM, for spreadsheets), in the user's language."""
    return csv_with_bom(stats_rows(s, locale, names))


def on_stats(event: Event, turn: Turn) -> None:
    s = current_stats(turn)
    now = turn.clock()
    local = now.astimezone(ZoneInfo(turn.notice.info.timezone))
    audit(turn.database, turn.state.user_id, "stats.export", now, applicants=s.applicants)
    names = names_of(turn)
    locale = turn.locale
    turn.say(
        "stats",
        s=s,
        at=local,
        words=words,
        levels=[(names.levels.get(k, k), n) for k, n in sorted(s.by_level.items())],
        notices=[(names.notices.get(k, k), n) for k, n in sorted(s.by_notice.items())],
        verdicts=[(turn._(name), s.by_verdict[v]) for v, name in VERDICT_NAMES.items() if s.by_verdict.get(v)],
        bands=[(band, s.readiness.get(band, 0)) for band in READINESS_BANDS],
        kinds=[(turn._(words.KINDS[k]) if k in words.KINDS else k, t) for k, t in shown_kinds(s)],
    )
    stamp = f"{local:%Y%m%d-%H%M}"
    caption = turn._("Applicants by verdict, and checklist readiness of those who finished the questions")

    def chart() -> list[Action]:  # drawn after the transaction, off the event loop
        return [SendPhoto(f"stats-{stamp}.png", stats_chart(s, locale), caption)]

    turn.actions.append(Later(chart))
    turn.actions.append(
        SendDocument(
            f"stats-{stamp}.csv",
            stats_csv(s, locale, names),
            turn._("The statistics as CSV (opens in a spreadsheet program)"),
        )
    )


def register(registry: Registry) -> None:
    registry.command(
        "stats",
        N_("Statistics"),
        N_("statistics of the applicants, as a message, a chart and a CSV file"),
        on_stats,
        rank=110,
        role=roles.CONTACT,
    )
