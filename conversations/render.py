"""jinja2 rendering of the outcome: as chat messages (Telegram HTML, split below the message
limit at item boundaries), as plain text, and as a standalone HTML checklist."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, TypeVar

import jinja2
from markupsafe import Markup

from conversations.annexes import AnnexFill, blank_forms, filled_forms, needed_attachments
from conversations.i18n import format_day, format_weekday, normalize_locale, translations
from conversations.outcome import ChecklistItem, Outcome
from conversations.reader import READ_LIMIT
from conversations.season import SeasonState, deadline_status, season_of, working_day_dates
from conversations.unit_duties import UnitDuties
from knowledge.model import Notice

TELEGRAM_LIMIT = 4096
# Rendered outcomes kept, per kind: applicants with the same answers (and the same day, ticks and
# locale) read the same messages, so a burst of them renders each once.
RENDERED_KEPT = 1024
DOCUMENTS_KEPT = 256  # the checklist page is about 12 KiB
# Templates mark the places where a long message may be split with this separator.
SPLIT = "\x1e"
T = TypeVar("T")
_TAG = re.compile(r"</?(b|i|u|s|code|pre|a)(\s[^>]*)?>")
_DATE = re.compile(r"(?:\d{4}|××××)年(?:\d{1,2}|××)月(?:\d{1,2}|××)日|[A-Z][a-z]+ \d{1,2}, \d{4}")
_GAP = re.compile(r"[ \u3000]{3,}")  # two spaces only spread a label (单  位), three or more are a blank
_CROSSES = re.compile(r"×+")  # the notice's ××× blanks
_DATE_LINE = re.compile(r"^年[ \u3000]+月[ \u3000]+日$")  # 年 月 日 to fill: the year is written before 年


def _wrap_dates(escaped: str) -> str:
    return _DATE.sub(lambda m: f'<span class="date">{m.group(0)}</span>', escaped)


def html_dates(text: str) -> Markup:
    """HTML: every date in the text kept on one line (2021年10月20日 never breaks inside)."""
    return Markup(_wrap_dates(str(Markup.escape(text))))


def _blank(width: float) -> str:
    return f'<span class="blank" style="min-width:{width:g}em"></span>'


def html_blanks(text: str) -> Markup:
    """HTML: the blanks of a form as lines to fill in: the notice's ××× (about as wide as what goes
    there: a name, an 18-character ID number, a year), runs of three spaces or more, a label ending in
    a colon, and the year before a bare 年 月 日. Dates stay on one line."""
    escaped = _wrap_dates(str(Markup.escape(text)))
    filled = _CROSSES.sub(lambda m: _blank(max(2.5, len(m.group(0)) * 1.25)), escaped)
    filled = _GAP.sub(lambda m: _blank(max(len(m.group(0)), 3)), filled)
    if _DATE_LINE.match(text.strip()):
        filled = _blank(3) + filled.strip()
    if filled.rstrip().endswith("："):
        filled = filled.rstrip() + '<span class="blank fill"></span>'
    return Markup(filled)


@cache
def _format_day(day: dt.date, locale: str) -> str:
    return format_day(day, locale)


def headline(outcome: Outcome, locale: str, season: SeasonState | None = None) -> str:
    """The verdict in a few words. Once the season no longer accepts applications (`season`, where the
    outcome has a checklist), a verdict that would invite the applicant to apply says the eligibility
    and the closure together, never "you may apply" alone."""
    _ = translations(locale).gettext
    verdict, bar = outcome.verdict, outcome.bar
    closed = season is not None and not season.accepting and outcome.has_checklist
    if closed:
        assert season is not None and season.submission.last_day is not None
        closure = {"season": season.name, "day": _format_day(season.submission.last_day, locale)}
        if verdict == "eligible":
            return _("You meet the conditions to apply, but %(season)s online applications closed on %(day)s") % closure
        if verdict == "conditional":
            return _("A condition is still to be met, and %(season)s online applications closed on %(day)s") % closure
        if verdict == "other_route":
            return (
                _("Another route may apply; %(season)s online applications under this notice closed on %(day)s")
                % closure
            )
    if verdict == "eligible":
        return _("You may apply")
    if verdict == "ineligible":
        return {
            "level": _("You may not apply for the chosen level"),
            "year": _("You may not apply this year"),
            "period": _("You may not apply at present"),
        }.get(bar or "", _("You may not apply"))
    if verdict == "conditional":
        return _("You may apply once a condition is met")
    if verdict == "other_route" and outcome.has_checklist:
        if outcome.pending_condition:
            return _("Another route may apply; you may also apply under this notice once a condition is met")
        return _("Another route may apply; you may also apply under this notice")
    if verdict == "other_route":
        return _("Another route applies to you")
    return _("This notice does not cover your case")


def make_environment(loader: jinja2.BaseLoader, locale: str) -> jinja2.Environment:
    """An environment for one locale: gettext installed, HTML autoescaped for .tg and .html."""
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "tg"), default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(SPLIT=SPLIT, locale=normalize_locale(locale))
    env.globals["headline"] = lambda outcome, season=None: headline(outcome, locale, season)
    env.filters["day"] = lambda d: format_day(d, locale) if d else ""
    env.filters["weekday"] = lambda d: format_weekday(d, locale) if d else ""
    env.filters["dates"] = html_dates
    env.filters["blanks"] = html_blanks
    env.filters["tel_link"] = lambda phone: Markup('<a href="tel:{}">{}</a>').format(phone.replace("－", "-"), phone)
    return env


@cache
def _environment(locale: str) -> jinja2.Environment:
    return make_environment(jinja2.PackageLoader("conversations", "templates"), normalize_locale(locale))


def render(template: str, locale: str, **context: Any) -> str:
    return _environment(normalize_locale(locale)).get_template(template).render(**context)


def to_plain(message: str) -> str:
    """Telegram HTML to terminal text: tags dropped, entities unescaped."""
    return html.unescape(_TAG.sub("", message))


def pack(blocks: Iterable[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join blocks into messages of at most `limit` characters, splitting only between blocks.
    A single block longer than the limit is cut at line boundaries."""
    return [text for text, _ in pack_tagged(((b, None) for b in blocks), limit)]


def pack_tagged(blocks: Iterable[tuple[str, T | None]], limit: int = TELEGRAM_LIMIT) -> list[tuple[str, list[T]]]:
    """Like pack, and says which blocks' tags (None aside) ended up in each message."""
    messages: list[tuple[str, list[T]]] = []
    current: str = ""
    tags: list[T] = []
    for block, tag in blocks:
        block = block.strip("\n")
        if not block:
            continue
        for piece in _cut(block, limit):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) > limit:
                messages.append((current, tags))
                candidate, tags = piece, []
            current = candidate
            if tag is not None and tag not in tags:
                tags.append(tag)
    if current:
        messages.append((current, tags))
    return messages


def _cut(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        while len(line) > limit:  # a pathological single line: hard cut
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return pieces


def numbered(checklist: Collection[ChecklistItem]) -> list[tuple[int, ChecklistItem]]:
    """Checklist items with their 1-based numbers, the numbers shown on the tick buttons."""
    return list(enumerate(checklist, start=1))


def _context(notice: Notice, outcome: Outcome, ticked: Collection[str], today: dt.date | None = None) -> dict[str, Any]:
    done = sum(1 for it in outcome.checklist if it.id in ticked)
    season = season_of(notice, today) if today is not None and outcome.has_checklist else None
    # From the latest start of a working-day period on (and while applications are accepted), say
    # what it means: the last day to start it, or that one not yet begun can no longer end in time.
    late = (
        [w for w in working_day_dates(notice, outcome, today) if w.state != "upcoming"]
        if today is not None and season is not None and season.accepting
        else []
    )
    return {
        "season": season,
        "late_dates": late,
        "notice": notice,
        "outcome": outcome,
        "ticked": set(ticked),
        "done": done,
        "total": len(outcome.checklist),
        "items": numbered(outcome.checklist),
        "stages": [s for s in notice.stages if any(it.stage == s.id for it in outcome.checklist)],
        "stage_deadlines": {
            s.id: next((d for d in notice.deadlines if d.id == s.deadline), None) for s in notice.stages
        },
    }


def outcome_messages(
    notice: Notice,
    outcome: Outcome,
    locale: str,
    ticked: Collection[str] = (),
    limit: int = TELEGRAM_LIMIT,
    today: dt.date | None = None,
) -> list[str]:
    """The whole outcome as Telegram HTML messages, each at most `limit` characters. With `today`,
    the verdict is followed by where the season stands."""
    text = render("outcome.tg", locale, **_context(notice, outcome, ticked, today))
    return pack(text.split(SPLIT), limit)


def head_messages(
    notice: Notice, outcome: Outcome, locale: str, today: dt.date | None = None, *, lead: str = ""
) -> list[str]:
    """The verdict (and, with `today`, the season), its reasons and the notes. `lead`, if given, is
    the first block of the first message (the line that says all questions are answered)."""
    return list(_head_messages(notice, outcome, normalize_locale(locale), today, lead))


@lru_cache(maxsize=RENDERED_KEPT)
def _head_messages(notice: Notice, outcome: Outcome, locale: str, today: dt.date | None, lead: str) -> tuple[str, ...]:
    blocks = render("outcome_head.tg", locale, **_context(notice, outcome, (), today)).split(SPLIT)
    return tuple(pack([lead, *blocks] if lead else blocks))


def tail_messages(notice: Notice, outcome: Outcome, locale: str) -> list[str]:
    """The deadlines and the contacts."""
    return list(_tail_messages(notice, outcome, normalize_locale(locale)))


@lru_cache(maxsize=RENDERED_KEPT)
def _tail_messages(notice: Notice, outcome: Outcome, locale: str) -> tuple[str, ...]:
    return tuple(pack(render("outcome_tail.tg", locale, **_context(notice, outcome, ())).split(SPLIT)))


def checklist_messages(
    notice: Notice, outcome: Outcome, locale: str, ticked: Collection[str], limit: int = TELEGRAM_LIMIT
) -> list[tuple[str, list[str]]]:
    """The checklist as messages, each with the ids of the items it shows (for its tick buttons).
    The template yields a heading block, one block per item in order, then the exemptions."""
    chunks = _checklist_messages(notice, outcome, normalize_locale(locale), frozenset(ticked), limit)
    return [(text, list(ids)) for text, ids in chunks]


@lru_cache(maxsize=RENDERED_KEPT)
def _checklist_messages(
    notice: Notice, outcome: Outcome, locale: str, ticked: frozenset[str], limit: int
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    blocks = render("checklist.tg", locale, **_context(notice, outcome, ticked)).split(SPLIT)
    ids = [it.id for it in outcome.checklist]
    tagged: list[tuple[str, str | None]] = [(blocks[0], None)] + [
        (block, ids[i] if i < len(ids) else None) for i, block in enumerate(blocks[1:])
    ]
    return tuple((text, tuple(tags)) for text, tags in pack_tagged(tagged, limit))


def outcome_text(
    notice: Notice, outcome: Outcome, locale: str, ticked: Collection[str] = (), today: dt.date | None = None
) -> str:
    """The outcome as plain text (command line, console chat)."""
    messages = outcome_messages(notice, outcome, locale, ticked, limit=10**9, today=today)
    return "\n\n".join(to_plain(m) for m in messages)


def outcome_html(
    notice: Notice,
    outcome: Outcome,
    locale: str,
    ticked: Collection[str] = (),
    generated: str | None = None,
    today: dt.date | None = None,
) -> str:
    """A standalone HTML checklist to open on a phone or print on A4, with the notice's attachments
    the checklist asks for, blank, as the notice prints them. The page is rendered once per
    outcome, locale, ticks and day; the moment it was generated is filled in for each copy."""
    page = _outcome_html(notice, outcome, normalize_locale(locale), frozenset(ticked), generated is not None, today)
    return page.replace(GENERATED_MARK, html.escape(generated)) if generated is not None else page


GENERATED_MARK = "\x1fgenerated\x1f"  # where the moment goes: a character no template or notice text holds


@lru_cache(maxsize=DOCUMENTS_KEPT)
def _outcome_html(
    notice: Notice, outcome: Outcome, locale: str, ticked: frozenset[str], stamped: bool, today: dt.date | None
) -> str:
    generated = Markup(GENERATED_MARK) if stamped else None
    context = checklist_page_context(notice, outcome, ticked, today)
    return render("checklist.html", locale, generated=generated, **context)


def checklist_page_context(
    notice: Notice, outcome: Outcome, ticked: Collection[str], today: dt.date | None
) -> dict[str, Any]:
    """What checklist.html is rendered from: the outcome's context and the blank forms it asks for."""
    forms = blank_forms(notice, needed_attachments(notice, outcome))
    return {"forms": forms, **_context(notice, outcome, ticked, today)}


def season_text(notice: Notice, today: dt.date, locale: str) -> str:
    """Where the notice's season stands today, in one sentence (empty for a notice without a season)."""
    season = season_of(notice, today)
    if season is None:
        return ""
    return str(_environment(normalize_locale(locale)).get_template("season.tg").module.line(season))  # type: ignore[attr-defined]


def deadlines_message(notice: Notice, outcome: Outcome | None, today: dt.date, locale: str) -> str:
    """/deadlines: the season, each deadline with weekday and countdown, the applicant's working-day
    dates (with an outcome) and the contacts."""
    deadlines = outcome.deadlines if outcome is not None else notice.deadlines
    return render(
        "deadlines_view.tg",
        locale,
        notice=notice,
        season=season_of(notice, today),
        statuses=[deadline_status(d, today) for d in deadlines],
        dates=working_day_dates(notice, outcome, today) if outcome is not None else [],
        personal=outcome is not None,
    ).strip()


REMINDER_ITEMS_SHOWN = 30


def reminder_message(
    notice: Notice, outcome: Outcome, deadline_id: str, today: dt.date, ticked: Collection[str], locale: str
) -> str:
    """A reminder of one deadline: its countdown and the applicant's items not yet ticked."""
    entry = next(d for d in outcome.deadlines if d.id == deadline_id)
    open_items = [it.title for it in outcome.checklist if it.id not in ticked]
    return render(
        "reminder.tg",
        locale,
        notice=notice,
        deadline=deadline_status(entry, today),
        open_items=open_items,
        total=len(outcome.checklist),
        limit=REMINDER_ITEMS_SHOWN,
    ).strip()


def qa_messages(notice: Notice, answer: Any, locale: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """A typed question's answer (conversations.qa.Answer) as Telegram HTML, each message at most
    `limit` characters (one message unless the knowledge text is unusually long)."""
    return pack([render("qa_answer.tg", locale, notice=notice, a=answer)], limit)


def qa_text(notice: Notice, answer: Any, locale: str) -> str:
    """The answer as plain text (console chat)."""
    return "\n\n".join(to_plain(m) for m in qa_messages(notice, answer, locale, limit=10**9))


def annexes_html(notice: Notice, fill: AnnexFill, locale: str) -> str:
    """The attachments filled in (conversations.annexes) as a page to open on a phone or print on A4."""
    return render("annexes.html", locale, notice=notice, forms=filled_forms(notice, fill))


def duties_messages(notice: Notice, duties: UnitDuties, locale: str, subject: str) -> list[str]:
    """The unit's duties (conversations.unit_duties) as Telegram HTML messages within the message
    limit; `subject` names whose they are."""
    return pack(render("unit_duties.tg", locale, notice=notice, duties=duties, subject=subject).split(SPLIT))


@dataclass(frozen=True)
class _Contradicted:
    question: str
    stored: str
    found: str
    words: str


def understanding_message(notice: Notice, understanding: Any, locale: str) -> str:
    """What a typed description was understood to say (conversations.understand.Understanding), as
    Telegram HTML to confirm: 我理解为：身份 在职专业技术人员；拟申报 副高级（高级工程师）…, then each
    contradiction with an earlier answer as a question. Question names and option labels are the
    knowledge file's."""

    def label(question_id: str, option_id: str) -> tuple[str, str]:
        q = notice.question(question_id)
        option = q.option(option_id) if q else None
        return (q.name if q else question_id), (option.label if option else option_id)

    items = [" ".join(label(q, o)) for q, o in understanding.answers.items()]
    contradicted = []
    for c in understanding.contradictions:
        name, stored = label(c.question, c.stored)
        contradicted.append(_Contradicted(name, stored, label(c.question, c.found)[1], c.words))
    return render(
        "understanding.tg", locale, u=understanding, items=items, contradictions=contradicted, limit=READ_LIMIT
    ).strip()


def understanding_text(notice: Notice, understanding: Any, locale: str) -> str:
    """The same as plain text (command line, console)."""
    return to_plain(understanding_message(notice, understanding, locale))
