"""check_upload: one file in, an UploadReport out. A plain synchronous function for a worker thread
(the chat) or the command line. Nothing is written to disk and nothing read from the file is kept
or logged: the report holds verdicts, measures and the converted upright .jpg pages only."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from PIL import Image

from bot.features.uploads import legibility, pages
from bot.features.uploads.ocr import OcrTimeout, TesseractEngine, find_engine
from bot.features.uploads.sniff import detect_format
from conversations.outcome import Outcome
from conversations.uploads import (
    DEFAULT_TIME_LIMIT,
    IMAGE_FORMATS,
    MAX_UPLOAD_BYTES,
    TEXT_FORMATS,
    Legibility,
    Match,
    Scope,
    UploadReport,
    check_summary,
    count_characters,
    counted_item,
    match_item,
    recognize,
    scope_of,
)
from knowledge.model import Notice

logger = logging.getLogger(__name__)

MIN_SECONDS_FOR_OSD = 1.0
# A text with this many Chinese characters is a document to count (the work summary), whatever it mentions.
SUMMARY_MIN_HAN = 1000
# A PDF whose text layer has this many Chinese characters is read from that layer, not by OCR.
TEXT_LAYER_MIN_HAN = 20

Answers = Outcome | Mapping[str, str] | None
_FIND = object()  # check_upload(engine=…) default: Tesseract if installed


@dataclass
class _Budget:
    limit: float
    clock: Callable[[], float] = time.monotonic
    start: float = field(init=False)

    def __post_init__(self) -> None:
        self.start = self.clock()

    def left(self) -> float:
        return self.limit - (self.clock() - self.start)

    def elapsed(self) -> float:
        return self.clock() - self.start


def oversized(filename: str, size: int) -> UploadReport:
    """The report for a file above Telegram's download limit, without reading it."""
    return UploadReport(filename=filename, size=size, format="unknown", refused="too_large")


def check_upload(
    notice: Notice,
    outcome_or_answers: Answers,
    filename: str,
    content: bytes,
    *,
    engine: TesseractEngine | object | None = _FIND,
    time_limit: float = DEFAULT_TIME_LIMIT,
    clock: Callable[[], float] = time.monotonic,
) -> UploadReport:
    """Every check of one uploaded file against the notice: format, orientation, legibility, which
    checklist item it is and its year; for a text, the work summary's 字数. `outcome_or_answers`: the
    applicant's outcome, answers (complete or partial), or None. `engine`: Tesseract (default: found
    on this machine), or None for no recognition."""
    budget = _Budget(time_limit, clock)
    ocr = find_engine() if engine is _FIND else engine
    assert ocr is None or isinstance(ocr, TesseractEngine)
    size = len(content)
    if size > MAX_UPLOAD_BYTES:
        return oversized(filename, size)
    if size == 0:
        return UploadReport(filename=filename, size=0, format="unknown", refused="empty")
    fmt = detect_format(filename, content)
    report = UploadReport(filename=filename, size=size, format=fmt)
    if fmt not in IMAGE_FORMATS | TEXT_FORMATS | {"pdf"} or (fmt == "heic" and not pages.HEIC):
        return replace(report, refused="unsupported")
    scope = scope_of(notice, outcome_or_answers)
    titles = {it.id: it.title for it in outcome_or_answers.checklist} if isinstance(outcome_or_answers, Outcome) else {}
    try:
        if fmt in TEXT_FORMATS:
            text = pages.docx_text(content) if fmt == "docx" else pages.plain_text(content, filename)
            report = _check_text(notice, report, text, scope, titles)
        else:
            report = _check_scan(notice, report, content, scope, titles, ocr, budget)
    except pages.Refused as refusal:
        report = replace(report, refused=refusal.reason)
    except Exception as exc:  # a damaged file must not crash the chat; nothing of it is logged
        logger.warning("upload check failed on a %s file: %s", fmt, type(exc).__name__)
        report = replace(report, refused="unreadable")
    return replace(report, elapsed=budget.elapsed())


def _summary_or_match(notice: Notice, text: str, scope: Scope, titles: Mapping[str, str]) -> tuple[Match | None, bool]:
    """What a text is, and whether it is counted as the work summary: when it is recognised as the
    counted item, or nothing else, or long (a summary mentions 继续教育 and 考核 too)."""
    match = recognize(notice, text, scope, titles)
    counted = counted_item(notice)
    if counted is None:
        return match, False
    if match is None or match.item == counted.id or count_characters(text).han >= SUMMARY_MIN_HAN:
        return match_item(notice, counted.id, scope, titles), True
    return match, False


def _check_text(
    notice: Notice, report: UploadReport, text: str, scope: Scope, titles: Mapping[str, str]
) -> UploadReport:
    match, counted = _summary_or_match(notice, text, scope, titles)
    return replace(
        report, pages=1, recognition="text", match=match, summary=check_summary(notice, text) if counted else None
    )


def _check_scan(
    notice: Notice,
    report: UploadReport,
    content: bytes,
    scope: Scope,
    titles: Mapping[str, str],
    ocr: TesseractEngine | None,
    budget: _Budget,
) -> UploadReport:
    found = pages.open_pdf(content) if report.format == "pdf" else pages.open_image(content)
    report = replace(report, pages=found.count, pages_checked=len(found.images), exif_turned=found.exif_turned)
    match: Match | None = None
    recognition = "off" if ocr is None else "on"
    if count_characters(found.text).han >= TEXT_LAYER_MIN_HAN:  # a PDF made from a document, not a scan
        match, counted = _summary_or_match(notice, found.text, scope, titles)
        if counted:
            return replace(report, recognition="text", match=match, summary=check_summary(notice, found.text))
        recognition = "text"

    rotations: list[int | None] = []
    worst: Legibility | None = None
    for index, image in enumerate(found.images):
        measured = legibility.measure(image)
        if worst is None or (worst.legible and not measured.legible):
            worst = measured
        rotation: int | None = None
        if ocr is not None and budget.left() > MIN_SECONDS_FOR_OSD:
            turn = ocr.orientation(image)
            if index == 0 and recognition == "on":
                try:
                    turn, match = _read(notice, ocr, image, turn, measured.legible, scope, titles, budget)
                except OcrTimeout:
                    recognition = "timeout"
            # An illegible page's orientation is not believed (Tesseract guesses on blurred text).
            rotation = turn if measured.legible else None
        elif ocr is not None and index == 0 and recognition == "on":
            recognition = "timeout"
        rotations.append(rotation)

    known = [r for r in rotations if r is not None]
    upright = False if any(known) else (True if rotations and len(known) == len(rotations) else None)
    first = rotations[0] if rotations else None
    rules = notice.uploads
    format_ok = rules is None or report.format in rules.formats
    accepted = False if not format_ok or found.exif_turned or upright is False else (True if upright else None)
    converted: tuple[bytes, ...] = ()
    if not format_ok or found.exif_turned or upright is False:
        converted = tuple(
            pages.to_jpeg(pages.turned(image, r or 0)) for image, r in zip(found.images, rotations, strict=True)
        )
    return replace(
        report,
        accepted=accepted,
        upright=upright,
        rotation=first,
        legibility=worst,
        recognition=recognition,
        match=match,
        converted=converted,
    )


def _read(
    notice: Notice,
    ocr: TesseractEngine,
    image: Image.Image,
    rotation: int | None,
    legible: bool,
    scope: Scope,
    titles: Mapping[str, str],
    budget: _Budget,
) -> tuple[int | None, Match | None]:
    """The page read the way up Tesseract found. When a legible page's reading matches no item, it is
    read upside down too (the one mistake orientation detection makes on sparse pages): the reading
    that matches an item, else the one Tesseract is surer of, wins. The text is dropped once matched."""
    turns = [rotation or 0]
    if legible and rotation is not None:
        turns.append((rotation + 180) % 360)
    best: tuple[bool, float, int, Match | None] | None = None
    for turn in turns:
        reading = ocr.read(pages.turned(image, turn), budget.left())
        match = recognize(notice, reading.text, scope, titles)
        candidate = (match is not None, reading.confidence, turn, match)
        del reading
        if best is None or candidate[:2] > best[:2]:
            best = candidate
        if match is not None:
            break
    assert best is not None
    return (best[2] if rotation is not None else None), best[3]
