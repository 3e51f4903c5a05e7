"""Command-line entry points: `zhicheng-bot [run|console|health|backup|knowledge check|case|check-upload]`."""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bot.settings import Settings, SettingsError
from conversations.casefile import CaseFileError, case_schema, read_case_file, validate_case
from conversations.clock import Clock, ClockError, parse_moment
from conversations.i18n import DEFAULT_LOCALE, LOCALES
from conversations.outcome import evaluate
from conversations.render import outcome_html, outcome_text
from conversations.season import season_of
from conversations.uploads import DEFAULT_TIME_LIMIT, MAX_UPLOAD_BYTES
from knowledge import KnowledgeError, Notice, load_notice, notice_files, notice_path

EXIT_INVALID = 2


def _knowledge_check(args: argparse.Namespace) -> int:
    files = [Path(f) for f in args.files] or notice_files()
    status = 0
    for file in files:
        try:
            notice = load_notice(file)
        except KnowledgeError as exc:
            print(f"invalid: {exc}", file=sys.stderr)
            status = 1
        else:
            print(f"ok: {file} ({notice.info.number}: {len(notice.questions)} questions, "
                  f"{len(notice.rules)} rules, {len(notice.items)} items, {len(notice.deadlines)} deadlines)")
    return status


def _case_schema(args: argparse.Namespace) -> int:
    try:
        notice = load_notice(args.file or notice_path())
    except KnowledgeError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(case_schema(notice), ensure_ascii=False, indent=2))
    return 0


def _notice_for_case(data: object, override: str | None) -> Notice:
    if override:
        try:
            return load_notice(override)
        except KnowledgeError as exc:
            raise CaseFileError("--notice", str(exc)) from exc
    notice_id = data.get("notice") if isinstance(data, dict) else None
    if notice_id is None:
        return load_notice(notice_path())
    if not isinstance(notice_id, str) or "/" in notice_id or not notice_path(notice_id).exists():
        raise CaseFileError("notice", f"unknown notice {notice_id!r}; known: "
                            + ", ".join(p.stem for p in notice_files()))
    return load_notice(notice_path(notice_id))


def _case(args: argparse.Namespace) -> int:
    name = "(standard input)" if args.file == "-" else args.file
    try:
        data = read_case_file(args.file)
        notice = _notice_for_case(data, args.notice)
        case = validate_case(data, notice)
    except CaseFileError as exc:
        print(f"invalid case file {name}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KnowledgeError as exc:
        print(f"invalid knowledge file: {exc}", file=sys.stderr)
        return 1
    outcome = evaluate(notice, case.answers)
    today = Clock(args.now).today(notice.info.timezone)
    if args.format == "json":
        data = outcome.to_dict()
        season = season_of(notice, today)
        data["season"] = None if season is None else {
            "today": today.isoformat(), "name": season.name, "state": season.state,
            "accepting": season.accepting, "days_left": season.submission.days_left}
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.format == "html":
        print(outcome_html(notice, outcome, args.locale, today=today))
    else:
        print(outcome_text(notice, outcome, args.locale, today=today))
    return 0


def _check_upload(args: argparse.Namespace) -> int:
    from bot.features.uploads.command import run  # imported here: images, PDF and OCR only for this command

    return run(args)


def _moment(text: str) -> object:
    """argparse type of --now: a bad time is a usage error (exit 2) that shows the expected form."""
    try:
        return parse_moment(text)
    except ClockError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


NOW_HELP = ("pretend the time is this ISO 8601 moment with its UTC offset, for demonstrations and tests "
            "(for example 2021-10-13T09:59:30+08:00); the clock runs on from it")


def _run(args: argparse.Namespace) -> int:
    from bot.runner import run  # imported here: the offline commands need no PTB

    return run(args)


def _console(args: argparse.Namespace) -> int:
    from bot.console import run_console
    from bot.logsafe import set_log_salt

    set_log_salt(Settings.load(args.config).log_salt)
    return run_console(args)


def _start(args: argparse.Namespace) -> int:
    settings = Settings.load(args.config)
    return _run(args) if settings.token else _console(args)


def _read_only(db: Path) -> str:
    """SQLite URI opening the database read-only. Run health and backup as the bot's user: SQLite
    may create the -wal and -shm files beside the database, and they must stay the bot's."""
    return db.resolve().as_uri() + "?mode=ro"


HEARTBEAT_MAX_AGE = 90.0  # seconds; the bot writes its heartbeat every 30 s


def _health(args: argparse.Namespace) -> int:
    """One line: is the notice loadable, the storage reachable, a bot running and connected?"""
    from bot.runner import heartbeat_path

    settings = Settings.load(args.config)
    try:
        notice = load_notice(notice_path(settings.notice_id))
    except KnowledgeError as exc:
        print(f"unhealthy: notice {settings.notice_id} cannot be loaded: {exc}")
        return 1
    db = settings.db_path
    if not db.is_file():
        print(f"unhealthy: storage {db} does not exist")
        return 1
    try:
        with contextlib.closing(sqlite3.connect(_read_only(db), uri=True, timeout=5)) as conn:
            migrations = conn.execute("SELECT count(*) FROM applied_migrations").fetchone()[0]
    except sqlite3.Error as exc:
        print(f"unhealthy: storage {db} not reachable ({exc})")
        return 1
    parts = f"storage {db} ({migrations} migrations), notice {notice.id}"
    beat = heartbeat_path(db)
    try:
        heartbeat = json.loads(beat.read_text("utf-8"))
        age = time.time() - float(heartbeat["at"])
    except (OSError, ValueError, KeyError, TypeError):
        print(f"unhealthy: no running bot ({beat} missing or unreadable); {parts}")
        return 1
    if age > HEARTBEAT_MAX_AGE:
        print(f"unhealthy: the bot's last heartbeat is {age:.0f} s old (pid {heartbeat.get('pid')}); {parts}")
        return 1
    error_at = heartbeat.get("last_error_at")
    if error_at and time.time() - float(error_at) < HEARTBEAT_MAX_AGE:
        print(f"unhealthy: {heartbeat.get('bot')} cannot reach Telegram ({heartbeat.get('last_error')}); {parts}")
        return 1
    print(f"ok: {heartbeat.get('bot')} {heartbeat.get('mode')} (pid {heartbeat.get('pid')}), {parts}")
    return 0


def _broadcast(args: argparse.Namespace) -> int:
    """Queue a broadcast for the running bot to send (or, with --dry-run, count its recipients)."""
    import asyncio

    from bot.broadcasts_cli import broadcast_from_command_line

    settings = Settings.load(args.config)
    return asyncio.run(broadcast_from_command_line(args, settings))


def _backup(args: argparse.Namespace) -> int:
    """Copy the database with SQLite's online backup API: safe while the bot runs."""
    settings = Settings.load(args.config)
    source, target = settings.db_path, Path(args.file)
    if not source.is_file():
        print(f"backup failed: storage {source} does not exist", file=sys.stderr)
        return 1
    if target.exists() and not args.force:
        print(f"backup refused: {target} exists (--force replaces it)", file=sys.stderr)
        return EXIT_INVALID
    partial = target.with_name(target.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        with contextlib.closing(sqlite3.connect(_read_only(source), uri=True, timeout=30)) as src, \
                contextlib.closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            users = dst.execute("SELECT count(*) FROM users").fetchone()[0]
            dst.execute("PRAGMA journal_mode=DELETE")
        if check != "ok":
            print(f"backup failed: the copy does not pass SQLite's integrity check ({check})", file=sys.stderr)
            return 1
        partial.replace(target)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backup: {source} -> {target} ({users} users, {target.stat().st_size} bytes)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhicheng-bot", description="职称申报助手 zhicheng-bot")
    parser.add_argument("--config", help="settings file (KEY=VALUE lines); environment variables win")
    parser.set_defaults(handler=_start, webhook=None, now=None)
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run the Telegram bot (long polling, or --webhook URL)")
    run.add_argument("--webhook", metavar="URL",
                     help="public HTTPS URL Telegram posts updates to (default: ZHICHENG_WEBHOOK_URL; "
                          "none: long polling); its path is the path served")
    run.add_argument("--now", type=_moment, metavar="TIME", help=NOW_HELP)
    run.set_defaults(handler=_run)

    console = sub.add_parser("console", help="the same conversation in this terminal, on the same storage")
    console.add_argument("--user", type=int, default=1, help="local user id to chat as (default 1)")
    console.add_argument("--now", type=_moment, metavar="TIME", help=NOW_HELP)
    console.set_defaults(handler=_console)

    health = sub.add_parser("health", help="one line and exit 0 if the running bot, its storage and notice are fine",
                            description="Checks the notice, the storage (ZHICHENG_DB) and the heartbeat of a "
                                        "running bot; prints one line; exit 0 if healthy, 1 if not.")
    health.set_defaults(handler=_health)

    backup = sub.add_parser("backup", help="copy the database with SQLite's online backup (safe while running)")
    backup.add_argument("file", metavar="FILE", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.set_defaults(handler=_backup)

    broadcast = sub.add_parser(
        "broadcast", help="send a message to all applicants or a segment (through the running bot's outbox)",
        description="Writes a broadcast into the outbox of the database (ZHICHENG_DB); the running bot sends it "
                    "at bulk priority (at most 30 messages a second, one a second per chat). Dimensions combine "
                    "(and); repeated values of one dimension are alternatives (or). Exit 2 for bad input.")
    broadcast.add_argument("--to", choices=("all", "segment"), default="segment",
                           help="all: every reachable applicant; segment (default): as the options below select")
    broadcast.add_argument("--text-file", metavar="FILE", required=True,
                           help="the message, Telegram HTML (<b>, <i>, <a href>, …), at most 4,096 characters")
    broadcast.add_argument("--notice", action="append", default=[], metavar="ID", help="applicants of this notice")
    broadcast.add_argument("--level", action="append", default=[], metavar="ID",
                           help="applicants of this level (junior, intermediate, associate_senior, full_senior)")
    broadcast.add_argument("--verdict", action="append", default=[], metavar="VERDICT",
                           choices=("eligible", "conditional", "other_route", "ineligible", "not_covered"),
                           help="applicants with this verdict")
    broadcast.add_argument("--unit", action="append", default=[], metavar="UNIT",
                           help="applicants linked to this unit: its id or exact name (see /units in the chat)")
    broadcast.add_argument("--unticked", action="store_true", help="only those with checklist items not yet ticked")
    broadcast.add_argument("--unfinished", action="store_true", help="only those who never finished the questions")
    broadcast.add_argument("--at", type=_moment, metavar="TIME",
                           help="send at this ISO 8601 time with its UTC offset (default: now)")
    broadcast.add_argument("--dry-run", action="store_true", help="print the number of recipients and the message; "
                                                                  "write nothing")
    broadcast.set_defaults(handler=_broadcast)

    knowledge = sub.add_parser("knowledge", help="knowledge files")
    ksub = knowledge.add_subparsers(dest="knowledge_command", required=True)
    check = ksub.add_parser("check", help="validate notice files (default: all bundled ones)")
    check.add_argument("files", nargs="*", metavar="FILE")
    check.set_defaults(handler=_knowledge_check)
    schema = ksub.add_parser("case-schema", help="print the JSON Schema of case files for a notice")
    schema.add_argument("file", nargs="?", metavar="FILE", help="notice file (default: the bundled notice)")
    schema.set_defaults(handler=_case_schema)

    case = sub.add_parser(
        "case", help="print the outcome for a case file (YAML or JSON answers)",
        description="Prints the verdict, checklist and deadlines for an applicant's answers. "
                    "Exit 0, or 2 with one line naming the field for any bad input.")
    case.add_argument("file", metavar="FILE",
                      help="case file, YAML or JSON, at most 64 KiB; - reads standard input. "
                           "Quote yes/no answers in YAML (sanction: \"no\")")
    case.add_argument("--format", choices=("text", "json", "html"), default="text",
                      help="text: as in the chat (default); json: for programs; html: a page to open or print")
    case.add_argument("--locale", choices=LOCALES, default=DEFAULT_LOCALE,
                      help=f"language of the interface (default {DEFAULT_LOCALE}); the notice's content stays Chinese")
    case.add_argument("--notice", metavar="NOTICE_FILE",
                      help="use this notice file (a knowledge YAML) instead of the case's or the bundled one")
    case.add_argument("--now", type=_moment, metavar="TIME",
                      help=NOW_HELP + "; the season (open, closing, closed) is stated as of that day")
    case.set_defaults(handler=_case)

    upload = sub.add_parser(
        "check-upload", help="check a scan or the work summary against the notice (format, orientation, "
                             "legibility, item and year; 字数)",
        description="Checks one file as the bot checks an upload: the format the platform takes (*.jpg), upright, "
                    "legible, which checklist item it is and its year; for .docx, .txt or a text PDF, the work "
                    "summary's 字数. Exit 0 when checked, 2 with one line when the file cannot be.")
    upload.add_argument("file", metavar="FILE", help=f"an image, PDF, .docx or .txt, at most "
                                                     f"{MAX_UPLOAD_BYTES // 2**20} MB (Telegram's download limit)")
    upload.add_argument("--level", metavar="L", help="the level applied for (junior, intermediate, associate_senior, "
                                                     "full_senior): an item not on its checklist is named so")
    upload.add_argument("--case", metavar="CASE_FILE", help="an applicant's case file: match against their checklist")
    upload.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default) or json: {format, upright, rotation, legible, item, year, notes, …}")
    upload.add_argument("--out", metavar="PATH", help="write the converted upright .jpg here when one is needed "
                                                      "(several pages: PATH-1.jpg, PATH-2.jpg …)")
    upload.add_argument("--locale", choices=LOCALES, default=DEFAULT_LOCALE,
                        help=f"language of the verdicts (default {DEFAULT_LOCALE})")
    upload.add_argument("--notice", metavar="NOTICE_FILE", help="use this notice file instead of the bundled one")
    upload.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="SECONDS",
                        help=f"stop recognition after this many seconds (default {DEFAULT_TIME_LIMIT:g})")
    upload.set_defaults(handler=_check_upload)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"invalid setting: {problem}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # the output was piped into `head` or similar
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
