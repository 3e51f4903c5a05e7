"""Applicants and their unit: linking through the unit's applicant link (/start u_<token>) or by
choosing it (/myunit), always after a consent text with 同意 / 不同意; unlinking at any time. The
link decides what the unit's HR sees (bot.features.units.hr); it is shown by /privacy and deleted by
/delete_me (bot.store.users.delete_user)."""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from bot.chat.actions import Button, EditOrigin, Keyboard, Send, Toast
from bot.chat.events import ButtonPressed, Command, Event
from bot.chat.registry import N_, Registry
from bot.chat.texts import message
from bot.chat.turn import Turn
from bot.features.units import queries as units
from bot.features.units.buttons import ChooseUnit, Consent, UnitsPage, Unlink

UNITS_PER_PAGE = 8
VIA = {"l": "link", "c": "chosen"}


def _consent(turn: Turn, unit: units.Unit, via: str) -> tuple[str, Keyboard]:
    text = message("unit_consent", turn.locale, notice=turn.notice, unit_name=unit.name)
    keyboard = (
        (
            Consent(unit.id, via, True).button(turn._("Agree")),
            Consent(unit.id, via, False).button(turn._("Do not agree")),
        ),
    )
    return text, keyboard


def on_unit_link(event: Command, turn: Turn) -> None:
    """/start u_<token>: the unit's applicant link; linking waits for consent."""
    token = event.args[0].partition("_")[2]
    unit = units.unit_by_applicant_token(turn.database, token) if token else None
    if unit is None:
        turn.say("unit_link_invalid")
        return
    current = units.link_of(turn.database, turn.state.user_id)
    if current is not None and current.unit_id == unit.id:
        turn.say("unit_linked", link=current)
        return
    turn.actions.append(Send(*_consent(turn, unit, "l")))


def _myunit(turn: Turn) -> tuple[str, Keyboard | None]:
    """The link, with buttons to unlink or choose another unit; without one, the list of units."""
    link = units.link_of(turn.database, turn.state.user_id)
    if link is None:
        return _unit_list(turn, 0)
    zone = ZoneInfo(turn.notice.info.timezone)
    text = message(
        "myunit", turn.locale, notice=turn.notice, link=link, since=link.consented_at.astimezone(zone).date(), units=[]
    )
    return text, ((Unlink().button(turn._("Unlink")), UnitsPage(0).button(turn._("Choose another unit"))),)


def _unit_list(turn: Turn, page: int) -> tuple[str, Keyboard | None]:
    every = units.all_units(turn.database)
    pages = max(1, -(-len(every) // UNITS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = every[page * UNITS_PER_PAGE : (page + 1) * UNITS_PER_PAGE]
    text = message("myunit", turn.locale, notice=turn.notice, link=None, units=every)
    rows: list[tuple[Button, ...]] = [(ChooseUnit(u.id).button(u.name),) for u in shown]
    navigation = []
    if page > 0:
        navigation.append(UnitsPage(page - 1).button(turn._("◀ Previous")))
    if page < pages - 1:
        navigation.append(UnitsPage(page + 1).button(turn._("More ▶")))
    if navigation:
        rows.append(tuple(navigation))
    return text, tuple(rows) or None


def on_myunit(event: Event, turn: Turn) -> None:
    turn.actions.append(Send(*_myunit(turn)))


def on_units_page(event: ButtonPressed[UnitsPage], turn: Turn) -> None:
    page = event.button.page
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(*_unit_list(turn, page)))
    return None


def on_unit_chosen(event: ButtonPressed[ChooseUnit], turn: Turn) -> None:
    unit = units.unit(turn.database, event.button.unit)
    if unit is None:
        return turn.stale_button()
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(*_consent(turn, unit, "c")))
    return None


def on_consent(event: ButtonPressed[Consent], turn: Turn) -> None:
    """同意 links (replacing any other link); 不同意 leaves everything as it was."""
    unit = units.unit(turn.database, event.button.unit)
    via = VIA.get(event.button.via)
    if unit is None or via is None:
        return turn.stale_button()
    turn.actions.append(Toast(""))
    if not event.button.agree:
        current = units.link_of(turn.database, turn.state.user_id)
        turn.actions.append(
            EditOrigin(
                turn._("Not linked. The unit sees nothing of you.")
                if current is None
                else turn._("Nothing changed: you stay linked to %(unit)s.") % {"unit": html.escape(current.unit_name)}
            )
        )
        return None
    link = units.link(turn.database, turn.state.user_id, unit.id, via, turn.clock())
    turn.remember = True
    turn.actions.append(EditOrigin(message("unit_linked", turn.locale, notice=turn.notice, link=link)))
    return None


def on_unlink(event: ButtonPressed[Unlink], turn: Turn) -> None:
    link = units.link_of(turn.database, turn.state.user_id)
    if link is None:
        return turn.stale_button()
    units.unlink(turn.database, turn.state.user_id)
    turn.actions.append(Toast(turn._("Unlinked")))
    text = turn._("You are no longer linked to %(unit)s. Its HR no longer sees anything of you.")
    turn.actions.append(EditOrigin(text % {"unit": html.escape(link.unit_name)}))
    return None


def register(registry: Registry) -> None:
    registry.command("myunit", N_("Your unit"), N_("link yourself to your unit, or unlink"), on_myunit, rank=65)
    registry.on_deep_link(units.APPLICANT_LINK_PREFIX, on_unit_link)
    registry.on_button(UnitsPage, on_units_page)
    registry.on_button(ChooseUnit, on_unit_chosen)
    registry.on_button(Consent, on_consent)
    registry.on_button(Unlink, on_unlink)
