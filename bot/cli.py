"""Command-line entry points: `zhicheng-bot [run|console|knowledge check|case]`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.settings import SettingsError
from conversations.casefile import CaseFileError, case_schema, read_case_file, validate_case
from conversations.i18n import DEFAULT_LOCALE, LOCALES
from conversations.outcome import evaluate
from conversations.render import outcome_html, outcome_text
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
        return load_notice(override)
    notice_id = data.get("notice") if isinstance(data, dict) else None
    if notice_id is None:
        return load_notice(notice_path())
    if not isinstance(notice_id, str) or not notice_path(notice_id).exists():
        raise CaseFileError("notice", f"unknown notice {notice_id!r}; known: "
                            + ", ".join(p.stem for p in notice_files()))
    return load_notice(notice_path(notice_id))


def _case(args: argparse.Namespace) -> int:
    try:
        data = read_case_file(args.file)
        notice = _notice_for_case(data, args.notice)
        case = validate_case(data, notice)
    except CaseFileError as exc:
        print(f"invalid case file {args.file}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KnowledgeError as exc:
        print(f"invalid knowledge file: {exc}", file=sys.stderr)
        return 1
    outcome = evaluate(notice, case.answers)
    if args.format == "json":
        print(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2))
    elif args.format == "html":
        print(outcome_html(notice, outcome, args.locale))
    else:
        print(outcome_text(notice, outcome, args.locale))
    return 0


def _run(args: argparse.Namespace) -> int:
    from bot.app import run_polling_or_webhook  # imported here: the offline commands need no PTB

    return run_polling_or_webhook(args)


def _console(args: argparse.Namespace) -> int:
    from bot.console import run_console

    return run_console(args)


def _start(args: argparse.Namespace) -> int:
    from bot.settings import Settings

    settings = Settings.load(args.config)
    return _run(args) if settings.token else _console(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhicheng-bot", description="职称申报助手 zhicheng-bot")
    parser.add_argument("--config", help="settings file (KEY=VALUE lines); environment variables win")
    parser.set_defaults(handler=_start, webhook=None)
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run the Telegram bot (long polling, or --webhook URL)")
    run.add_argument("--webhook", metavar="URL", help="public HTTPS URL Telegram posts updates to")
    run.set_defaults(handler=_run)

    console = sub.add_parser("console", help="the same conversation in this terminal, on the same storage")
    console.add_argument("--user", type=int, default=1, help="local user id to chat as (default 1)")
    console.set_defaults(handler=_console)

    knowledge = sub.add_parser("knowledge", help="knowledge files")
    ksub = knowledge.add_subparsers(dest="knowledge_command", required=True)
    check = ksub.add_parser("check", help="validate notice files (default: all bundled ones)")
    check.add_argument("files", nargs="*", metavar="FILE")
    check.set_defaults(handler=_knowledge_check)
    schema = ksub.add_parser("case-schema", help="print the JSON Schema of case files for a notice")
    schema.add_argument("file", nargs="?", metavar="FILE", help="notice file (default: the bundled notice)")
    schema.set_defaults(handler=_case_schema)

    case = sub.add_parser("case", help="print the outcome for a case file (YAML or JSON answers)")
    case.add_argument("file", metavar="FILE")
    case.add_argument("--format", choices=("text", "json", "html"), default="text")
    case.add_argument("--locale", choices=LOCALES, default=DEFAULT_LOCALE)
    case.add_argument("--notice", metavar="NOTICE_FILE", help="use this notice file instead of the case's")
    case.set_defaults(handler=_case)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SettingsError as exc:
        print(f"invalid settings: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # the output was piped into `head` or similar
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
