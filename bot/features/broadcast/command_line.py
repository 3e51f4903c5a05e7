"""`zhicheng-bot broadcast`: the contact persons' broadcast for scripts, writing to the same
outbox as the chat wizard."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from bot.chat.actions import Send
from bot.chat.html import message_problem
from bot.delivery import broadcasts
from bot.settings import Settings
from bot.store import population, summaries
from bot.store.population import Audience
from bot.store.storage import Storage
from knowledge import load_notice, notice_files

EXIT_INVALID = 2
COMMAND_LINE_AUTHOR = 0  # the audit log's actor for broadcasts written from the command line


def audience_of(args: argparse.Namespace, unit_ids: frozenset[int] = frozenset()) -> Audience:
    if args.to == "all":
        return Audience()
    return Audience(frozenset(args.notice), frozenset(args.level), frozenset(args.verdict),
                    args.unticked, args.unfinished, unit_ids)


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


async def broadcast_from_command_line(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with open(args.text_file, encoding="utf-8") as file:
            text = file.read(64 * 1024).strip()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"invalid --text-file {args.text_file}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return EXIT_INVALID
    problem = message_problem(text)
    if problem:
        print(f"invalid --text-file {args.text_file}: {problem}", file=sys.stderr)
        return EXIT_INVALID
    if args.to == "all" and (args.notice or args.level or args.verdict or args.unticked or args.unfinished
                             or args.unit):
        print("invalid audience: --to all takes no other selection", file=sys.stderr)
        return EXIT_INVALID
    notices = {notice.id: notice for notice in (load_notice(path) for path in notice_files())}
    unknown = set(args.notice) - set(notices)
    if unknown:
        print(f"invalid --notice {', '.join(sorted(unknown))}: known: {', '.join(sorted(notices))}", file=sys.stderr)
        return EXIT_INVALID
    now = dt.datetime.now(dt.UTC)
    at = args.at or now
    storage = await Storage(settings.db_path).open()
    try:
        await summaries.refresh(storage, notices.values())
        names = await storage.atomically(population.unit_names)
        unit_ids, unknown_units = resolve_units(args.unit, names)
        if unknown_units:
            known = "; ".join(f"{i} {n}" for i, n in sorted(names.items())[:20]) or "none yet"
            print(f"invalid --unit {', '.join(unknown_units)}: known: {known}", file=sys.stderr)
            return EXIT_INVALID
        audience = audience_of(args, unit_ids)
        recipients = await storage.atomically(population.count, audience, settings.contact_ids)
        if args.dry_run:
            print(f"{recipients} recipients; nothing written (--dry-run)")
            print(text)
            return 0
        broadcast_id = await storage.atomically(
            broadcasts.create, author_id=COMMAND_LINE_AUTHOR, author_chat=None, audience=audience,
            messages=[Send(text)], at=at, now=now, recipients=recipients)
    finally:
        await storage.close()
    when = "now" if at <= now else at.isoformat(timespec="minutes")
    print(f"broadcast {broadcast_id} to {recipients} recipients queued for {when}; "
          "the running bot sends it (the audience is counted again when it is sent)")
    return 0
