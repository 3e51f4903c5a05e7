"""The office's own commands: /contacts (list, add and remove contact persons) and /audit (the
latest privileged actions, and the whole log as a CSV document). Contact persons named in the
settings (ZHICHENG_CONTACT_IDS) cannot be removed in the chat. Every change is audited; a new
contact person gets the contact persons' command menu, a removed one everyone's menu again."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.chat import roles
from bot.chat.actions import EditOrigin, Keyboard, Send, SendDocument, SetCommands, Toast
from bot.chat.buttons import CallbackData
from bot.chat.events import ButtonPressed, Command, Event
from bot.chat.registry import N_, Registry
from bot.chat.texts import csv_with_bom, message
from bot.chat.turn import Turn
from bot.features.contacts.queries import RoleError, add_contact, contacts, remove_contact
from bot.store import population
from bot.store.audit import AuditEntry, audit, audit_entries
from conversations.i18n import format_day

AUDIT_SHOWN = 20
MAX_USER_ID = 2**52  # Telegram user ids fit in 52 bits
ACTION_NAMES = {
    "broadcast.create": N_("broadcast sent"),
    "broadcast.schedule": N_("broadcast scheduled"),
    "broadcast.cancel": N_("broadcast cancelled"),
    "contact.add": N_("contact person added"),
    "contact.remove": N_("contact person removed"),
    "stats.export": N_("statistics viewed and exported"),
    "audit.export": N_("audit log viewed and exported"),
    "invitation.create": N_("HR invitation created"),
    "invitation.revoke": N_("HR invitation revoked"),
    "invitation.use": N_("HR invitation used"),
    "invitation.refused": N_("HR invitation refused"),
    "hr.revoke": N_("HR rights revoked"),
    "unit.export": N_("unit's applicants exported (CSV)"),
    "annex.generate": N_("attachments filled in"),
    "notices.view": N_("notices compared, with the applicants each change concerns"),
}


@dataclass(frozen=True)
class RemoveContact(CallbackData, prefix="ct.remove"):
    """Remove a contact person added in the chat."""

    user: int


def _local(turn: Turn, iso: str) -> str:
    local = dt.datetime.fromisoformat(iso).astimezone(ZoneInfo(turn.notice.info.timezone))
    return f"{format_day(local.date(), turn.locale)} {local:%H:%M}"


def _contacts_view(turn: Turn) -> tuple[str, Keyboard | None]:
    listed = contacts(turn.database, turn.env.contact_ids)
    text = message(
        "contacts",
        turn.locale,
        contacts=listed,
        me=turn.state.user_id,
        added_at=lambda c: _local(turn, c.added_at) if c.added_at else "",
    )
    rows = tuple(
        (RemoveContact(c.user_id).button(turn._("Remove %(id)s") % {"id": c.user_id}),)
        for c in listed
        if c.source == "added"
    )
    return text, rows or None


def _user_id(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < int(text) < MAX_USER_ID else None


def on_contacts(event: Command, turn: Turn) -> None:
    """/contacts, /contacts add <user id>, /contacts remove <user id>."""
    verb, target = (*event.args, "", "")[:2]
    if not verb:
        turn.actions.append(Send(*_contacts_view(turn)))
        return
    user_id = _user_id(target)
    if verb.lower() not in ("add", "remove") or user_id is None or len(event.args) != 2:
        turn.say("contacts_usage")
        return
    if verb.lower() == "add":
        _add(turn, user_id)
    else:
        turn.actions.append(Send(_remove(turn, user_id)))


def _add(turn: Turn, user_id: int) -> None:
    now = turn.clock()
    if not add_contact(turn.database, user_id, turn.state.user_id, now, turn.env.contact_ids):
        turn.actions.append(Send(turn._("%(id)s is a contact person already.") % {"id": user_id}))
        return
    audit(turn.database, turn.state.user_id, "contact.add", now, user=user_id)
    turn.actions.append(
        Send(
            turn._("%(id)s is now a contact person: from their next message on they can use the commands below /help.")
            % {"id": user_id}
        )
    )
    turn.actions.append(SetCommands(user_id, frozenset({roles.CONTACT})))  # private chat: chat id = user id


def _remove(turn: Turn, user_id: int) -> str:
    try:
        removed = remove_contact(turn.database, user_id, turn.env.contact_ids)
    except RoleError:
        return turn._(
            "%(id)s is named in the bot's settings (ZHICHENG_CONTACT_IDS) and cannot be removed in the "
            "chat; please ask the bot's operator."
        ) % {"id": user_id}
    if not removed:
        return turn._("%(id)s is not a contact person.") % {"id": user_id}
    audit(turn.database, turn.state.user_id, "contact.remove", turn.clock(), user=user_id)
    turn.actions.append(SetCommands(user_id))  # everyone's menu again
    return turn._("%(id)s is no longer a contact person.") % {"id": user_id}


def on_remove_pressed(event: ButtonPressed[RemoveContact], turn: Turn) -> None:
    user_id = _user_id(str(event.button.user))
    if user_id is None:
        turn.actions.append(Toast(turn._("This button has expired")))
        return
    turn.actions.append(Toast(_remove(turn, user_id), alert=True))
    turn.actions.append(EditOrigin(*_contacts_view(turn)))


def audit_csv(entries: list[AuditEntry]) -> bytes:
    """The audit log as CSV, oldest first, times in UTC."""
    rows: list[list[object]] = [["id", "at_utc", "actor_id", "action", "recipients", "detail"]]
    rows += [
        [
            e.id,
            e.at,
            e.actor_id,
            e.action,
            "" if e.recipients is None else e.recipients,
            json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
        ]
        for e in sorted(entries, key=lambda e: e.id)
    ]
    return csv_with_bom(rows)


def on_audit(event: Event, turn: Turn) -> None:
    db = turn.database
    audit(db, turn.state.user_id, "audit.export", turn.clock())
    entries = audit_entries(db)
    shown = [(e, _local(turn, e.at), ACTION_NAMES.get(e.action, e.action)) for e in entries[:AUDIT_SHOWN]]
    turn.say("audit", shown=shown, total=len(entries), units=population.unit_names(db))
    stamp = f"{turn.clock().astimezone(ZoneInfo(turn.notice.info.timezone)):%Y%m%d-%H%M}"
    turn.actions.append(
        SendDocument(f"audit-{stamp}.csv", audit_csv(entries), turn._("The whole audit log as CSV (times in UTC)"))
    )


def register(registry: Registry) -> None:
    contact = roles.CONTACT
    registry.command(
        "contacts",
        N_("Contact persons"),
        N_("the contact persons; /contacts add ID or /contacts remove ID to change them"),
        on_contacts,
        rank=120,
        role=contact,
    )
    registry.command(
        "audit",
        N_("Audit log"),
        N_("who did what and when: the latest entries and the whole log as CSV"),
        on_audit,
        rank=130,
        role=contact,
    )
    registry.on_button(RemoveContact, on_remove_pressed, role=contact)
