"""Command-line entry points: `zhicheng-bot [run|console|health|backup|broadcast|knowledge|case|understand|
check-upload]`."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
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
from conversations.reader import READ_LIMIT
from conversations.render import headline, outcome_html, outcome_text, understanding_text
from conversations.season import season_of
from conversations.uploads import DEFAULT_TIME_LIMIT, MAX_UPLOAD_BYTES
from knowledge import KnowledgeError, Notice, load_notice, notice_files, notice_path

EXIT_INVALID = 2
NOTICE_TEXT_LIMIT = 1024 * 1024  # a notice is some 10 KiB of text


def _knowledge_check(args: argparse.Namespace) -> int:
    files = [Path(f) for f in args.files] or notice_files()
    status = 0
    for file in files:
        try:
            notice = load_notice(file, allow_review=True)
        except KnowledgeError as exc:
            print(f"invalid: {exc}", file=sys.stderr)
            status = 1
            continue
        if notice.reviews:
            for review in notice.reviews:
                print(f"review: {file}: {review.entry}: {review.reason}")
            print(
                f"not ready: {file} has {len(notice.reviews)} entries marked for review; settle each and delete "
                "its review line (the bot refuses a notice with review marks)",
                file=sys.stderr,
            )
            status = 1
            continue
        print(
            f"ok: {file} ({notice.info.number}: {len(notice.questions)} questions, "
            f"{len(notice.rules)} rules, {len(notice.items)} items, {len(notice.deadlines)} deadlines)"
        )
    return status


def _notice_file(value: str) -> Path:
    """A notice given as a bundled id or as the path of a knowledge file."""
    path = Path(value)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    if "/" in value or not notice_path(value).exists():
        known = ", ".join(p.stem for p in notice_files())
        raise CaseFileError("notice", f"unknown notice {value!r}: give a bundled id ({known}) or a .yaml file")
    return notice_path(value)


def _knowledge_draft(args: argparse.Namespace) -> int:
    import os

    from knowledge.drafting import DraftError, draft_notice, report_text

    text_path, out = Path(args.notice_text), Path(args.output)
    try:
        old = _notice_file(args.old)
        with text_path.open("rb") as file:
            raw = file.read(NOTICE_TEXT_LIMIT + 1)
        if len(raw) > NOTICE_TEXT_LIMIT:
            print(f"invalid notice text {text_path}: larger than {NOTICE_TEXT_LIMIT // 1024} KiB", file=sys.stderr)
            return EXIT_INVALID
        new_text = raw.decode("utf-8")
    except CaseFileError as exc:
        print(f"invalid --from: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_INVALID
    except (OSError, UnicodeDecodeError) as exc:
        print(f"invalid notice text {text_path}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return EXIT_INVALID
    if out.exists() and not args.force:
        print(f"draft refused: {out} exists (--force replaces it)", file=sys.stderr)
        return EXIT_INVALID
    if out.resolve() == old.resolve():
        print("draft refused: -o must not be the old notice's file", file=sys.stderr)
        return EXIT_INVALID
    text_file = os.path.relpath(text_path.resolve(), out.resolve().parent)
    try:
        draft = draft_notice(old, new_text, text_file=text_file, new_id=args.id)
    except DraftError as exc:
        print(f"draft failed: {exc}", file=sys.stderr)
        return 1
    draft.write(out)  # and its lexicon beside it: the words of typed questions, under the new notice's name
    for removed in draft.lexicon_removed:
        print(f"lexicon: left out {removed}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(draft.report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(report_text(draft.report, str(out)))
    try:
        load_notice(out, allow_review=True)
    except KnowledgeError as exc:
        print(f"the draft does not pass the checks beyond its review marks: {exc}", file=sys.stderr)
        return 1
    return 0


def _knowledge_diff(args: argparse.Namespace) -> int:
    from bot.features.notices.changes import StorageError, diff_json, diff_text, reach, stored_applicants
    from knowledge.notice_diff import diff_notices

    try:
        old, new = (load_notice(_notice_file(value), allow_review=True) for value in (args.old, args.new))
    except CaseFileError as exc:
        print(f"invalid notice: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_INVALID
    except KnowledgeError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    diff = diff_notices(old, new)
    found = None
    if args.db:
        try:
            found = reach(diff, old, new, stored_applicants(Path(args.db), old.id))
        except StorageError as exc:
            print(f"invalid --db: {exc}", file=sys.stderr)
            return EXIT_INVALID
    if args.format == "json":
        print(json.dumps(diff_json(diff, found), ensure_ascii=False, indent=2))
    else:
        print(diff_text(diff, found))
    for notice in (old, new):
        if notice.reviews:
            print(
                f"note: {notice.source} is a draft with {len(notice.reviews)} entries marked for review",
                file=sys.stderr,
            )
    return 0


def _case_schema(args: argparse.Namespace) -> int:
    try:
        notice = load_notice(args.file or notice_path())
    except KnowledgeError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(case_schema(notice), ensure_ascii=False, indent=2))
    return 0


MAX_NOTICE_BYTES = 4 * 1024 * 1024  # a knowledge file is some 100 KiB; a device or a huge file is refused unread


def _notice_for_case(data: object, override: str | None) -> Notice:
    if override:
        path = Path(override)
        try:
            size = path.stat().st_size if path.is_file() else None
        except OSError as exc:
            raise CaseFileError("--notice", f"{override}: cannot be read ({exc.strerror or exc})") from exc
        if size is not None and size > MAX_NOTICE_BYTES:
            raise CaseFileError("--notice", f"{override}: is larger than {MAX_NOTICE_BYTES} bytes")
        if size is None and path.exists() and not path.is_dir():
            raise CaseFileError("--notice", f"{override}: is not a regular file")
        try:
            return load_notice(override)
        except KnowledgeError as exc:
            raise CaseFileError("--notice", str(exc)) from exc
    notice_id = data.get("notice") if isinstance(data, dict) else None
    if notice_id is None:
        return load_notice(notice_path())
    if not isinstance(notice_id, str) or "/" in notice_id or not notice_path(notice_id).exists():
        raise CaseFileError(
            "notice", f"unknown notice {notice_id!r}; known: " + ", ".join(p.stem for p in notice_files())
        )
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
        data = outcome.to_dict()  # the verdict stays what the notice gives, whatever the day
        season = season_of(notice, today)
        data["season"] = (
            None
            if season is None
            else {
                "today": today.isoformat(),
                "name": season.name,
                "state": season.state,
                "accepting": season.accepting,
                "days_left": season.submission.days_left,
                "submission_last_day": season.submission.last_day.isoformat() if season.submission.last_day else None,
            }
        )
        data["headline"] = headline(outcome, args.locale, season)
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.format == "html":
        print(outcome_html(notice, outcome, args.locale, today=today))
    else:
        print(outcome_text(notice, outcome, args.locale, today=today))
    return 0


MAX_TEXT_BYTES = 64 * 1024


def _understand(args: argparse.Namespace) -> int:
    """What a typed description says about the applicant's case: interview answers with their words."""
    try:
        if args.text == "-":
            raw = sys.stdin.buffer.read(MAX_TEXT_BYTES + 1)
            if len(raw) > MAX_TEXT_BYTES:
                print(f"invalid text: standard input is larger than {MAX_TEXT_BYTES} bytes", file=sys.stderr)
                return EXIT_INVALID
            text = raw.decode("utf-8-sig")
        else:
            text = args.text
        notice = load_notice(args.notice or notice_path())
        stored = validate_case(read_case_file(args.answers), notice, complete=False).answers if args.answers else {}
    except UnicodeDecodeError:
        print("invalid text: standard input is not UTF-8 text", file=sys.stderr)
        return EXIT_INVALID
    except CaseFileError as exc:
        print(f"invalid case file {args.answers}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KnowledgeError as exc:
        print(f"invalid knowledge file: {exc}", file=sys.stderr)
        return 1
    from conversations.understand import understand

    today = Clock(args.now).today(notice.info.timezone)
    understood = understand(notice, text, stored, today=today)
    if understood.truncated:
        print(f"note: only the first {READ_LIMIT} characters were read", file=sys.stderr)
    if args.format == "json":
        data: dict[str, object] = {"answers": understood.answers, "evidence": understood.evidence, "notice": notice.id}
        if args.answers:
            data["contradictions"] = [
                {"question": c.question, "stored": c.stored, "found": c.found, "words": c.words}
                for c in understood.contradictions
            ]
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(understanding_text(notice, understood, args.locale))
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


NOW_HELP = (
    "pretend the time is this ISO 8601 moment with its UTC offset, for demonstrations and tests "
    "(for example 2021-10-13T09:59:30+08:00); the clock runs on from it"
)


def _run(args: argparse.Namespace) -> int:
    from bot.app import build_application  # imported here: the offline commands need no PTB
    from bot.telegram.runner import run

    return run(args, build_application)


def _console(args: argparse.Namespace) -> int:
    from bot.app import run_console
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
    from bot.telegram.runner import heartbeat_path

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
    """Write a broadcast for the running bot to send (--dry-run: count its recipients; --wait: follow it)."""
    import asyncio

    from bot.features.broadcast.command_line import broadcast_from_command_line

    settings = Settings.load(args.config)
    try:
        return asyncio.run(broadcast_from_command_line(args, settings))
    except KeyboardInterrupt:
        print("interrupted; a broadcast already written goes on (see /broadcasts in the chat)", file=sys.stderr)
        return 130


BACKUP_MODE = 0o600  # as the database itself: applicants' answers are personal data


def _cannot_write(target: Path, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return (
        f"backup failed: cannot write {target} ({reason}); run it as the bot's user "
        f"(sudo -u zhicheng …) into a folder that user can write"
    )


def _backup(args: argparse.Namespace) -> int:
    """Copy the database with SQLite's online backup API: safe while the bot runs. The copy is
    created readable by its owner only (0600), like the database."""
    settings = Settings.load(args.config)
    source, target = settings.db_path, Path(args.file)
    if not source.is_file():
        print(f"backup failed: storage {source} does not exist", file=sys.stderr)
        return 1
    try:
        exists = target.exists()
    except OSError as exc:
        print(_cannot_write(target, exc), file=sys.stderr)
        return 1
    if exists and not args.force:
        print(f"backup refused: {target} exists (--force replaces it)", file=sys.stderr)
        return EXIT_INVALID
    if not target.parent.is_dir():
        print(f"backup failed: folder {target.parent} does not exist", file=sys.stderr)
        return 1
    partial = target.with_name(target.name + ".partial")
    try:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        # Created 0600 before SQLite opens it: the copy is never readable by others, not even briefly.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, BACKUP_MODE))
    except OSError as exc:
        print(_cannot_write(target, exc), file=sys.stderr)
        return 1
    try:
        with (
            contextlib.closing(sqlite3.connect(_read_only(source), uri=True, timeout=30)) as src,
            contextlib.closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst)
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            users = dst.execute("SELECT count(*) FROM users").fetchone()[0]
            dst.execute("PRAGMA journal_mode=DELETE")
        if check != "ok":
            print(f"backup failed: the copy does not pass SQLite's integrity check ({check})", file=sys.stderr)
            return 1
        os.chmod(partial, BACKUP_MODE)
        partial.replace(target)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        print(f"backup failed: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()  # left only after a failure; gone once replaced
    print(f"backup: {source} -> {target} ({users} users, {target.stat().st_size} bytes)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhicheng-bot", description="职称申报助手 zhicheng-bot")
    parser.add_argument("--config", help="settings file (KEY=VALUE lines); environment variables win")
    parser.set_defaults(handler=_start, webhook=None, now=None)
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run the Telegram bot (long polling, or --webhook URL)")
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="public HTTPS URL Telegram posts updates to (default: ZHICHENG_WEBHOOK_URL; "
        "none: long polling); its path is the path served",
    )
    run.add_argument("--now", type=_moment, metavar="TIME", help=NOW_HELP)
    run.set_defaults(handler=_run)

    console = sub.add_parser("console", help="the same conversation in this terminal, on the same storage")
    console.add_argument("--user", type=int, default=1, help="local user id to chat as (default 1)")
    console.add_argument("--now", type=_moment, metavar="TIME", help=NOW_HELP)
    console.set_defaults(handler=_console)

    health = sub.add_parser(
        "health",
        help="one line and exit 0 if the running bot, its storage and notice are fine",
        description="Checks the notice, the storage (ZHICHENG_DB) and the heartbeat of a "
        "running bot; prints one line; exit 0 if healthy, 1 if not.",
    )
    health.set_defaults(handler=_health)

    backup = sub.add_parser("backup", help="copy the database with SQLite's online backup (safe while running)")
    backup.add_argument("file", metavar="FILE", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.set_defaults(handler=_backup)

    broadcast = sub.add_parser(
        "broadcast",
        help="a message to chosen applicants, or --all, written for the running bot to send",
        description="Writes a broadcast into the database (ZHICHENG_DB), as the chat's /broadcast does; the running "
        "bot (zhicheng-bot run) queues and sends it at bulk priority (at most 30 messages a second, one "
        "a second per chat): this command sends nothing itself. Choose the recipients with the filters "
        "(repeated values of one filter are alternatives, or; filters combine, and) or give --all. "
        "--wait then prints the progress and the report, as the chat shows them. Exit 0 when written "
        "(with --wait: when delivered), 1 when nobody matches or the broadcast was cancelled while "
        "waiting, 2 for bad input (one line naming the option).",
    )
    broadcast.add_argument(
        "--text-file",
        metavar="FILE",
        required=True,
        help="the message, Telegram HTML (<b>, <i>, <a href>, …), at most 4,096 characters",
    )
    broadcast.add_argument("--all", action="store_true", help="every reachable applicant (no filter)")
    broadcast.add_argument("--to", choices=("all", "segment"), help=argparse.SUPPRESS)  # --to all: --all, as before
    broadcast.add_argument("--notice", action="append", default=[], metavar="ID", help="applicants of this notice")
    broadcast.add_argument(
        "--level",
        action="append",
        default=[],
        metavar="ID",
        help="applicants of this level (junior, intermediate, associate_senior, full_senior)",
    )
    broadcast.add_argument(
        "--verdict",
        action="append",
        default=[],
        metavar="VERDICT",
        help="applicants with this verdict (eligible, conditional, other_route, ineligible, not_covered)",
    )
    broadcast.add_argument(
        "--unit",
        action="append",
        default=[],
        metavar="UNIT",
        help="applicants linked to this unit: its id or exact name (see /units in the chat)",
    )
    broadcast.add_argument("--unticked", action="store_true", help="only those with checklist items not yet ticked")
    broadcast.add_argument("--unfinished", action="store_true", help="only those who never finished the questions")
    broadcast.add_argument(
        "--at",
        type=_moment,
        metavar="TIME",
        help="send at this ISO 8601 time with its UTC offset, ahead of now (default: now)",
    )
    broadcast.add_argument(
        "--now",
        type=_moment,
        metavar="TIME",
        help=NOW_HELP + "; the time of writing, the default send time and the season printed",
    )
    broadcast.add_argument(
        "--wait",
        action="store_true",
        help="after writing, follow the broadcast until the running bot has sent it: a progress "
        "line whenever its figures change, then the report (Ctrl-C stops waiting; the "
        "broadcast goes on)",
    )
    broadcast.add_argument(
        "--dry-run", action="store_true", help="print the number of recipients and the message; write nothing"
    )
    broadcast.set_defaults(handler=_broadcast)

    knowledge = sub.add_parser("knowledge", help="knowledge files")
    ksub = knowledge.add_subparsers(dest="knowledge_command", required=True)
    check = ksub.add_parser(
        "check",
        help="validate notice files (default: all bundled ones)",
        description="Exit 0 if every file is valid; 1 if one is invalid or is a draft with "
        "entries still marked for review (each is listed).",
    )
    check.add_argument("files", nargs="*", metavar="FILE")
    check.set_defaults(handler=_knowledge_check)
    draft = ksub.add_parser(
        "draft",
        help="a draft knowledge file for a new notice's text, built on an old notice",
        description="Entries whose quotes stand verbatim in the new text are carried over; those found with "
        "only numbers, dates or names changed are updated with their data (deadlines, copies, "
        "certificate years, contacts, number and date) and listed; the others keep the old data and "
        "are marked `review: <reason>`, with the closest new sentence in the report. Sentences no "
        "entry quotes are listed with their clause. Exit 0 when written, 1 if the old notice does "
        "not load, 2 for bad input.",
    )
    draft.add_argument("notice_text", metavar="NEW_NOTICE.txt", help="the new notice's text (UTF-8)")
    draft.add_argument(
        "--from",
        dest="old",
        required=True,
        metavar="OLD",
        help="the old notice: a bundled id (2021-xinjiang-nonferrous) or a knowledge .yaml file",
    )
    draft.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="NEW.yaml",
        help="where to write the draft (its notice.text_file points at NEW_NOTICE.txt)",
    )
    draft.add_argument("--id", help="the new notice's id (default: the old id with the new year)")
    draft.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: the report to work through (default); json: for programs",
    )
    draft.add_argument("--force", action="store_true", help="replace NEW.yaml if it exists")
    draft.set_defaults(handler=_knowledge_draft)
    diff = ksub.add_parser(
        "diff",
        help="what changed between two notices, in the applicants' terms",
        description="Deadlines, who may apply, questions, checklist items by stage (with copies and years), the "
        "defence, notes, attachments and contacts; each change once. With --db, the stored "
        "applicants under OLD each change concerns, by verdict and level, and the broadcast filters "
        "that reach them. A draft with review marks may be compared.",
    )
    diff.add_argument("old", metavar="OLD", help="a bundled notice id or a knowledge .yaml file")
    diff.add_argument("new", metavar="NEW", help="a bundled notice id or a knowledge .yaml file")
    diff.add_argument("--db", metavar="PATH", help="the bot's SQLite database, read-only")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(handler=_knowledge_diff)
    schema = ksub.add_parser("case-schema", help="print the JSON Schema of case files for a notice")
    schema.add_argument("file", nargs="?", metavar="FILE", help="notice file (default: the bundled notice)")
    schema.set_defaults(handler=_case_schema)

    case = sub.add_parser(
        "case",
        help="print the outcome for a case file (YAML or JSON answers)",
        description="Prints the verdict, checklist and deadlines for an applicant's answers. "
        "Exit 0, or 2 with one line naming the field for any bad input.",
    )
    case.add_argument(
        "file",
        metavar="FILE",
        help="case file, YAML or JSON, at most 64 KiB; - reads standard input. "
        'Quote yes/no answers in YAML (sanction: "no")',
    )
    case.add_argument(
        "--format",
        choices=("text", "json", "html"),
        default="text",
        help="text: as in the chat (default); json: for programs; html: a page to open or print",
    )
    case.add_argument(
        "--locale",
        choices=LOCALES,
        default=DEFAULT_LOCALE,
        help=f"language of the interface (default {DEFAULT_LOCALE}); the notice's content stays Chinese",
    )
    case.add_argument(
        "--notice",
        metavar="NOTICE_FILE",
        help="use this notice file (a knowledge YAML) instead of the case's or the bundled one",
    )
    case.add_argument(
        "--now",
        type=_moment,
        metavar="TIME",
        help=NOW_HELP + "; the season (open, closing, closed) is stated as of that day",
    )
    case.set_defaults(handler=_case)

    understand = sub.add_parser(
        "understand",
        help="read a typed description: the interview answers it states, with their words",
        description="Prints the interview answers a description states explicitly (question id -> option id, as in "
        "the case-file schema) with the words each rests on. Only explicit words count: the level "
        "applied for is not the title held, 去年/今年 are read against the notice's year, negations "
        "are respected. Exit 0 (an empty result for text that states nothing), 2 for unreadable input.",
    )
    understand.add_argument("text", metavar="TEXT", help="the description; - reads standard input (at most 64 KiB)")
    understand.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: the confirmation message, as in the chat (default); json: "
        '{"answers": {...}, "evidence": {...}, "notice": id}',
    )
    understand.add_argument(
        "--locale",
        choices=LOCALES,
        default=DEFAULT_LOCALE,
        help=f"language of the interface (default {DEFAULT_LOCALE})",
    )
    understand.add_argument("--notice", metavar="NOTICE_FILE", help="use this notice file instead of the bundled one")
    understand.add_argument(
        "--answers",
        metavar="CASE_FILE",
        help="answers given before (a case file): contradictions are listed, never overwritten",
    )
    understand.add_argument("--now", type=_moment, metavar="TIME", help=NOW_HELP)
    understand.set_defaults(handler=_understand)
    upload = sub.add_parser(
        "check-upload",
        help="check a scan or the work summary against the notice (format, orientation, "
        "legibility, item and year; 字数)",
        description="Checks one file as the bot checks an upload: the format the platform takes (*.jpg), upright, "
        "legible, which checklist item it is and its year; for .docx, .txt or a text PDF, the work "
        "summary's 字数. Exit 0 when checked, 2 with one line when the file cannot be.",
    )
    upload.add_argument(
        "file",
        metavar="FILE",
        help=f"an image, PDF, .docx or .txt, at most {MAX_UPLOAD_BYTES // 2**20} MB (Telegram's download limit)",
    )
    upload.add_argument(
        "--level",
        metavar="L",
        help="the level applied for (junior, intermediate, associate_senior, "
        "full_senior): an item not on its checklist is named so",
    )
    upload.add_argument("--case", metavar="CASE_FILE", help="an applicant's case file: match against their checklist")
    upload.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default) or json: {format, upright, rotation, legible, item, year, notes, …}",
    )
    upload.add_argument(
        "--out",
        metavar="PATH",
        help="write the converted upright .jpg here when one is needed (several pages: PATH-1.jpg, PATH-2.jpg …)",
    )
    upload.add_argument(
        "--locale", choices=LOCALES, default=DEFAULT_LOCALE, help=f"language of the verdicts (default {DEFAULT_LOCALE})"
    )
    upload.add_argument("--notice", metavar="NOTICE_FILE", help="use this notice file instead of the bundled one")
    upload.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT,
        metavar="SECONDS",
        help=f"stop recognition after this many seconds (default {DEFAULT_TIME_LIMIT:g})",
    )
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
