"""Checks of an applicant's uploads against the notice (issue 21): format (四（二）: *.jpg), orientation
(正向), legibility (不清晰), which checklist item a scan is and its year (五（一）8, 9 …), and the work
summary's 字数 (五（一）10).

    check_upload(notice, outcome_or_answers, filename, content) -> UploadReport

is a plain synchronous function: the chat runs it in a worker thread (bot.features.uploads.chat, through
the adapter's worker pool), the command line directly (`zhicheng-bot check-upload`).
conversations.uploads renders the report (report_messages for the chat, report_text and report_json for
the command line). Images, PDF pages and text stay in memory; nothing read from a file is stored or
logged."""

from bot.chat.registry import Registry
from bot.features.uploads import chat
from bot.features.uploads.check import check_upload, oversized
from bot.features.uploads.ocr import TesseractEngine, find_engine
from conversations.uploads import DEFAULT_TIME_LIMIT, MAX_UPLOAD_BYTES, UploadReport

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "MAX_UPLOAD_BYTES",
    "TesseractEngine",
    "UploadReport",
    "check_upload",
    "find_engine",
    "oversized",
    "register",
]


def register(registry: Registry) -> None:
    chat.register(registry)
