"""Units and their HR, the contact persons' side: /invite <单位名称> makes a one-time, expiring
invitation link (the unit is created with its name or found by it); /units lists the units, their
HR officers and invitations, with buttons to revoke either. Opening an invitation link
(/start hr_<token>) makes the user HR of the unit. Every use is audited."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from telegram.helpers import create_deep_linked_url

from bot.chat.actions import Button, EditOrigin, Keyboard, Send, SetCommands, Toast, WakeSender
from bot.chat.events import ButtonPressed, Command, Event, Text
from bot.chat.registry import N_, Registry
from bot.chat.roles import CONTACT, roles_of
from bot.chat.texts import message
from bot.chat.turn import Turn
from bot.delivery import outbox
from bot.features.units import queries as units
from bot.features.units.buttons import (
    AllUnits,
    ConfirmRevokeHr,
    NewInvitation,
    RevokeHr,
    RevokeInvitation,
    UnitDetail,
)
from bot.store.audit import audit
from bot.store.users import locale_of

AWAIT_UNIT_NAME = "invite_name"
UNITS_LISTED = 40  # unit buttons in /units
INVITATIONS_LISTED = 10  # a unit's latest invitations shown
REVOKED_KIND = "hr_revoked"  # the outbox kind of the message telling an officer their rights were revoked


def deep_link(turn: Turn, payload: str) -> str:
    """t.me/<bot>?start=<payload>; without a known bot name (the console) the /start line to type."""
    if turn.env.bot_username:
        return create_deep_linked_url(turn.env.bot_username, payload)
    return f"/start {payload}"


def _invite(turn: Turn, name_text: str) -> None:
    name = units.clean_unit_name(name_text)
    if name is None:
        turn.state.await_input(AWAIT_UNIT_NAME)
        turn.say("unit_name_invalid", limit=units.UNIT_NAME_MAX)
        return
    now = turn.clock()
    db = turn.database
    unit, created = units.unit_or_new(db, name, turn.state.user_id, now)
    invitation, payload = units.create_invitation(db, unit.id, turn.state.user_id, now)
    audit(
        db,
        turn.state.user_id,
        "invitation.create",
        now,
        unit=unit.id,
        unit_created=created,
        invitation=invitation.id,
        expires_at=invitation.expires_at.isoformat(),
    )
    turn.remember = True
    turn.say(
        "invitation_created",
        unit=unit,
        created=created,
        link=deep_link(turn, payload),
        expires=invitation.expires_at.astimezone(_zone(turn)),
        days=units.INVITATION_VALID.days,
    )


def _zone(turn: Turn) -> ZoneInfo:
    return ZoneInfo(turn.notice.info.timezone)


def on_invite(event: Command, turn: Turn) -> None:
    if not event.args:
        turn.state.await_input(AWAIT_UNIT_NAME)
        turn.remember = True
        turn.say("unit_name_ask", limit=units.UNIT_NAME_MAX)
        return
    _invite(turn, " ".join(event.args))


def on_unit_name(event: Event, turn: Turn) -> None:
    if not isinstance(event, Text):
        turn.say("unit_name_ask", limit=units.UNIT_NAME_MAX)
        return
    turn.state.await_input(None)
    _invite(turn, event.text)


def _units_overview(turn: Turn) -> tuple[str, Keyboard | None]:
    db = turn.database
    rows = db.execute(
        "SELECT u.id, u.name, "
        "(SELECT COUNT(*) FROM unit_hr h WHERE h.unit_id = u.id AND h.revoked_at IS NULL), "
        "(SELECT COUNT(*) FROM applicant_units l WHERE l.unit_id = u.id), "
        "(SELECT COUNT(*) FROM invitations i WHERE i.unit_id = u.id AND i.used_at IS NULL "
        "AND i.revoked_at IS NULL AND i.expires_at > ?) FROM units u ORDER BY u.name",
        (turn.clock().astimezone(dt.UTC).isoformat(timespec="seconds"),),
    ).fetchall()
    listed = rows[:UNITS_LISTED]
    text = _render(turn, "units_overview", rows=listed, more=len(rows) - len(listed))
    buttons = [
        UnitDetail(unit_id).button(f"{i}. {name[:20]}") for i, (unit_id, name, *_rest) in enumerate(listed, start=1)
    ]
    keyboard = tuple(tuple(buttons[k : k + 2]) for k in range(0, len(buttons), 2))
    return text, keyboard or None


def _render(turn: Turn, template: str, **context: object) -> str:
    return message(template, turn.locale, notice=turn.notice, **context)


def on_units(event: Event, turn: Turn) -> None:
    turn.actions.append(Send(*_units_overview(turn)))


def _unit_detail(turn: Turn, unit_id: int) -> tuple[str, Keyboard] | None:
    db = turn.database
    unit = units.unit(db, unit_id)
    if unit is None:
        return None
    now = turn.clock()
    officers = units.hr_officers(db, unit_id)
    invitations = [i for i in units.invitations(db, limit=200) if i.unit_id == unit_id][:INVITATIONS_LISTED]
    applicants = len(units.links_of_unit(db, unit_id))
    zone = _zone(turn)
    text = _render(
        turn,
        "unit_detail_contact",
        unit=unit,
        officers=officers,
        applicants=applicants,
        invitations=[(i, i.status(now)) for i in invitations],
        zone=zone,
    )
    rows: list[tuple[Button, ...]] = []
    for officer in officers:
        label = turn._("Revoke HR %(user)s") % {"user": officer.user_id}
        rows.append((RevokeHr(unit_id, officer.user_id).button(label),))
    for invitation in invitations:
        if invitation.status(now) == "pending":
            label = turn._("Revoke invitation #%(id)s") % {"id": invitation.id}
            rows.append((RevokeInvitation(invitation.id).button(label),))
    rows.append((NewInvitation(unit_id).button(turn._("New invitation")), AllUnits().button(turn._("◀ All units"))))
    return text, tuple(rows)


def on_unit_pressed(event: ButtonPressed[UnitDetail], turn: Turn) -> None:
    unit_id = event.button.unit
    detail = _unit_detail(turn, unit_id)
    if detail is None:
        return turn.stale_button()
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(*detail))
    return None


def on_all_units_pressed(event: ButtonPressed[AllUnits], turn: Turn) -> None:
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(*_units_overview(turn)))


def on_revoke_invitation(event: ButtonPressed[RevokeInvitation], turn: Turn) -> None:
    invitation_id = event.button.invitation
    db = turn.database
    invitation = units.invitation_by_id(db, invitation_id)
    if invitation is None:
        return turn.stale_button()
    now = turn.clock()
    if units.revoke_invitation(db, invitation_id, turn.state.user_id, now):
        audit(db, turn.state.user_id, "invitation.revoke", now, unit=invitation.unit_id, invitation=invitation_id)
        turn.actions.append(Toast(turn._("Invitation revoked")))
    else:
        turn.actions.append(Toast(turn._("This invitation was already used, revoked or expired")))
    detail = _unit_detail(turn, invitation.unit_id)
    if detail is not None:
        turn.actions.append(EditOrigin(*detail))
    return None


def _officer(turn: Turn, unit_id: int, user_id: int) -> units.HrOfficer | None:
    return next((o for o in units.hr_officers(turn.database, unit_id) if o.user_id == user_id), None)


def on_revoke_hr(event: ButtonPressed[RevokeHr], turn: Turn) -> None:
    """撤销人事联系人: what it does, then 确认撤销 or ◀ 返回."""
    unit_id, user_id = event.button.unit, event.button.user
    officer = _officer(turn, unit_id, user_id)
    if officer is None:
        turn.actions.append(Toast(turn._("This user is no longer HR of the unit")))
        detail = _unit_detail(turn, unit_id)
        if detail is not None:
            turn.actions.append(EditOrigin(*detail))
        return None
    turn.actions.append(Toast(""))
    text = _render(turn, "hr_revoke_confirm", officer=officer)
    keyboard = (
        (
            ConfirmRevokeHr(unit_id, user_id).button(turn._("Confirm: revoke")),
            UnitDetail(unit_id).button(turn._("◀ Back to the unit")),
        ),
    )
    turn.actions.append(EditOrigin(text, keyboard))
    return None


def on_revoke_hr_confirmed(event: ButtonPressed[ConfirmRevokeHr], turn: Turn) -> None:
    """Revoke the rights (from the next tap on), tell the officer through the outbox at bulk
    priority, and give their chat the menu of the roles they still have."""
    unit_id, user_id = event.button.unit, event.button.user
    db = turn.database
    now = turn.clock()
    officer = _officer(turn, unit_id, user_id)
    if officer is None or not units.revoke_hr(db, unit_id, user_id, turn.state.user_id, now):
        turn.actions.append(Toast(turn._("This user is no longer HR of the unit")))
    else:
        audit(db, turn.state.user_id, "hr.revoke", now, unit=unit_id, user=user_id)
        locale = locale_of(db, user_id) or turn.locale
        notice_text = message(
            "hr_revoked",
            locale,
            notice=turn.notice,
            unit_name=officer.unit_name,
            still_hr=bool(units.units_of_hr(db, user_id)),
        )
        outbox.enqueue(
            db,
            kind=REVOKED_KIND,
            ref=f"{unit_id}:{now.isoformat()}",
            chat_id=officer.chat_id,
            user_id=user_id,
            messages=[Send(notice_text)],
            not_before=now,
            now=now,
        )
        turn.actions.append(SetCommands(officer.chat_id, roles_of(db, user_id, turn.env.contact_ids)))
        turn.actions.append(WakeSender())
        turn.actions.append(Toast(turn._("HR rights revoked; the officer is told")))
    detail = _unit_detail(turn, unit_id)
    if detail is not None:
        turn.actions.append(EditOrigin(*detail))
    return None


def on_new_invitation(event: ButtonPressed[NewInvitation], turn: Turn) -> None:
    unit = units.unit(turn.database, event.button.unit)
    if unit is None:
        return turn.stale_button()
    turn.actions.append(Toast(""))
    _invite(turn, unit.name)
    return None


# --- opening an invitation link ---


def on_invitation_link(event: Command, turn: Turn) -> None:
    """/start hr_<token>: become HR of the invitation's unit, if the invitation is still good."""
    token = event.args[0].partition("_")[2]
    db = turn.database
    now = turn.clock()
    user_id = turn.state.user_id
    invitation = units.invitation_by_token(db, token) if token else None
    if invitation is None:
        audit(db, user_id, "invitation.refused", now, reason="unknown")
        turn.say("invitation_refused", reason="unknown")
        return
    status = invitation.status(now)
    if status == "used" and invitation.used_by == user_id and units.is_hr_of(db, user_id, invitation.unit_id):
        turn.say("hr_welcome", unit_name=invitation.unit_name, again=True)
        return
    if status != "pending" or not units.use_invitation(db, invitation, user_id, event.chat_id, now):
        audit(db, user_id, "invitation.refused", now, reason=status, invitation=invitation.id, unit=invitation.unit_id)
        turn.say("invitation_refused", reason=status)
        return
    audit(db, user_id, "invitation.use", now, invitation=invitation.id, unit=invitation.unit_id)
    turn.remember = True
    turn.say("hr_welcome", unit_name=invitation.unit_name, again=False)
    turn.actions.append(SetCommands(event.chat_id, roles_of(db, user_id, turn.env.contact_ids)))  # HR's menu now


def register(registry: Registry) -> None:
    registry.command(
        "invite",
        N_("Invite a unit's HR"),
        N_("invite a unit's HR: /invite unit name"),
        on_invite,
        rank=210,
        role=CONTACT,
    )
    registry.command(
        "units", N_("Units and their HR"), N_("units, their HR and invitations"), on_units, rank=220, role=CONTACT
    )
    registry.on_awaited(AWAIT_UNIT_NAME, on_unit_name, role=CONTACT)
    registry.on_button(AllUnits, on_all_units_pressed, role=CONTACT)
    registry.on_button(UnitDetail, on_unit_pressed, role=CONTACT)
    registry.on_button(RevokeInvitation, on_revoke_invitation, role=CONTACT)
    registry.on_button(RevokeHr, on_revoke_hr, role=CONTACT)
    registry.on_button(ConfirmRevokeHr, on_revoke_hr_confirmed, role=CONTACT)
    registry.on_button(NewInvitation, on_new_invitation, role=CONTACT)
    registry.on_deep_link(units.HR_LINK_PREFIX, on_invitation_link)
