"""/broadcast, the contact persons' wizard, and /broadcasts, the list of broadcasts.

The wizard: the message (formatted text, kept as Telegram HTML; or a forwarded message, a file,
a photo …, copied from the author's chat, never forwarded), the audience (toggle buttons of
bot.features.audiences, then 下一步), a preview with the exact recipient count and the message as
it will look, then 确认发送, 定时发送 (a time typed as 2021-10-15 10:00, Asia/Shanghai) or 取消.
Until it is confirmed the wizard writes nothing but its draft (users.awaiting_data); its buttons
carry the draft's token, so a button of an earlier wizard, or a second tap on 确认, does nothing.

Confirmed, a broadcast is a row of bot.broadcasts that the outbox sender queues and delivers;
its author gets a progress message (已发送 x / 失败 y / 待发 z) that the sender edits in place,
with 取消广播 while it runs, and a report at the end.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import secrets
import sqlite3
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from bot.chat import roles
from bot.chat.actions import Button, CopyMessage, EditOrigin, Keyboard, Send, Toast, WakeSender
from bot.chat.buttons import CallbackData
from bot.chat.drafts import Draft
from bot.chat.events import Attachment, ButtonPressed, Event, Text
from bot.chat.html import message_problem
from bot.chat.registry import N_, Registry
from bot.chat.texts import gettext, message
from bot.chat.turn import Turn
from bot.delivery import broadcasts
from bot.delivery.broadcasts import Broadcast, Tally
from bot.delivery.outbox import Message
from bot.features.broadcast.audiences import (
    FILTERS,
    Choices,
    audience_of,
    choices_of,
    describe,
    labels_of,
    toggled,
    valid,
)
from bot.store import population
from conversations.i18n import format_day
from conversations.render import to_plain

WIZARD = "broadcast"  # the awaited input's key
# What may be copied as a broadcast besides text (the Telegram adapter's attachment kinds).
COPYABLE = frozenset({"document", "photo", "video", "audio", "voice", "animation"})
BUTTONS_PER_ROW = 3
LISTED = 10  # broadcasts shown by /broadcasts
TEXT_START = 60  # characters of a broadcast's text shown by /broadcasts
AUDIENCE_SHOWN = 120  # characters of a broadcast's audience in words shown by /broadcasts (many units)
_MOMENT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?:\s*日\s*|\s*T\s*|\s+)"
    r"(\d{1,2})\s*[:：]\s*(\d{2})"
)
STATUS_NAMES = {
    "scheduled": N_("scheduled"),
    "queued": N_("sending"),
    "done": N_("finished"),
    "cancelled": N_("cancelled"),
}


# --- the draft and the buttons ------------------------------------------------------------------


@dataclass
class BroadcastDraft(Draft):
    """The wizard's draft. Its buttons carry its token, so a button of an earlier wizard, or a
    second tap on 确认, finds no draft of that token and does nothing."""

    token: str
    step: str  # message, audience, preview, time
    message: dict[str, Any] | None = None  # {"html": text} or {"copy": [chat id, message id]}
    audience: dict[str, list[str]] = field(default_factory=dict)  # filter key -> values (audiences.Choices)
    count: int = 0  # the preview's exact count


@dataclass(frozen=True)
class Filter(CallbackData, prefix="bc.filter"):
    token: str
    key: str
    value: str


@dataclass(frozen=True)
class AllApplicants(CallbackData, prefix="bc.all"):
    token: str


@dataclass(frozen=True)
class ToPreview(CallbackData, prefix="bc.next"):
    token: str


@dataclass(frozen=True)
class BackToAudience(CallbackData, prefix="bc.back"):
    token: str


@dataclass(frozen=True)
class SendNow(CallbackData, prefix="bc.confirm"):
    token: str


@dataclass(frozen=True)
class SendLater(CallbackData, prefix="bc.later"):
    token: str


@dataclass(frozen=True)
class Quit(CallbackData, prefix="bc.quit"):
    token: str


@dataclass(frozen=True)
class CancelBroadcast(CallbackData, prefix="bc.cancel"):
    """取消广播, under the progress message ("p") or in /broadcasts' list ("l")."""

    broadcast: int
    where: str


def _draft(turn: Turn, token: str | None = None, step: str | None = None) -> BroadcastDraft | None:
    """The wizard's draft, if the wizard is open (and at `step`, with `token`, when given)."""
    draft = turn.draft(WIZARD, BroadcastDraft)
    if draft is None or (token is not None and draft.token != token) or (step is not None and draft.step != step):
        return None
    return draft


def _save(turn: Turn, draft: BroadcastDraft, **changes: Any) -> None:
    turn.keep_draft(WIZARD, replace(draft, **changes))  # a contact person not yet interviewed is stored too


def _messages(draft: BroadcastDraft) -> list[Message]:
    content = draft.message or {}
    if "copy" in content:
        return [CopyMessage(*content["copy"])]
    return [Send(content.get("html", ""))]


def _expired(turn: Turn) -> None:
    turn.actions.append(Toast(turn._("This button has expired")))


def _quit_row(turn: Turn, token: str) -> tuple[Button, ...]:
    return (Quit(token).button(turn._("Cancel")),)


def _when(moment: dt.datetime, locale: str, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{format_day(local.date(), locale)} {local:%H:%M}"


# --- step 1: the message ----------------------------------------------------------------------


def on_broadcast(event: Event, turn: Turn) -> None:
    token = secrets.token_hex(3)
    turn.keep_draft(WIZARD, BroadcastDraft(token=token, step="message"))
    turn.say("broadcast_ask_message", (_quit_row(turn, token),))


def on_wizard_input(event: Text | Attachment, turn: Turn) -> None:
    """What the contact person types or sends while the wizard is open."""
    draft = _draft(turn)
    if draft is None:
        turn.state.await_input(None)
        turn.reprompt("text" if isinstance(event, Text) else "other")
        return
    step = draft.step
    if step == "message":
        _message_received(event, turn, draft)
    elif step == "time" and isinstance(event, Text):
        _time_received(event, turn, draft)
    elif step == "time":
        turn.say("broadcast_ask_time", (_quit_row(turn, draft.token),), example=_example(turn))
    else:  # choosing the audience or looking at the preview: the buttons lead on
        turn.actions.append(
            Send(turn._("Please continue with the buttons above, or tap Cancel."), (_quit_row(turn, draft.token),))
        )


def _message_received(event: Text | Attachment, turn: Turn, draft: BroadcastDraft) -> None:
    content: dict[str, Any]
    if isinstance(event, Text) and not event.forwarded:
        text = (event.html or html.escape(event.text)).strip()
        problem = message_problem(text)
        if problem:
            turn.say("broadcast_bad_message", (_quit_row(turn, draft.token),), problem=problem)
            return
        content = {"html": text}
    elif event.message_id is not None and (isinstance(event, Text) or event.kind in COPYABLE):
        content = {"copy": [event.chat_id, event.message_id]}
    else:
        turn.say("broadcast_bad_message", (_quit_row(turn, draft.token),), problem=None)
        return
    _save(turn, draft, message=content, step="audience", audience={})
    turn.actions.append(Send(*_audience_message(turn, draft.token, {})))


# --- step 2: the audience ---------------------------------------------------------------------


def _audience_message(turn: Turn, token: str, choices: Choices) -> tuple[str, Keyboard]:
    """The recipients' step: ☑ 全部申报人, then one group of toggle buttons per filter that has values
    (each group starts a new row), 下一步 and 取消; the text names the groups in the same order and
    says how they combine, so that it describes exactly the buttons shown."""
    rows: list[tuple[Button, ...]] = [
        (AllApplicants(token).button(("☑ " if not choices else "☐ ") + turn._("All applicants")),)
    ]
    groups = []
    for entry in FILTERS:
        options = entry.options(turn)
        if not options:
            continue  # no unit created yet: no group of units
        chosen = choices.get(entry.key, ())
        buttons = [
            Filter(token, entry.key, value).button(("☑ " if value in chosen else "☐ ") + label)
            for value, label in options
        ]
        rows += [tuple(buttons[i : i + BUTTONS_PER_ROW]) for i in range(0, len(buttons), BUTTONS_PER_ROW)]
        groups.append({"title": turn._(entry.title), "exclusive": entry.exclusive})
    rows.append((ToPreview(token).button(turn._("Next ▶")), Quit(token).button(turn._("Cancel"))))
    text = message("broadcast_audience", turn.locale, groups=groups, audience=describe(turn, choices))
    return text, tuple(rows)


def on_filter_toggled(event: ButtonPressed[Filter], turn: Turn) -> None:
    token, key, value = event.button.token, event.button.key, event.button.value
    draft = _draft(turn, token, "audience")
    if draft is None or not valid(turn, key, value):
        return _expired(turn)
    choices = toggled(draft.audience, key, value)
    _save(turn, draft, audience=choices)
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(*_audience_message(turn, token, choices)))
    return None


def on_all_chosen(event: ButtonPressed[AllApplicants], turn: Turn) -> None:
    token = event.button.token
    draft = _draft(turn, token, "audience")
    if draft is None:
        return _expired(turn)
    _save(turn, draft, audience={})
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(*_audience_message(turn, token, {})))
    return None


def _recipients(turn: Turn, choices: Choices) -> int:
    """The audience's size now: one aggregate query over the applicant summaries."""
    return population.count(turn.database, audience_of(choices), turn.env.contact_ids)


# --- step 3: the preview ----------------------------------------------------------------------


def on_audience_chosen(event: ButtonPressed[ToPreview], turn: Turn) -> None:
    token = event.button.token
    draft = _draft(turn, token, "audience")
    if draft is None:
        return _expired(turn)
    choices = draft.audience
    count = _recipients(turn, choices)
    if count == 0:
        turn.actions.append(Toast(turn._("No applicant matches this choice. Please change it."), alert=True))
        return None
    _save(turn, draft, step="preview", count=count)
    turn.actions.append(Toast(""))
    turn.actions.append(
        EditOrigin(message("broadcast_preview", turn.locale, count=count, audience=describe(turn, choices)))
    )
    turn.actions.extend(_messages(draft))  # exactly as the recipients will see it
    keyboard = (
        (SendNow(token).button(turn._("✅ Send now")), SendLater(token).button(turn._("🕒 Send later"))),
        (BackToAudience(token).button(turn._("◀ Change recipients")), Quit(token).button(turn._("Cancel"))),
    )
    turn.actions.append(Send(turn._("Send this message to %(count)s applicants?") % {"count": count}, keyboard))
    return None


def on_back_to_audience(event: ButtonPressed[BackToAudience], turn: Turn) -> None:
    token = event.button.token
    draft = _draft(turn, token, "preview")
    if draft is None:
        return _expired(turn)
    choices = draft.audience
    _save(turn, draft, step="audience")
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(*_audience_message(turn, token, choices)))
    return None


# --- step 4: send now, at a set time, or not at all ------------------------------------------


def _create(turn: Turn, draft: BroadcastDraft, at: dt.datetime) -> None:
    """Store the broadcast (audited), close the wizard, and send its author the progress message."""
    now = turn.clock()
    choices = draft.audience
    count = draft.count  # the preview's exact count; counted again when it is queued
    broadcast_id = broadcasts.create(
        turn.database,
        author_id=turn.state.user_id,
        author_chat=turn.state.chat_id,
        audience=audience_of(choices),
        messages=_messages(draft),
        at=at,
        now=now,
        recipients=count,
    )
    turn.state.await_input(None)
    broadcast = broadcasts.get(turn.database, broadcast_id)
    assert broadcast is not None
    text, keyboard = progress_view(turn.locale, turn.notice.info.timezone, broadcast, Tally(waiting=count), count)
    turn.actions.append(Send(text, keyboard, on_sent=partial(_progress_message_sent, broadcast_id)))
    turn.actions.append(WakeSender())


def _progress_message_sent(broadcast_id: int, db: sqlite3.Connection, message_id: int) -> None:
    broadcasts.set_progress_message(db, broadcast_id, message_id)


def on_send_now(event: ButtonPressed[SendNow], turn: Turn) -> None:
    token = event.button.token
    draft = _draft(turn, token, "preview")
    if draft is None:  # a second tap on 确认 finds the wizard closed: one broadcast only
        return _expired(turn)
    turn.actions.append(Toast(turn._("Confirmed")))
    turn.actions.append(EditOrigin(turn._("Confirmed: the broadcast is being sent.")))
    _create(turn, draft, turn.clock())
    return None


def _example(turn: Turn) -> str:
    tomorrow = turn.clock().astimezone(ZoneInfo(turn.notice.info.timezone)) + dt.timedelta(days=1)
    return f"{tomorrow:%Y-%m-%d} 10:00"


def on_send_later(event: ButtonPressed[SendLater], turn: Turn) -> None:
    token = event.button.token
    draft = _draft(turn, token, "preview")
    if draft is None:
        return _expired(turn)
    _save(turn, draft, step="time")
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(turn._("Send later: when?")))
    turn.say("broadcast_ask_time", (_quit_row(turn, token),), example=_example(turn))
    return None


def parse_time(text: str, timezone: str) -> dt.datetime | None:
    """2021-10-15 10:00 (or 2021/10/15 10:00, 2021年10月15日 10:00) in `timezone`; None if it is no such time."""
    match = _MOMENT.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(timezone))
    except ValueError:
        return None


def _time_received(event: Text, turn: Turn, draft: BroadcastDraft) -> None:
    timezone = turn.notice.info.timezone
    at = parse_time(event.text, timezone)
    now = turn.clock()
    if at is None or at <= now:
        turn.say(
            "broadcast_bad_time",
            (_quit_row(turn, draft.token),),
            past=at is not None,
            now=_when(now, turn.locale, timezone),
            example=_example(turn),
        )
        return
    turn.actions.append(Send(turn._("Scheduled for %(when)s.") % {"when": _when(at, turn.locale, timezone)}))
    _create(turn, draft, at)


def on_wizard_quit(event: ButtonPressed[Quit], turn: Turn) -> None:
    token = event.button.token
    if _draft(turn, token) is None:
        return _expired(turn)
    turn.state.await_input(None)
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(turn._("Cancelled. Nothing was sent.")))
    return None


# --- progress, the report, the list, cancelling ----------------------------------------------


def progress_view(
    locale: str, timezone: str, broadcast: Broadcast, tally: Tally, recipients: int | None = None
) -> tuple[str, Keyboard | None]:
    """The author's progress message (edited in place by the sender) and its 取消广播 button."""
    count = broadcast.recipients if broadcast.recipients is not None else recipients
    later = broadcast.created_at is not None and broadcast.scheduled_at > broadcast.created_at
    text = message(
        "broadcast_progress",
        locale,
        b=broadcast,
        t=tally,
        count=count,
        later=later,
        when=_when(broadcast.scheduled_at, locale, timezone),
    )
    if broadcast.status not in broadcasts.OPEN:
        return text, None
    return text, ((CancelBroadcast(broadcast.id, "p").button(gettext(locale, N_("Cancel the broadcast"))),),)


def report_text(locale: str, broadcast: Broadcast, tally: Tally) -> str:
    """The report sent to the author when a broadcast has been delivered. Recipients who deleted
    their data meanwhile (their rows went with it) are named apart, so that the figures add up."""
    gone = max((broadcast.recipients or 0) - tally.total, 0)
    return message("broadcast_report", locale, b=broadcast, t=tally, gone=gone)


def text_start(locale: str, messages: list[Message], limit: int = TEXT_START) -> str:
    """The start of a broadcast's message as plain text (escaped where it is shown), or what a copy is."""
    first = messages[0] if messages else Send("")
    if isinstance(first, CopyMessage):
        return gettext(locale, N_("(a copy of a message: a file, a photo or a forwarded message)"))
    return _shortened(" ".join(to_plain(first.text).split()), limit)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Listed:
    """A broadcast as /broadcasts shows it."""

    b: Broadcast
    t: Tally
    counted: int | None  # a scheduled broadcast's recipients, counted now from the summaries
    audience: str  # in the wizard's words
    start: str  # the start of the message, plain text


def _listing(turn: Turn) -> tuple[str, Keyboard | None]:
    """The latest broadcasts: state, time, figures (or, for one still scheduled, its recipients as
    counted now), audience in the wizard's words and the start of the message."""
    db = turn.database
    labels = labels_of(turn)
    shown = [
        Listed(
            b,
            broadcasts.tally(db, b.id),
            population.count(db, b.audience, turn.env.contact_ids) if b.status == "scheduled" else None,
            _shortened(describe(turn, choices_of(b.audience), labels), AUDIENCE_SHOWN),
            text_start(turn.locale, b.messages),
        )
        for b in broadcasts.listing(db, LISTED)
    ]
    timezone = turn.notice.info.timezone
    text = message(
        "broadcast_list",
        turn.locale,
        shown=shown,
        status=STATUS_NAMES,
        when=lambda moment: _when(moment, turn.locale, timezone),
    )
    rows = tuple(
        (CancelBroadcast(s.b.id, "l").button(turn._("Cancel #%(id)s") % {"id": s.b.id}),)
        for s in shown
        if s.b.status in broadcasts.OPEN
    )
    return text, rows or None


def on_broadcasts(event: Event, turn: Turn) -> None:
    turn.actions.append(Send(*_listing(turn)))


def on_cancel_pressed(event: ButtonPressed[CancelBroadcast], turn: Turn) -> None:
    """取消广播: under the progress message ("p") or in the list ("l")."""
    broadcast_id, where = event.button.broadcast, event.button.where
    if where not in ("p", "l"):
        return _expired(turn)
    db = turn.database
    withdrawn = broadcasts.cancel(db, broadcast_id, turn.state.user_id, turn.clock())
    broadcast = broadcasts.get(db, broadcast_id)
    if withdrawn is None or broadcast is None:
        turn.actions.append(Toast(turn._("This broadcast has already ended."), alert=True))
    else:
        turn.actions.append(Toast(turn._("Broadcast #%(id)s cancelled") % {"id": broadcast_id}))
    if broadcast is None:
        return None
    if where == "p" and broadcast.progress_message is not None:
        text, keyboard = progress_view(
            turn.locale, turn.notice.info.timezone, broadcast, broadcasts.tally(db, broadcast.id)
        )
        turn.actions.append(EditOrigin(text, keyboard))
        if broadcast.status not in broadcasts.OPEN:
            broadcasts.set_progress_final(db, broadcast.id)
    else:
        turn.actions.append(EditOrigin(*_listing(turn)))
        turn.actions.append(WakeSender())  # the sender shows the end in the progress message
    return None


def register(registry: Registry) -> None:
    contact = roles.CONTACT
    registry.command(
        "broadcast",
        N_("Send a message to applicants"),
        N_("send a message to applicants (choose the recipients, preview, send now or later)"),
        on_broadcast,
        rank=100,
        role=contact,
    )
    registry.command(
        "broadcasts",
        N_("Broadcasts and their progress"),
        N_("the latest broadcasts, their progress, and cancelling one"),
        on_broadcasts,
        rank=105,
        role=contact,
    )
    registry.on_awaited(WIZARD, on_wizard_input, role=contact)
    registry.on_button(Filter, on_filter_toggled, role=contact)
    registry.on_button(AllApplicants, on_all_chosen, role=contact)
    registry.on_button(ToPreview, on_audience_chosen, role=contact)
    registry.on_button(BackToAudience, on_back_to_audience, role=contact)
    registry.on_button(SendNow, on_send_now, role=contact)
    registry.on_button(SendLater, on_send_later, role=contact)
    registry.on_button(Quit, on_wizard_quit, role=contact)
    registry.on_button(CancelBroadcast, on_cancel_pressed, role=contact)
    registry.delivery_view("progress", progress_view)
    registry.delivery_view("report", report_text)
