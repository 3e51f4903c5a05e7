"""The unit's HR: /unit lists the applicants who linked themselves to the unit (verdict, level,
readiness; never ID numbers or other answers), the latest day to start the publicity, the paper
materials in all, the applicants' link to share and a CSV file; each applicant's entry gives the
unit's duties for them and the attachments (附件1–3) to print, filled with the name and ID number
HR types for that one reply (never stored).

HR sees only its own units: every command, button and typed reply checks, at that moment, that
the user is HR of the unit named in it and that the applicant is still linked to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.chat.actions import Action, Button, Later, Send, SendDocument, Toast
from bot.chat.drafts import Draft
from bot.chat.events import ButtonPressed, Event, Text
from bot.chat.registry import N_, Registry
from bot.chat.roles import CONTACT, HR
from bot.chat.texts import csv_with_bom, gettext, message
from bot.chat.turn import Turn
from bot.features.units import queries as units
from bot.features.units.buttons import Attachments, ShowApplicant, ShowUnit, UnitCsv
from bot.features.units.invitations import deep_link
from bot.store import population
from bot.store.audit import audit
from bot.store.population import Applicant
from bot.store.users import load_user
from conversations.annexes import (
    ANNEX1,
    AnnexFill,
    AnnexInputError,
    annex_file_name,
    annexes_docx,
    exemption_reason,
    needed_attachments,
    parse_annex_input,
)
from conversations.outcome import Outcome, evaluate
from conversations.render import SPLIT, annexes_html, duties_messages, pack
from conversations.season import WorkingDayDateStatus, working_day_dates
from conversations.unit_duties import (
    PUBLICITY_DATE,
    PublicityError,
    PublicityPeriod,
    paper_totals,
    publicity_period,
    unit_duties,
)
from knowledge.model import Interpretation, Notice

AWAIT_ANNEX = "annex"
APPLICANT_BUTTONS = 50
BUTTONS_PER_ROW = 5
HR_OR_CONTACT = frozenset({HR, CONTACT})


def no_permission(turn: Turn) -> None:
    turn.actions.append(Toast(turn._("No permission"), alert=True))


def _outcome(turn: Turn, answers: Mapping[str, str]) -> Outcome | None:
    if not turn.interview.position(answers).finished:
        return None
    try:
        return evaluate(turn.notice, answers)
    except ValueError:
        return None


# --- /unit ---


def _unit_messages(turn: Turn, unit: units.Unit) -> Later:
    """The unit's view. The transaction only reads the rows; the outcomes are worked out and the
    view rendered once it has ended (a unit may have hundreds of applicants)."""
    db = turn.database
    links = units.links_of_unit(db, unit.id)
    summaries = {a.user_id: a for a in population.applicants(db, unit_id=unit.id)}
    answers = population.answers_of(db, [a.user_id for a in summaries.values() if a.finished])
    notice, locale, today = turn.notice, turn.locale, turn.today()
    applicant_link = deep_link(turn, unit.applicant_payload)
    labels = {"no": turn._("No. %(number)s"), "csv": turn._("📊 CSV file")}

    def render() -> list[Action]:
        shown = []
        outcomes = []
        for link in links:
            applicant = summaries.get(link.user_id)
            outcome = None
            if applicant is not None and applicant.finished and applicant.notice_id == notice.id:
                outcome = _outcome_of(notice, answers.get(link.user_id, {}))
                if outcome is not None:
                    outcomes.append(outcome)
            shown.append(
                {
                    "number": link.number,
                    "applicant": applicant,
                    "outcome": outcome,
                    "level": notice.level(applicant.level) if applicant and applicant.level else None,
                }
            )
        publicity = next((d for d in working_day_dates(notice, None, today) if d.id == PUBLICITY_DATE), None)
        text = message(
            "unit_view",
            locale,
            notice=notice,
            unit=unit,
            rows=shown,
            publicity=publicity,
            needing=sum(1 for o in outcomes if o.has_checklist),
            totals=paper_totals(outcomes),
            link=applicant_link,
            listed=APPLICANT_BUTTONS,
        )
        buttons = [
            ShowApplicant(unit.id, link.number).button(labels["no"] % {"number": link.number})
            for link in links[:APPLICANT_BUTTONS]
        ]
        keyboard = [tuple(buttons[k : k + BUTTONS_PER_ROW]) for k in range(0, len(buttons), BUTTONS_PER_ROW)]
        keyboard.append((UnitCsv(unit.id).button(labels["csv"]),))
        chunks = pack(text.split(SPLIT))
        return [Send(chunk, tuple(keyboard) if i == len(chunks) - 1 else None) for i, chunk in enumerate(chunks)]

    return Later(render)


def _show_unit(turn: Turn, unit: units.Unit) -> None:
    turn.actions.append(_unit_messages(turn, unit))


def on_unit(event: Event, turn: Turn) -> None:
    mine = units.units_of_hr(turn.database, turn.state.user_id)
    if len(mine) == 1:
        _show_unit(turn, mine[0])
        return
    keyboard = tuple((ShowUnit(u.id).button(u.name),) for u in mine)
    turn.actions.append(Send(turn._("You are HR of several units. Which one?"), keyboard or None))


def _own_unit(turn: Turn, unit_id: int) -> units.Unit | None:
    """The unit, if the user is HR of it right now."""
    if not units.is_hr_of(turn.database, turn.state.user_id, unit_id):
        return None
    return units.unit(turn.database, unit_id)


def on_unit_pressed(event: ButtonPressed[ShowUnit], turn: Turn) -> None:
    unit = _own_unit(turn, event.button.unit)
    if unit is None:
        return no_permission(turn)
    turn.actions.append(Toast(""))
    _show_unit(turn, unit)
    return None


CSV_COLUMNS = (
    N_("No."),
    N_("Linked on"),
    N_("Level"),
    N_("Verdict"),
    N_("Questions finished"),
    N_("Items ticked"),
    N_("Items"),
    N_("Readiness %"),
)
VERDICT_NAMES = {
    "eligible": N_("may apply"),
    "conditional": N_("may apply once a condition is met"),
    "other_route": N_("another route; may also apply"),
    "ineligible": N_("may not apply"),
    "not_covered": N_("not covered by the notice"),
}


def unit_csv(turn: Turn, unit: units.Unit) -> Callable[[], bytes]:
    """The unit's linked applicants as CSV (UTF-8 with BOM for spreadsheets); no ids, no names. The
    rows are read now; the file is made by the returned function, after the transaction."""
    db = turn.database
    summaries = {a.user_id: a for a in population.applicants(db, unit_id=unit.id)}
    links = units.links_of_unit(db, unit.id)
    notice = turn.notice
    zone = ZoneInfo(notice.info.timezone)
    header = [turn._(c) for c in CSV_COLUMNS]
    verdicts = {v: turn._(name) for v, name in VERDICT_NAMES.items()}
    yes, no = turn._("yes"), turn._("no")

    def make() -> bytes:
        rows: list[list[object]] = [list(header)]
        for link in links:
            a: Applicant | None = summaries.get(link.user_id)
            level = notice.level(a.level) if a is not None and a.level else None
            done = a is not None and a.finished
            rows.append(
                [
                    link.number,
                    link.consented_at.astimezone(zone).date().isoformat(),
                    level.name if level else "",
                    verdicts[a.verdict] if a is not None and a.verdict else "",
                    yes if done else no,
                    a.ticked if a is not None and done else "",
                    a.items if a is not None and done else "",
                    "" if a is None or a.readiness is None else f"{100 * a.readiness:.0f}",
                ]
            )
        return csv_with_bom(rows)

    return make


def on_csv_pressed(event: ButtonPressed[UnitCsv], turn: Turn) -> None:
    unit = _own_unit(turn, event.button.unit)
    if unit is None:
        return no_permission(turn)
    audit(
        turn.database,
        turn.state.user_id,
        "unit.export",
        turn.clock(),
        unit=unit.id,
        recipients=len(units.links_of_unit(turn.database, unit.id)),
    )
    turn.actions.append(Toast(""))
    make = unit_csv(turn, unit)
    caption = turn._("Applicants linked to %(unit)s") % {"unit": unit.name}
    turn.actions.append(
        Later(lambda: [SendDocument(filename=f"unit-{unit.id}-applicants.csv", content=make(), caption=caption)])
    )
    return None


# --- one applicant ---


def _linked(turn: Turn, unit_id: int, number: int) -> tuple[units.Unit, units.Link] | None:
    unit = _own_unit(turn, unit_id)
    if unit is None:
        return None
    link = units.linked_applicant(turn.database, unit_id, number)
    return (unit, link) if link is not None else None


def _applicant_outcome(turn: Turn, link: units.Link) -> Outcome | None:
    state = load_user(turn.database, link.user_id, link.user_id)
    if not state.started or state.current_question is not None:
        return None
    return _outcome(turn, state.answers)


def on_applicant_pressed(event: ButtonPressed[ShowApplicant], turn: Turn) -> None:
    if _own_unit(turn, event.button.unit) is None:
        return no_permission(turn)
    found = _linked(turn, event.button.unit, event.button.number)
    if found is None:
        turn.actions.append(Toast(turn._("This applicant is no longer linked to your unit"), alert=True))
        return None
    unit, link = found
    state = load_user(turn.database, link.user_id, link.user_id)
    outcome = _applicant_outcome(turn, link)
    ticked = sum(1 for it in outcome.checklist if it.id in state.ticks) if outcome else 0
    turn.actions.append(Toast(""))
    turn.say(
        "unit_applicant",
        unit=unit,
        link=link,
        outcome=outcome,
        ticked=ticked,
        level=turn.notice.level(state.answers.get("level", "")),
    )
    if outcome is None:
        return None
    subject = turn._("For applicant No. %(number)s of %(unit)s") % {"number": link.number, "unit": unit.name}
    texts = duties_messages(turn.notice, unit_duties(turn.notice, outcome, turn.today()), turn.locale, subject)
    keyboard: list[tuple[Button, ...]] = []
    if attachments_possible(turn, outcome):
        keyboard.append((Attachments(unit.id, link.number).button(turn._("📝 Attachments to print")),))
    keyboard.append((ShowUnit(unit.id).button(turn._("◀ My unit")),))
    for i, text in enumerate(texts):
        turn.actions.append(Send(text, tuple(keyboard) if i == len(texts) - 1 else None))
    return None


def attachments_possible(turn: Turn, outcome: Outcome) -> bool:
    return bool(outcome.has_checklist and needed_attachments(turn.notice, outcome))


def on_attachments_pressed(event: ButtonPressed[Attachments], turn: Turn) -> None:
    unit_id, number = event.button.unit, event.button.number
    if _own_unit(turn, unit_id) is None:
        return no_permission(turn)
    found = _linked(turn, unit_id, number)
    outcome = _applicant_outcome(turn, found[1]) if found else None
    if found is None or outcome is None or not attachments_possible(turn, outcome):
        return turn.stale_button()
    turn.actions.append(Toast(""))
    ask_for_identity(turn, AnnexDraft(unit=unit_id, number=number), outcome)
    return None


# --- the attachments: name and ID number typed for one reply ---


@dataclass
class AnnexDraft(Draft):
    """Whose attachments are awaited: a linked applicant (unit, number) or a /case's answers."""

    unit: int | None = None
    number: int | None = None
    case: dict[str, str] | None = None


def ask_for_identity(turn: Turn, draft: AnnexDraft, outcome: Outcome) -> None:
    """Wait for the name and ID number (and publicity dates) that fill the attachments."""
    turn.keep_draft(AWAIT_ANNEX, draft)
    publicity = next((d for d in working_day_dates(turn.notice, outcome, turn.today()) if d.id == PUBLICITY_DATE), None)
    turn.say("annex_ask", attachments=needed_attachments(turn.notice, outcome), publicity=publicity)


def _unit_name_for_case(turn: Turn) -> str | None:
    mine = units.units_of_hr(turn.database, turn.state.user_id)
    return mine[0].name if len(mine) == 1 else None


def on_identity(event: Event, turn: Turn) -> None:
    """The one message with the name and ID number. Its text is used for this reply only: it is
    not kept in the state, the database or the logs."""
    draft = turn.draft(AWAIT_ANNEX, AnnexDraft) or AnnexDraft()
    if not isinstance(event, Text):
        turn.say("annex_ask_again", problem="not_text")
        return
    outcome: Outcome | None
    unit_name: str | None
    subject: dict[str, Any]
    if draft.case is not None:
        outcome = _outcome(turn, draft.case)
        unit_name = _unit_name_for_case(turn)
        subject = {"case": True}
    else:
        found = _linked(turn, draft.unit or 0, draft.number or 0)
        if found is None:  # no longer HR of the unit, or the applicant unlinked meanwhile
            turn.state.await_input(None)
            turn.say("annex_gone")
            return
        outcome = _applicant_outcome(turn, found[1])
        unit_name = found[0].name
        subject = {"unit": found[0].id, "number": found[1].number}
    if outcome is None or not attachments_possible(turn, outcome) or outcome.level is None:
        turn.state.await_input(None)
        turn.say("annex_gone")
        return
    try:
        identity, start, end = parse_annex_input(event.text, turn.today().year)
    except AnnexInputError as exc:
        turn.say("annex_ask_again", problem=exc.problem)
        return
    attachments = needed_attachments(turn.notice, outcome)
    period = None
    if any(a.ref == ANNEX1 for a in attachments):
        default = next(
            (d.day for d in working_day_dates(turn.notice, outcome, turn.today()) if d.id == PUBLICITY_DATE),
            turn.today(),
        )
        try:
            period = publicity_period(turn.notice, start or default, end)
        except PublicityError:
            turn.say("annex_ask_again", problem="period")
            return
    level_id = dict((a.id, a.answer_id) for a in outcome.answers)["level"]
    fill = AnnexFill(
        identity=identity,
        level_id=level_id,
        level_name=outcome.level,
        unit_name=unit_name,
        period=period,
        attachments=attachments,
        exemption_reason=exemption_reason(turn.notice, outcome),
    )
    refs = [a.ref for a in attachments]
    notice, locale = turn.notice, turn.locale
    captions = (
        turn._("Attachments %(refs)s filled in, as a Word file") % {"refs": "、".join(refs)},
        turn._("The same as a page to open on the phone or print on A4"),
    )
    done = message(
        "annex_done",
        locale,
        notice=notice,
        period=period,
        defaulted=start is None,
        refs=refs,
        readings=annex_readings(notice, refs, period),
    )

    def documents() -> list[Action]:  # built once the transaction has ended; held in memory only
        return [
            SendDocument(
                filename=annex_file_name(fill, "docx"), content=annexes_docx(notice, fill), caption=captions[0]
            ),
            SendDocument(
                filename=annex_file_name(fill, "html"),
                content=annexes_html(notice, fill, locale).encode("utf-8"),
                caption=captions[1],
            ),
            Send(done),
        ]

    turn.actions.append(Later(documents))
    audit(turn.database, turn.state.user_id, "annex.generate", turn.clock(), attachments=refs, **subject)
    if draft.case is not None:  # back to the case (its CaseDraft), whose buttons stay usable
        turn.state.await_input("case", answers=draft.case)
    else:
        turn.state.await_input(None)


def annex_readings(notice: Notice, refs: list[str], period: PublicityPeriod | None) -> list[Interpretation]:
    """The readings taken to fill these attachments (the knowledge file's interpretations, shown in
    their words, never by id), and the publicity's latest end when the period given ends later."""
    ids: list[str] = []
    for ref in refs:
        attachment = notice.attachment(ref)
        ids += attachment.interpretations if attachment else ()
    publicity = next((w for w in notice.working_day_dates if w.id == PUBLICITY_DATE), None)
    if period is not None and period.late and publicity is not None and publicity.interpretation:
        ids.append(publicity.interpretation)
    return [x for x in map(notice.interpretation, dict.fromkeys(ids)) if x is not None]


UNIT_LABEL = N_("🏢 My unit's applicants")


def unit_reminder(
    notice: Notice,
    date: WorkingDayDateStatus,
    unit_id: int,
    unit_name: str,
    linked: int,
    needing: int,
    locale: str | None,
) -> Send:
    """The HR reminder before the latest publicity start (delivery's view), with a button to /unit."""
    loc = locale or "zh_Hans"
    text = message("unit_reminder", loc, notice=notice, date=date, unit_name=unit_name, linked=linked, needing=needing)
    return Send(text, ((ShowUnit(unit_id).button(gettext(loc, UNIT_LABEL)),),))


def _outcome_of(notice: Notice, answers: Mapping[str, str]) -> Outcome | None:
    try:
        return evaluate(notice, answers)
    except ValueError:
        return None


def register(registry: Registry) -> None:
    registry.command(
        "unit",
        N_("Your unit's applicants"),
        N_("your unit's applicants, duties and attachments"),
        on_unit,
        rank=110,
        role=HR,
    )
    registry.on_button(ShowUnit, on_unit_pressed, role=HR)
    registry.on_button(UnitCsv, on_csv_pressed, role=HR)
    registry.on_button(ShowApplicant, on_applicant_pressed, role=HR)
    registry.on_button(Attachments, on_attachments_pressed, role=HR)
    registry.delivery_view("unit_reminder", unit_reminder)
    registry.on_awaited(AWAIT_ANNEX, on_identity, role=HR_OR_CONTACT)
