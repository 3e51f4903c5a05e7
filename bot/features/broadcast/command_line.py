"""`zhicheng-bot broadcast`: the contact persons' broadcast for scripts. It writes the same row as
the chat wizard, and the running bot (`zhicheng-bot run`) queues and sends it from the outbox at
bulk priority: this command sends nothing itself. With --wait it then follows the broadcast in the
database and prints the progress and the report that the wizard's author gets in the chat.

Every filter is checked before anything is written (exit 2, one line naming the option): an
audience of everyone needs an explicit --all, as the wizard needs its ☑ 全部申报人.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sqlite3
import sys
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from bot.chat.actions import Send
from bot.chat.html import message_problem
from bot.chat.texts import message
from bot.delivery import broadcasts
from bot.delivery.broadcasts import Broadcast, Tally
from bot.features.broadcast.audiences import VERDICT_NAMES
from bot.features.broadcast.wizard import progress_view, report_text
from bot.settings import Settings
from bot.store import population, summaries
from bot.store.population import Audience
from bot.store.storage import Storage
from conversations.clock import Clock
from conversations.render import to_plain
from conversations.season import offered_notice, season_of
from knowledge import KnowledgeError, Notice, load_notice, notice_files, notice_path

EXIT_INVALID = 2
EXIT_NOT_SENT = 1  # nobody to send to, or the broadcast was cancelled while waiting
COMMAND_LINE_AUTHOR = 0  # the audit log's actor for broadcasts written from the command line
LOCALE = "zh_Hans"  # the progress and the report are worded as in the chat
POLL_SECONDS = 1.0  # how often --wait reads the broadcast's figures
HEARTBEAT_MAX_AGE = 90.0  # seconds; the running bot writes its heartbeat every 30 s
LEVEL_QUESTION = "level"
FILTER_OPTIONS = "--level, --verdict, --notice, --unit, --unticked or --unfinished"


class Refused(Exception):
    """Bad input: one line for standard error, exit 2."""


@dataclass(frozen=True)
class Request:
    text: str
    audience: Audience
    at: dt.datetime
    now: dt.datetime
    notice: Notice  # the notice new interviews follow by the clock (its season is printed)


def _message_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read(64 * 1024).strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused(f"invalid --text-file {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    problem = message_problem(text)
    if problem:
        raise Refused(f"invalid --text-file {path}: {problem}")
    return text


def _unknown(option: str, given: Sequence[str], known: Collection[str]) -> None:
    wrong = [value for value in given if value not in known]
    if wrong:
        raise Refused(f"invalid {option} {', '.join(wrong)}: known: {', '.join(known)}")


def _levels(notices: Sequence[Notice]) -> list[str]:
    """The level ids of the notices' level questions, in their order."""
    found: list[str] = []
    for notice in notices:
        question = notice.question(LEVEL_QUESTION)
        found += [o.id for o in question.options if o.id not in found] if question else []
    return found


def everyone_asked(args: argparse.Namespace) -> bool:
    return bool(args.all or args.to == "all")


def check_filters(args: argparse.Namespace, notices: Mapping[str, Notice]) -> None:
    """Every filter as the wizard offers it; --all alone, or at least one filter."""
    chosen = bool(args.notice or args.level or args.verdict or args.unit or args.unticked or args.unfinished)
    if everyone_asked(args) and chosen:
        raise Refused("invalid audience: --all takes no other selection")
    if not everyone_asked(args) and not chosen:
        raise Refused(
            f"invalid audience: choose the recipients with {FILTER_OPTIONS}, or give --all to send to every applicant"
        )
    _unknown("--notice", args.notice, sorted(notices))
    selected = [notices[n] for n in args.notice] or list(notices.values())
    _unknown("--level", args.level, _levels(selected))
    _unknown("--verdict", args.verdict, list(VERDICT_NAMES))
    if args.unticked and args.unfinished:
        raise Refused(
            "invalid audience: --unticked (questions finished, items not yet ticked) and --unfinished "
            "(questions not finished) exclude each other"
        )


def resolve_units(wanted: list[str], names: dict[int, str]) -> tuple[frozenset[int], list[str]]:
    """--unit values (a unit's id or its exact name) as unit ids, and the values that name no unit."""
    by_name = {name: unit_id for unit_id, name in names.items()}
    found: set[int] = set()
    unknown = []
    for value in wanted:
        if value.strip().isdigit() and int(value) in names:
            found.add(int(value))
        elif value.strip() in by_name:
            found.add(by_name[value.strip()])
        else:
            unknown.append(value)
    return frozenset(found), unknown


def audience_of(args: argparse.Namespace, unit_ids: frozenset[int] = frozenset()) -> Audience:
    if everyone_asked(args):
        return Audience()
    return Audience(
        frozenset(args.notice), frozenset(args.level), frozenset(args.verdict), args.unticked, args.unfinished, unit_ids
    )


def _notices(settings: Settings) -> dict[str, Notice]:
    found: dict[str, Notice] = {}
    for path in notice_files():
        try:
            notice = load_notice(path)
        except KnowledgeError:
            continue  # as the bot does: a file that does not load is left out
        found[notice.id] = notice
    configured = load_notice(notice_path(settings.notice_id))
    found.setdefault(configured.id, configured)
    return found


def _when(at: dt.datetime, timezone: str) -> str:
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(timezone)).isoformat(timespec="minutes")


def season_line(notice: Notice, now: dt.datetime) -> str | None:
    """Where the season stands by the command's clock, in the bot's words."""
    today = Clock(now).today(notice.info.timezone)
    season = season_of(notice, today)
    if season is None:
        return None
    return to_plain(message("broadcast_season", LOCALE, season=season))


def bot_running(settings: Settings, now: float | None = None) -> bool:
    """Whether a bot runs on this database: its heartbeat is fresh (as `zhicheng-bot health` reads it)."""
    from bot.telegram.runner import heartbeat_path

    try:
        beat = json.loads(heartbeat_path(settings.db_path).read_text("utf-8"))
        return (now or time.time()) - float(beat["at"]) <= HEARTBEAT_MAX_AGE
    except (OSError, ValueError, KeyError, TypeError):
        return False


def one_line(text: str) -> str:
    return " · ".join(line.strip() for line in to_plain(text).splitlines() if line.strip())


async def follow(
    storage: Storage, broadcast_id: int, timezone: str, out: TextIO, recipients: int, poll: float | None = None
) -> int:
    """Print the broadcast's progress (a line at once, then whenever its figures change) until it has
    ended, then the report its author gets in the chat. 0 when it was delivered, 1 when it was cancelled."""

    def read(db: sqlite3.Connection) -> tuple[Broadcast | None, Tally]:
        return broadcasts.get(db, broadcast_id), broadcasts.tally(db, broadcast_id)

    shown = ""
    while True:
        broadcast, tally = await storage.atomically(read)
        if broadcast is None:
            print(f"broadcast {broadcast_id} no longer exists", file=out)
            return EXIT_NOT_SENT
        line = one_line(progress_view(LOCALE, timezone, broadcast, tally, recipients)[0])
        if line != shown:  # as the chat's progress message, edited when its figures change
            print(line, file=out, flush=True)
            shown = line
        if broadcast.status == "done":
            print(to_plain(report_text(LOCALE, broadcast, tally)), file=out, flush=True)
            return 0
        if broadcast.status == "cancelled":
            return EXIT_NOT_SENT
        await asyncio.sleep(POLL_SECONDS if poll is None else poll)


def _request(args: argparse.Namespace, settings: Settings, notices: Mapping[str, Notice]) -> Request:
    text = _message_text(args.text_file)
    check_filters(args, notices)
    now = Clock(args.now).now()
    configured = notices.get(settings.notice_id) or next(iter(notices.values()))
    notice = offered_notice(notices.values(), configured, Clock(now).today(configured.info.timezone))
    if args.at is not None and args.at <= now:
        raise Refused(
            f"invalid --at {args.at.isoformat()}: it has passed (now {_when(now, notice.info.timezone)}); "
            "leave --at out to send now"
        )
    return Request(text, audience_of(args), args.at or now, now, notice)


async def broadcast_from_command_line(
    args: argparse.Namespace, settings: Settings, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        notices = _notices(settings)
        request = _request(args, settings, notices)
    except Refused as exc:
        print(exc, file=err)
        return EXIT_INVALID
    except KnowledgeError as exc:
        print(f"invalid knowledge file: {exc}", file=err)
        return EXIT_NOT_SENT
    timezone = request.notice.info.timezone
    storage = await Storage(settings.db_path).open()
    try:
        await summaries.refresh(storage, notices.values())
        names = await storage.atomically(population.unit_names)
        unit_ids, unknown_units = resolve_units(args.unit, names)
        if unknown_units:
            known = "; ".join(f"{i} {n}" for i, n in sorted(names.items())[:20]) or "none yet"
            print(f"invalid --unit {', '.join(unknown_units)}: known: {known}", file=err)
            return EXIT_INVALID
        audience = audience_of(args, unit_ids)
        recipients = await storage.atomically(population.count, audience, settings.contact_ids)
        season = season_line(request.notice, request.now)
        season = f"season as of {_when(request.now, timezone)}: {season}" if season else None
        if recipients == 0:
            print("no applicant matches this audience now: nothing written", file=err)
            return EXIT_NOT_SENT
        if args.dry_run:
            print(f"{recipients} recipients; nothing written (--dry-run)", file=out)
            if season:
                print(season, file=out)
            print(request.text, file=out)
            return 0
        broadcast_id = await storage.atomically(
            broadcasts.create,
            author_id=COMMAND_LINE_AUTHOR,
            author_chat=None,
            audience=audience,
            messages=[Send(request.text)],
            at=request.at,
            now=request.now,
            recipients=recipients,
        )
        when = "now" if request.at <= request.now else _when(request.at, timezone)
        print(
            f"broadcast {broadcast_id} to {recipients} recipients (counted now; counted again when it is sent) "
            f"written for {when}: the running bot sends it at bulk priority",
            file=out,
            flush=True,
        )
        if season:
            print(season, file=out)
        if not bot_running(settings):
            print(
                f"note: no bot is running on {settings.db_path} (no fresh heartbeat): the broadcast waits until "
                "`zhicheng-bot run` starts",
                file=err,
                flush=True,
            )
        if not args.wait:
            print(
                f"follow it with /broadcasts in the chat (broadcast #{broadcast_id}), or write it with --wait "
                "to see its progress here",
                file=out,
            )
            return 0
        return await follow(storage, broadcast_id, timezone, out, recipients)
    finally:
        await storage.close()
