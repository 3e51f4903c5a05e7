"""What an upload is, as far as the notice is concerned: pure logic and the report, no image library.

- `recognize`: which checklist item a text read from a scan (or a document's text) belongs to, with
  the kind (专业科目/公需科目) and the year it names, from the items' `recognize` blocks;
- `count_characters` and `check_summary`: 字数 as interpretation summary_character_count reads it;
- `UploadReport`: every verdict about one file, which bot.features.uploads fills in and the
  renderers here turn into chat messages, plain text and JSON.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conversations.interview import interview_for
from conversations.outcome import Outcome
from conversations.render import SPLIT, TELEGRAM_LIMIT, pack, render, to_plain
from knowledge.model import Item, Notice, RecognizedDocument

# Telegram's Bot API lets a bot download files of at most 20 MB; larger ones are refused at once.
MAX_UPLOAD_BYTES = 20 * 2**20
# Seconds of work on one file; recognition stops when they run out (the other checks still report).
DEFAULT_TIME_LIMIT = 20.0
# Pixels of one image or rendered page (a 24-megapixel phone photo passes; a decompression bomb does not).
MAX_PIXELS = 60_000_000
# A document counts as recognised when the words found on it weigh at least this much (characters
# of matched words): one word of four characters, or two of two.
MIN_SCORE = 4
_SPACE = re.compile(r"\s+")
_YEAR_OF = re.compile(r"((?:19|20)\d\d)年度")
_YEAR_FIELD = re.compile(r"年度[:：]?((?:19|20)\d\d)")
_YEAR = re.compile(r"((?:19|20)\d\d)年")


# --- which items an applicant may upload ---


@dataclass(frozen=True)
class Scope:
    """The items an upload is matched against: those that may be on the applicant's checklist
    (all when nothing is known of the applicant) and those the answers exempt."""

    possible: frozenset[str]
    exempt: frozenset[str] = frozenset()
    personal: bool = False  # derived from the applicant's outcome or answers


def scope_of(notice: Notice, outcome_or_answers: Outcome | Mapping[str, str] | None) -> Scope:
    """From an outcome: its checklist. From answers (complete or not, e.g. only {"level": …}): the
    items whose condition is not ruled out and that are not exempted. From None: every item."""
    if outcome_or_answers is None:
        return Scope(frozenset(it.id for it in notice.items))
    if isinstance(outcome_or_answers, Outcome):
        outcome = outcome_or_answers
        return Scope(frozenset(it.id for it in outcome.checklist), frozenset(e.id for e in outcome.exemptions), True)
    answers = outcome_or_answers
    compile_ = interview_for(notice).predicates.compile
    possible: set[str] = set()
    exempt: set[str] = set()
    for it in notice.items:
        if compile_(it.when)(answers) is False:
            continue
        if it.exempt_when is not None and compile_(it.exempt_when)(answers) is True:
            exempt.add(it.id)
        else:
            possible.add(it.id)
    return Scope(frozenset(possible), frozenset(exempt), bool(answers))


# --- recognition ---


def normalize(text: str) -> str:
    """Full-width letters and digits as ASCII (NFKC), all whitespace removed (OCR puts spaces between
    Chinese characters)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def _within_one_edit(a: str, b: str) -> bool:
    """a and b differ by at most one character changed, added or left out."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


def _found(word: str, text: str) -> bool:
    """The word is in the text, or (four characters or more) with one character misread, added or
    dropped (OCR: 专业科时 for 专业科目, 公和需科目 for 公需科目). One edit leaves the first two or the last
    two characters whole: those anchor the places to compare."""
    if word in text:
        return True
    n = len(word)
    if n < 4:
        return False
    starts: set[int] = set()
    at = text.find(word[:2])
    while at != -1:
        starts.add(at)
        at = text.find(word[:2], at + 1)
    at = text.find(word[-2:])
    while at != -1:
        end = at + 2
        starts.update(s for s in (end - n + 1, end - n, end - n - 1) if s >= 0)
        at = text.find(word[-2:], at + 1)
    return any(_within_one_edit(word, text[s : s + m]) for s in starts for m in (n - 1, n, n + 1) if s + m <= len(text))


def read_year(text: str) -> int | None:
    """The year a document is for: one written with 年度 (2020年度, 考核年度：2019), else the year
    most often followed by 年 (the earliest on a tie: a certificate is issued after its training)."""
    for pattern in (_YEAR_OF, _YEAR_FIELD, _YEAR):
        years = [int(y) for y in pattern.findall(text)]
        if years:
            counts = Counter(years)
            top = max(counts.values())
            return min(y for y, c in counts.items() if c == top)
    return None


@dataclass(frozen=True)
class Match:
    """What an upload was recognised as. `item` is None when the document is clear but not which of
    its items (a 继续教育 certificate without 专业科目 or 公需科目)."""

    document: str
    item: str | None
    title: str  # the item's title (the applicant's own wording with an outcome)
    ref: str
    sensitive: bool = False
    kind: str | None = None  # the kind read from it (专业科目)
    kinds: tuple[str, ...] = ()  # the kinds its items tell apart, when it could not be read
    year: int | None = None  # the year read from it (dated items)
    years: tuple[int, ...] = ()  # the years the item asks for
    on_checklist: bool | None = None  # None: nothing known of the applicant
    exempt: bool = False

    @property
    def dated(self) -> bool:
        return bool(self.years)

    @property
    def year_ok(self) -> bool | None:
        """True or False for a dated item whose year was read; None otherwise."""
        if not self.years or self.year is None:
            return None
        return self.year in self.years


@dataclass(frozen=True)
class _Candidate:
    item: Item
    document: RecognizedDocument
    score: int
    kind_read: bool  # its kind is written on the scan


def _candidates(notice: Notice, text: str) -> list[_Candidate]:
    found: list[_Candidate] = []
    kinds_of: dict[str, set[str]] = {}
    for it in notice.items:
        if it.recognize is not None and it.recognize.kind:
            for doc in it.recognize.documents:
                kinds_of.setdefault(doc.name, set()).add(normalize(it.recognize.kind))
    for it in notice.items:
        rec = it.recognize
        if rec is None:
            continue
        kind = normalize(rec.kind) if rec.kind else None
        for doc in rec.documents:
            score = sum(len(w) for w in doc.words if _found(normalize(w), text))
            if score < MIN_SCORE:
                continue
            others = kinds_of.get(doc.name, set()) - {kind}
            kind_read = kind is not None and _found(kind, text)
            if kind is not None and not kind_read and any(_found(o, text) for o in others):
                continue  # the scan names another kind of this document (公需科目 on a 专业科目 item)
            found.append(_Candidate(it, doc, score, kind_read))
    return found


def recognize(
    notice: Notice, text: str, scope: Scope | None = None, titles: Mapping[str, str] | None = None
) -> Match | None:
    """The item a text read from an upload belongs to, or None. Among the items of the best-scoring
    document: the one whose kind is written on it, then one the applicant may upload, then the
    notice's order. Sensitive documents (an ID card) are only named: nothing on them is read."""
    text = normalize(text)
    found = _candidates(notice, text)
    if not found:
        return None
    scope = scope or Scope(frozenset(it.id for it in notice.items))
    best = max(c.score for c in found)
    # Every item of the best document: the best score per document name decides.
    document = next(c.document for c in found if c.score == best)
    same = [c for c in found if c.document.name == document.name]
    kinded = [c for c in same if c.item.recognize is not None and c.item.recognize.kind]
    if kinded and not any(c.kind_read for c in same):
        # The kind decides the item but none is written on it; the applicant's scope may still settle it.
        mine = [c for c in same if c.item.id in scope.possible]
        if not (scope.personal and len(mine) == 1):
            kinds = tuple(c.item.recognize.kind for c in kinded if c.item.recognize and c.item.recognize.kind)
            return Match(
                document=document.name,
                item=None,
                title=document.name,
                ref=kinded[0].item.ref,
                sensitive=document.sensitive,
                kinds=kinds,
            )
        same = mine

    def rank(c: _Candidate) -> tuple[bool, bool, int]:
        return (not c.kind_read, c.item.id not in scope.possible, notice.items.index(c.item))

    chosen = min(same, key=rank)
    it, rec = chosen.item, chosen.item.recognize
    assert rec is not None
    titles = titles or {}
    return Match(
        document=chosen.document.name,
        item=it.id,
        title=titles.get(it.id, it.title),
        ref=it.ref,
        sensitive=chosen.document.sensitive,
        kind=rec.kind if chosen.kind_read else None,
        year=read_year(text) if rec.years and not chosen.document.sensitive else None,
        years=rec.years,
        on_checklist=(it.id in scope.possible) if scope.personal else None,
        exempt=it.id in scope.exempt,
    )


def match_item(
    notice: Notice, item_id: str, scope: Scope | None = None, titles: Mapping[str, str] | None = None
) -> Match | None:
    """The match for an item known without reading (the work summary of a counted text)."""
    it = next((x for x in notice.items if x.id == item_id), None)
    if it is None or it.recognize is None:
        return None
    scope = scope or Scope(frozenset(x.id for x in notice.items))
    return Match(
        document=it.recognize.documents[0].name,
        item=it.id,
        title=(titles or {}).get(it.id, it.title),
        ref=it.ref,
        years=it.recognize.years,
        on_checklist=(it.id in scope.possible) if scope.personal else None,
        exempt=it.id in scope.exempt,
    )


def missing_years(match: Match, seen: Iterable[int]) -> tuple[int, ...]:
    """The years a dated item still lacks, given the years already recognised for it
    (还缺2019年度考核表)."""
    have = set(seen)
    return tuple(y for y in match.years if y not in have)


# --- 字数 of the work summary (interpretation summary_character_count) ---

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_RUN = re.compile(r"[A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+(?:[.,:/%_+\-'][A-Za-z0-9\uff10-\uff5a]+)*%?")


@dataclass(frozen=True)
class CharacterCount:
    """字数 as interpretation summary_character_count reads it: each Chinese character and each
    Chinese (full-width) punctuation mark 1, each run of letters or digits 1, each other half-width
    sign 1, whitespace 0. `han` counts the Chinese characters alone."""

    total: int
    han: int
    punctuation: int
    runs: int  # runs of letters or digits (2021, ISO9001)
    signs: int  # other half-width signs standing alone

    @classmethod
    def of(cls, text: str) -> CharacterCount:
        han = len(_HAN.findall(text))
        rest = _HAN.sub(" ", text)
        runs = len(_RUN.findall(rest))
        rest = _RUN.sub(" ", rest)
        punctuation = signs = 0
        for char in rest:
            if char.isspace() or unicodedata.category(char).startswith(("C", "Z")):
                continue
            if ord(char) < 0x80:
                signs += 1
            else:
                punctuation += 1  # full-width and other Chinese punctuation, symbols
        return cls(total=han + punctuation + runs + signs, han=han, punctuation=punctuation, runs=runs, signs=signs)


def count_characters(text: str) -> CharacterCount:
    return CharacterCount.of(text)


@dataclass(frozen=True)
class SummaryCheck:
    """A text's 字数 against the bounds of the counted item (五（一）10: 2000-3000字)."""

    item: str
    title: str
    ref: str
    low: int
    high: int
    count: CharacterCount
    interpretation: str | None = None

    @property
    def verdict(self) -> str:
        """under, within or over, by the interpretation's count."""
        return _side(self.count.total, self.low, self.high)

    @property
    def han_verdict(self) -> str:
        """The same by the Chinese characters alone (the strictest reading)."""
        return _side(self.count.han, self.low, self.high)

    @property
    def within(self) -> bool:
        return self.verdict == "within"


def _side(count: int, low: int, high: int) -> str:
    return "under" if count < low else "over" if count > high else "within"


def counted_item(notice: Notice) -> Item | None:
    """The item whose text is counted (the work summary), if the notice has one."""
    return next((it for it in notice.items if it.recognize is not None and it.recognize.characters), None)


def check_summary(notice: Notice, text: str) -> SummaryCheck | None:
    item = counted_item(notice)
    if item is None or item.recognize is None or item.recognize.characters is None:
        return None
    low, high = item.recognize.characters
    return SummaryCheck(
        item=item.id,
        title=item.title,
        ref=item.ref,
        low=low,
        high=high,
        count=count_characters(text),
        interpretation=item.recognize.interpretation,
    )


# --- the report ---

FORMAT_NAMES = {
    "jpeg": "JPG",
    "png": "PNG",
    "heic": "HEIC",
    "webp": "WebP",
    "gif": "GIF",
    "bmp": "BMP",
    "tiff": "TIFF",
    "pdf": "PDF",
    "docx": "Word (.docx)",
    "txt": ".txt",
    "doc": "Word (.doc)",
    "unknown": "?",
}
IMAGE_FORMATS = frozenset({"jpeg", "png", "heic", "webp", "gif", "bmp", "tiff"})
TEXT_FORMATS = frozenset({"docx", "txt"})


@dataclass(frozen=True)
class Legibility:
    """Whether a page is sharp and large enough to read, with what was measured.
    problems: low_resolution, blurred, low_contrast."""

    legible: bool
    problems: tuple[str, ...]
    width: int
    height: int
    sharpness: float
    contrast: float


@dataclass(frozen=True)
class UploadReport:
    """Every verdict about one uploaded file. Holds no image and no text read from it: only the
    verdicts, what was measured, and the converted upright .jpg pages (returned, never stored)."""

    filename: str
    size: int
    format: str  # jpeg, png, heic, pdf, docx, txt … or unknown
    refused: str | None = None  # too_large, empty, unreadable, unsupported, too_many_pixels
    accepted: bool | None = None  # the platform takes it as it is (format and upright); None: not a scan
    pages: int = 0
    upright: bool | None = None  # None: could not be told
    rotation: int | None = None  # degrees clockwise that turn it upright
    exif_turned: bool = False  # stored turned, with an EXIF tag that some viewers ignore
    legibility: Legibility | None = None
    recognition: str = "not_needed"  # on, off (no Tesseract), timeout, text (a text layer), not_needed
    match: Match | None = None
    summary: SummaryCheck | None = None
    converted: tuple[bytes, ...] = field(default=(), repr=False)  # upright .jpg pages
    pages_checked: int = 0  # pages looked at (a long PDF: the first ones)
    elapsed: float = 0.0

    @property
    def legible(self) -> bool | None:
        return self.legibility.legible if self.legibility else None

    @property
    def item(self) -> str | None:
        return self.match.item if self.match else None

    @property
    def year(self) -> int | None:
        return self.match.year if self.match else None


def _env(notice: Notice, report: UploadReport) -> dict[str, Any]:
    rules = notice.uploads
    summary = report.summary
    reading = notice.interpretation(summary.interpretation) if summary and summary.interpretation else None
    return {
        "r": report,
        "rules": rules,
        "notice": notice,
        "reading": reading,
        "format_names": FORMAT_NAMES,
        "accepted_label": rules.label if rules else "",
        "text_formats": TEXT_FORMATS,
        "years_text": years_text,
        "max_mb": MAX_UPLOAD_BYTES // 2**20,
        "max_megapixels": MAX_PIXELS // 10**6,
    }


def years_text(years: Collection[int]) -> str:
    """2021; 2018-2020 for a run of three or more; 2016、2018 otherwise."""
    ordered = sorted(years)
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}-{ordered[-1]}"
    return "、".join(str(y) for y in ordered)


def report_blocks(notice: Notice, report: UploadReport, locale: str) -> list[str]:
    """The report as Telegram HTML blocks: a heading, then one block per verdict, each citing its clause."""
    text = render("upload_report.tg", locale, **_env(notice, report))
    return [b.strip("\n") for b in text.split(SPLIT) if b.strip()]


def report_messages(notice: Notice, report: UploadReport, locale: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The report as chat messages (Telegram HTML), each at most `limit` characters."""
    return pack(["\n".join(report_blocks(notice, report, locale))], limit)


def report_notes(notice: Notice, report: UploadReport, locale: str) -> list[str]:
    """The verdicts as plain sentences (the JSON's notes), one a line, without the heading."""
    return [line for b in report_blocks(notice, report, locale)[1:] for line in to_plain(b).split("\n") if line.strip()]


def report_text(notice: Notice, report: UploadReport, locale: str) -> str:
    return "\n".join(to_plain(b) for b in report_blocks(notice, report, locale))


def report_json(notice: Notice, report: UploadReport, locale: str) -> dict[str, Any]:
    """{format, upright, rotation, legible, item, year, notes} and the details scripts may want."""
    m, s = report.match, report.summary
    return {
        "file": report.filename,
        "format": report.format,
        "accepted": report.accepted,
        "upright": report.upright,
        "rotation": report.rotation,
        "legible": report.legible,
        "item": report.item,
        "year": report.year,
        "notes": report_notes(notice, report, locale),
        "refused": report.refused,
        "pages": report.pages,
        "recognition": report.recognition,
        "document": m.document if m else None,
        "kind": m.kind if m else None,
        "year_ok": m.year_ok if m else None,
        "legibility": None
        if report.legibility is None
        else {
            "problems": list(report.legibility.problems),
            "width": report.legibility.width,
            "height": report.legibility.height,
            "sharpness": round(report.legibility.sharpness, 3),
            "contrast": round(report.legibility.contrast, 1),
        },
        "characters": None
        if s is None
        else {
            "item": s.item,
            "count": s.count.total,
            "han": s.count.han,
            "low": s.low,
            "high": s.high,
            "verdict": s.verdict,
            "han_verdict": s.han_verdict,
            "interpretation": s.interpretation,
        },
        "converted": len(report.converted),
    }


def missing_years_text(notice: Notice, match: Match, seen: Collection[int], locale: str) -> str:
    """还缺2019年度专业技术人员业务考核登记表 (empty when none is missing)."""
    missing = missing_years(match, seen)
    if not missing:
        return ""
    return render("upload_missing_years.tg", locale, match=match, missing=missing).strip()
