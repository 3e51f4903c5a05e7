"""Checking uploads in the chat: an applicant who has finished the interview sends a photo, an image
file, a PDF, a .docx or a .txt, and gets the verdicts of check_upload (each citing its clause), the
upright .jpg where one is needed, the checklist item recognised with its year, a ✅ to tick it off and
the years still missing.

The step itself only decides whether the file is checked (the interview finished, a checklist, a kind
of file that is read, not above Telegram's 20 MB) and hands the adapter a ProcessFile: the download
happens after the update's transaction, the check in the adapter's worker pool (bot.chat.work), with
its time limit. What the work needs (the outcome, the years confirmed so far, the ticks) is read in
the update's transaction and travels with it; the work touches no storage. ✅ is a button press of
its own (Confirm: the item and the year, nothing of the file). Nothing of a file is stored or logged:
for a dated item the year confirmed is kept (table upload_years), and a tick once every year is there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from bot.chat.actions import Action, Button, EditOrigin, Fetched, Keyboard, ProcessFile, Send, SendDocument, Toast
from bot.chat.buttons import CallbackData
from bot.chat.events import Attachment, ButtonPressed
from bot.chat.registry import N_, Registry
from bot.chat.texts import gettext, message
from bot.chat.turn import Turn
from bot.features.uploads import queries
from bot.features.uploads.check import check_upload, oversized
from conversations.outcome import Outcome
from conversations.uploads import (
    DEFAULT_TIME_LIMIT,
    MAX_UPLOAD_BYTES,
    UploadReport,
    missing_years,
    report_messages,
)
from knowledge.model import Item, Notice

# Seconds of work on one file (recognition stops then, the other verdicts remain); the worker pool
# gives up waiting a little later (the work goes on in its thread and is dropped).
TIME_LIMIT = DEFAULT_TIME_LIMIT
POOL_TIMEOUT = TIME_LIMIT + 10.0
# Extensions of the files the checks read; a name with another extension is refused before any
# download (a file without one is downloaded and told by its bytes).
CHECKED_EXTENSIONS = frozenset(
    {"jpg", "jpeg", "jpe", "png", "heic", "heif", "webp", "gif", "bmp", "tif", "tiff", "pdf", "docx", "txt"}
)
OLD_WORD_EXTENSIONS = frozenset({"doc", "wps"})  # told to save as .docx or PDF
CONFIRM_BUTTONS_PER_ROW = 3
CONVERTED_CAPTION = N_("Upright .jpg, ready to upload")
TICK_LABEL = N_("✅ Tick item %(number)s")
YEAR_LABEL = N_("✅ %(year)s")  # a year to choose when it could not be read
RECORD_LABEL = N_("✅ Record %(year)s")


@dataclass(frozen=True)
class Confirm(CallbackData, prefix="up.ok"):
    """✅ under the check of an upload: the item is ready (year 0: an item without years), or this year
    of a dated item is."""

    item: str
    year: int


def recognition_years(notice: Notice, item_id: str) -> tuple[int, ...]:
    item = _item(notice, item_id)
    return item.recognize.years if item is not None and item.recognize is not None else ()


def _item(notice: Notice, item_id: str) -> Item | None:
    return next((it for it in notice.items if it.id == item_id), None)


def _named(notice: Notice, item_id: str, document: str) -> str:
    """A dated document as the notice names it with its kind: 专业科目继续教育培训合格证书."""
    item = _item(notice, item_id)
    kind = item.recognize.kind if item is not None and item.recognize is not None else None
    return f"{kind}{document}" if kind and not document.startswith(kind) else document


def _by_name(filename: str) -> str | None:
    """The report's format for a file refused by its name alone (doc: old Word; unknown), else None."""
    extension = PurePosixPath(filename.lower()).suffix.lstrip(".")
    if not extension or extension in CHECKED_EXTENSIONS:
        return None
    return "doc" if extension in OLD_WORD_EXTENSIONS else "unknown"


def _converted_name(filename: str, index: int, count: int) -> str:
    stem = PurePosixPath(filename).stem or "scan"
    return f"{stem}.jpg" if count == 1 else f"{stem}-{index}.jpg"


@dataclass(frozen=True)
class UploadCheck:
    """The work of one upload, run in a worker thread: the check and the messages answering it.
    Holds what the update's transaction read (never the file: it comes as `Fetched`)."""

    notice: Notice
    outcome: Outcome
    locale: str
    filename: str
    seen: Mapping[str, frozenset[int]] = field(default_factory=dict)  # years confirmed per item
    ticks: frozenset[str] = frozenset()
    time_limit: float = TIME_LIMIT

    def __call__(self, fetched: Fetched) -> list[Action]:
        if fetched.problem == "too_large":
            return self.report(oversized(self.filename, fetched.size or 0))
        if fetched.problem is not None or fetched.content is None:
            return [
                Send(
                    message(
                        "upload_unavailable", self.locale, problem=fetched.problem or "unavailable", name=self.filename
                    )
                )
            ]
        report = check_upload(self.notice, self.outcome, self.filename, fetched.content, time_limit=self.time_limit)
        return self.report(report)

    def report(self, report: UploadReport) -> list[Action]:
        actions: list[Action] = [Send(text) for text in report_messages(self.notice, report, self.locale)]
        count = len(report.converted)
        for index, jpg in enumerate(report.converted, start=1):
            actions.append(
                SendDocument(_converted_name(self.filename, index, count), jpg, gettext(self.locale, CONVERTED_CAPTION))
            )
        prompt = self.prompt(report)
        if prompt is not None:
            actions.append(prompt)
        return actions

    def prompt(self, report: UploadReport) -> Send | None:
        """The item recognised, with ✅ where it may be ticked off (or its year recorded), and the years
        still missing; None when there is nothing to confirm."""
        m = report.match
        if report.refused or m is None or m.item is None or not m.on_checklist or m.exempt:
            return None
        numbers = {it.id: n for n, it in enumerate(self.outcome.checklist, start=1)}
        number = numbers.get(m.item)
        if number is None:
            return None
        if report.legible is False or (report.summary is not None and not report.summary.within):
            return None  # to be scanned again, or rewritten: the report says what to do
        seen = self.seen.get(m.item, frozenset())
        ticked = m.item in self.ticks
        context: dict[str, object] = {
            "number": number,
            "title": m.title,
            "ticked": ticked,
            "dated": m.dated,
            "year": m.year,
            "what": _named(self.notice, m.item, m.document),
        }
        buttons: list[Button] = []
        if not m.dated:
            if not ticked:
                buttons.append(Confirm(m.item, 0).button(gettext(self.locale, TICK_LABEL) % {"number": number}))
            context |= {"state": "undated"}
        elif m.year is None:
            choose = [y for y in m.years if y not in seen]
            buttons += [Confirm(m.item, y).button(gettext(self.locale, YEAR_LABEL) % {"year": y}) for y in choose]
            context |= {"state": "choose" if choose else "all_seen", "missing": missing_years(m, seen)}
        elif m.year_ok:
            after = missing_years(m, seen | {m.year})
            complete = not after
            if not (ticked and complete and m.year in seen):
                label = (
                    gettext(self.locale, TICK_LABEL) % {"number": number}
                    if complete
                    else gettext(self.locale, RECORD_LABEL) % {"year": m.year}
                )
                buttons.append(Confirm(m.item, m.year).button(label))
            context |= {
                "state": "year",
                "missing": after,
                "complete": complete,
                "recorded": m.year in seen,
                "single": len(m.years) == 1,
            }
        else:
            context |= {"state": "wrong_year", "missing": missing_years(m, seen)}
        rows: Keyboard = tuple(
            tuple(buttons[k : k + CONFIRM_BUTTONS_PER_ROW]) for k in range(0, len(buttons), CONFIRM_BUTTONS_PER_ROW)
        )
        return Send(message("upload_prompt", self.locale, **context), rows or None)


def on_file(event: Attachment, turn: Turn) -> None:
    """A photo or document from someone who is not in a wizard and not HR with a case file."""
    if event.file_ref is None:  # an edited caption, a photo without a size to fetch
        turn.reprompt("other")
        return
    if not turn.finished():
        if not turn.in_interview() and turn.roles:  # HR or a contact person: pointed to their own commands
            turn.reprompt("other")
            return
        turn.say("upload_not_now", reason="interview" if turn.in_interview() else "start")
        if turn.in_interview():
            turn.ask()
        return
    outcome = turn.outcome()
    if not outcome.checklist:
        turn.say("upload_not_now", reason="no_checklist")
        return
    unnamed = turn._("photo") + ".jpg" if event.kind == "photo" else turn._("file")
    name = PurePosixPath((event.file_name or "").replace("\\", "/")).name or unnamed
    refused_as = _by_name(name)
    if refused_as is not None:
        report = UploadReport(filename=name, size=event.file_size or 0, format=refused_as, refused="unsupported")
        turn.actions.extend(Send(text) for text in report_messages(turn.notice, report, turn.locale))
        return
    if event.file_size is not None and event.file_size > MAX_UPLOAD_BYTES:  # never downloaded
        turn.actions.extend(
            Send(text) for text in report_messages(turn.notice, oversized(name, event.file_size), turn.locale)
        )
        return
    check = UploadCheck(
        turn.notice,
        outcome,
        turn.locale,
        name,
        queries.seen_years(turn.database, turn.state.user_id),
        frozenset(turn.state.ticks),
    )
    turn.say("upload_received", name=name)
    turn.actions.append(
        ProcessFile(
            event.file_ref, event.file_size, MAX_UPLOAD_BYTES, check, timeout=POOL_TIMEOUT, content=event.content
        )
    )


def on_confirm(event: ButtonPressed[Confirm], turn: Turn) -> None:
    """✅: record the year (a dated item) and tick the item off once every year asked for is there."""
    item_id, year = event.button.item, event.button.year
    if not turn.finished():
        return turn.stale_button()
    outcome = turn.outcome()
    numbers = {it.id: n for n, it in enumerate(outcome.checklist, start=1)}
    entry = next((it for it in outcome.checklist if it.id == item_id), None)
    years = recognition_years(turn.notice, item_id)
    if entry is None or (year not in years if years else year != 0):
        return turn.stale_button()
    recorded = False
    seen: set[int] = set()
    if years:
        recorded = queries.record_year(turn.database, turn.state.user_id, item_id, year)
        seen = set(queries.seen_years(turn.database, turn.state.user_id).get(item_id, frozenset()))
    missing = tuple(y for y in years if y not in seen)
    ticks = turn.state.ticks
    newly_ticked = not missing and item_id not in ticks
    if newly_ticked:
        ticks.add(item_id)
    done = sum(1 for it in outcome.checklist if it.id in ticks)
    if newly_ticked:
        toast = turn._("%(done)s of %(total)s ready") % {"done": done, "total": len(outcome.checklist)}
    else:
        toast = (
            turn._("Year %(year)s recorded") % {"year": year}
            if recorded
            else turn._("Recorded earlier: nothing more to do")
        )
    turn.actions.append(Toast(toast))
    document = (
        _item(turn.notice, item_id).recognize.documents[0].name  # type: ignore[union-attr]
        if years
        else ""
    )
    text = message(
        "upload_recorded",
        turn.locale,
        number=numbers[item_id],
        title=entry.title,
        year=year,
        ticked=item_id in ticks,
        done=done,
        total=len(outcome.checklist),
        missing=missing,
        what=_named(turn.notice, item_id, document),
    )
    turn.actions.append(EditOrigin(text))
    return None


def register(registry: Registry) -> None:
    # HR and contact persons keep /case's route for documents (it has a role, so it is tried first).
    registry.on_file({"photo", "document"}, on_file)
    registry.on_button(Confirm, on_confirm)
