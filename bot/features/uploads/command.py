"""`zhicheng-bot check-upload FILE` (its arguments: bot.cli): the upload checks for scripts and unit HR.

Exit 0 when the file was checked (whatever the verdicts), 2 when it could not be: a missing or
unreadable path or a bad argument (one line on stderr), or a file the checks refuse (too large,
empty, unsupported, damaged: the report says which)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.features.uploads.check import check_upload, oversized
from conversations.casefile import CaseFileError, read_case_file, validate_case
from conversations.outcome import Outcome, evaluate
from conversations.uploads import MAX_UPLOAD_BYTES, UploadReport, report_json, report_text
from knowledge import KnowledgeError, Notice, load_notice, notice_path

EXIT_INVALID = 2


class _Usage(Exception):
    pass


def _applicant(args: argparse.Namespace, notice: Notice) -> Outcome | dict[str, str] | None:
    answers: dict[str, str] = {}
    if args.case:
        try:
            answers = dict(validate_case(read_case_file(args.case), notice).answers)
        except CaseFileError as exc:
            raise _Usage(f"invalid case file {args.case}: {exc}") from exc
    if args.level:
        if notice.level(args.level) is None:
            raise _Usage(
                f"--level: {args.level!r} is not a level of {notice.id}; levels: "
                + ", ".join(lv.id for lv in notice.levels)
            )
        if not args.case:
            return {"level": args.level}
        answers["level"] = args.level
    if args.case:
        try:
            return evaluate(notice, answers)
        except ValueError as exc:  # a --level that leaves questions of the case open
            raise _Usage(f"--level {args.level} with {args.case}: {exc}") from exc
    return None


def _write(report: UploadReport, out: str) -> list[str]:
    if not report.converted:
        return []
    target = Path(out)
    if len(report.converted) == 1:
        paths = [target]
    else:
        stem = target.with_suffix("") if target.suffix.lower() in (".jpg", ".jpeg") else target
        paths = [stem.with_name(f"{stem.name}-{i}.jpg") for i in range(1, len(report.converted) + 1)]
    for path, data in zip(paths, report.converted, strict=True):
        path.write_bytes(data)
    return [str(p) for p in paths]


def run(args: argparse.Namespace) -> int:
    try:
        notice = load_notice(args.notice or notice_path())
        applicant = _applicant(args, notice)
        path = Path(args.file)
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise _Usage(f"cannot read {args.file}: not a file")
            content = b"" if size > MAX_UPLOAD_BYTES else path.read_bytes()
        except OSError as exc:
            raise _Usage(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    except KnowledgeError as exc:
        print(f"invalid knowledge file: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except _Usage as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    if size > MAX_UPLOAD_BYTES:
        report = oversized(path.name, size)
    else:
        report = check_upload(notice, applicant, path.name, content, time_limit=args.time_limit)
    try:
        written = _write(report, args.out) if args.out else []
    except OSError as exc:
        print(f"cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    if args.format == "json":
        data = report_json(notice, report, args.locale)
        data["written"] = written
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(report_text(notice, report, args.locale))
        for name in written:
            print(f"written: {name}")
        if report.converted and not args.out:
            print("(--out PATH writes the converted .jpg)")
    return EXIT_INVALID if report.refused else 0
