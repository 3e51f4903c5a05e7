"""/notices for contact persons: the notices loaded, the one new interviews follow, and for the
newest pair what the new one changes, in the applicants' terms, with how many stored applicants
each change concerns (by result and level) and the `zhicheng-bot broadcast` filters that reach them.

The update's transaction only reads: the applicants by notice, and the summary rows and answers of
those under the older notice of the pair. Who each change concerns is worked out after it has
ended (a Later action, off the event loop): nothing population-wide runs inside the update."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.chat import roles
from bot.chat.actions import Action, Later, Send, SendDocument
from bot.chat.events import Event
from bot.chat.registry import N_, Registry
from bot.chat.texts import csv_with_bom, gettext, message
from bot.chat.turn import Turn
from bot.features.broadcast.audiences import VERDICT_NAMES
from bot.features.notices import queries
from bot.features.notices.changes import (
    NO_LEVEL,
    UNFINISHED,
    BroadcastFilter,
    Group,
    Reach,
    broadcast_filters,
    reach_groups,
)
from bot.features.notices.moving import diff_of
from bot.features.notices.wording import Line, for_office, sections
from bot.store.audit import audit
from conversations.render import SPLIT, pack, to_plain
from knowledge.model import Notice

MAX_MESSAGES = 4  # a longer comparison: this many messages, and the whole as a text document
UNFINISHED_NAME = N_("Questions not finished")
NO_LEVEL_NAME = N_("no level")


def newest_pair(loaded: list[Notice]) -> tuple[Notice, Notice] | None:
    """The two newest notices by date of issue (then id), older first."""
    ordered = sorted(loaded, key=lambda n: (n.info.date, n.id))
    return (ordered[-2], ordered[-1]) if len(ordered) >= 2 else None


def _group_name(group: Group, notice: Notice, locale: str) -> tuple[str, str]:
    verdict, level_id = group
    if verdict == UNFINISHED:
        verdict_name = gettext(locale, UNFINISHED_NAME)
    else:
        verdict_name = gettext(locale, VERDICT_NAMES.get(verdict, verdict))
    level = notice.level(level_id)
    level_name = (
        level.name if level is not None else (gettext(locale, NO_LEVEL_NAME) if level_id == NO_LEVEL else level_id)
    )
    return verdict_name, level_name


ByResult = tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # (result, ((level, count) …)) …


@dataclass(frozen=True)
class Audience:
    """Applicants that several changes concern alike: their groups and the broadcasts reaching them."""

    number: int
    total: int
    groups: ByResult
    filters: tuple[BroadcastFilter, ...]
    changes: tuple[Line, ...]


def _by_verdict(counter: Counter[Group], notice: Notice, locale: str) -> ByResult:
    verdicts: dict[str, list[tuple[str, int]]] = {}
    for group, n in sorted(counter.items()):
        verdict, level = _group_name(group, notice, locale)
        verdicts.setdefault(verdict, []).append((level, n))
    return tuple((verdict, tuple(levels)) for verdict, levels in verdicts.items())


def diff_messages(old: Notice, new: Notice, found: Reach, locale: str) -> tuple[list[str], bytes]:
    """The diff as chat messages (each within Telegram's limit) and as CSV rows. Each change names
    how many stored applicants it concerns and their audience; the changes that concern the same
    applicants share one audience, listed after the changes with its results, levels and broadcasts."""
    diff = diff_of(old, new)
    lines = [for_office(change, old, new, locale) for change in diff.changes]
    members: dict[tuple[tuple[Group, int], ...], list[Line]] = {}
    rows: list[list[object]] = [["change", "topic", "kind", "title", "verdict", "level", "applicants", "broadcast"]]
    for change, line in zip(diff.changes, lines, strict=True):
        concerned = found.of(change)
        rows.append(
            [
                change.key,
                change.topic,
                change.kind,
                line.title,
                "",
                "",
                sum(concerned.values()),
                " | ".join(f.command() for f in broadcast_filters(old.id, concerned, found.everyone)),
            ]
        )
        rows += [
            [change.key, change.topic, change.kind, line.title, g[0], g[1], n] for g, n in sorted(concerned.items())
        ]
        if concerned:
            members.setdefault(tuple(sorted(concerned.items())), []).append(line)
    audiences = {
        key: Audience(
            number,
            sum(n for _, n in key),
            _by_verdict(Counter(dict(key)), old, locale),
            tuple(broadcast_filters(old.id, Counter(dict(key)), found.everyone)),
            tuple(changed),
        )
        for number, (key, changed) in enumerate(members.items(), start=1)
    }
    audience_of = {line.key: audience for key, audience in audiences.items() for line in members[key]}
    text = message(
        "notices_diff",
        locale,
        old=old,
        new=new,
        sections=sections(lines),
        audience_of=audience_of,
        audiences=list(audiences.values()),
        total=sum(found.everyone.values()),
        everyone=_by_verdict(found.everyone, old, locale),
        change_count=len(lines),
    )
    return pack(text.split(SPLIT)), csv_with_bom(rows)


def _diff_later(turn: Turn, old: Notice, new: Notice, stored: list[queries.Row]) -> Later:
    locale = turn.locale
    stamp = f"{turn.clock().astimezone(ZoneInfo(new.info.timezone)):%Y%m%d-%H%M}"
    captions = {
        "csv": turn._("Each change with the stored applicants it concerns, by result and level (CSV)"),
        "txt": turn._("The whole comparison as text"),
    }

    def render() -> list[Action]:
        found = reach_groups(diff_of(old, new), old, new, queries.applicants_of(stored))
        chunks, csv = diff_messages(old, new, found, locale)
        actions: list[Action] = []
        if len(chunks) > MAX_MESSAGES:
            actions += [Send(chunk) for chunk in chunks[:MAX_MESSAGES]]
            actions.append(Send(message("notices_more", locale, shown=MAX_MESSAGES, total=len(chunks))))
            whole = "\n\n".join(to_plain(chunk) for chunk in chunks)
            actions.append(
                SendDocument(f"notices-{old.id}-{new.id}-{stamp}.txt", whole.encode("utf-8"), captions["txt"])
            )
        else:
            actions += [Send(chunk) for chunk in chunks]
        actions.append(SendDocument(f"notices-{old.id}-{new.id}-{stamp}.csv", csv, captions["csv"]))
        return actions

    return Later(render)


def on_notices(event: Event, turn: Turn) -> None:
    db = turn.database
    loaded = list(turn.loaded.values()) or [turn.notice]
    offered = turn.offered or turn.notice
    by_notice = queries.applicants_by_notice(db, turn.env.contact_ids)
    pair = newest_pair(loaded)
    stored = queries.stored_under(db, pair[0].id, turn.env.contact_ids) if pair is not None else []
    audit(db, turn.state.user_id, "notices.view", turn.clock(), applicants=len(stored))
    shown = sorted(loaded, key=lambda n: (n.info.date, n.id), reverse=True)
    turn.say(
        "notices_overview",
        notices=[(n, _online_deadline(n), by_notice.get(n.id, 0)) for n in shown],
        offered=offered,
        pair=pair,
        others=sum(n for k, n in by_notice.items() if k not in turn.loaded),
    )
    if pair is not None:
        turn.actions.append(_diff_later(turn, pair[0], pair[1], stored))


def _online_deadline(notice: Notice) -> str | None:
    """The notice's closing of online applications, as the notice words it."""
    if notice.season is None:
        return None
    deadline = notice.deadline(notice.season.submission)
    return f"{deadline.title}：{deadline.due_text}" if deadline is not None else None


def register(registry: Registry) -> None:
    registry.command(
        "notices",
        N_("Notices and what changed"),
        N_("the notices loaded, the one new interviews follow, and what the newest changes for the stored applicants"),
        on_notices,
        rank=115,
        role=roles.CONTACT,
        needs_notice=False,
    )
