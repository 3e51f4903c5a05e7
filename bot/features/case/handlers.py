"""/case: what the notice says for a specific case, for the unit's HR and the office's contact
persons. The same questions for a hypothetical applicant, or a case file (YAML or JSON, the format
of `zhicheng-bot case`) sent as a document; the outcome comes with the unit's duties for the case
and the attachments to print.

The case lives in the user's wizard draft (users.awaiting_data under the awaited key "case"): it
never touches the user's own interview, is never stored as an applicant (no interview, answer or
tick rows) and so never counts in statistics; any command ends it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.actions import Button, EditOrigin, Keyboard, Send, SendDocument, Toast
from bot.chat.buttons import CallbackData
from bot.chat.drafts import Draft
from bot.chat.events import Attachment, ButtonPressed, Event, Text
from bot.chat.registry import N_, Registry
from bot.chat.texts import message
from bot.chat.turn import Turn
from bot.features.units.hr import HR_OR_CONTACT, AnnexDraft, ask_for_identity, attachments_possible
from conversations.casefile import MAX_CASE_BYTES, CaseFileError, parse_case_bytes, validate_case
from conversations.outcome import Outcome, evaluate
from conversations.render import checklist_messages, duties_messages, head_messages, outcome_html, tail_messages
from conversations.unit_duties import unit_duties
from knowledge.model import Question

AWAIT_CASE = "case"


@dataclass
class CaseDraft(Draft):
    """The case being answered: its answers only (nothing about a person)."""

    answers: dict[str, str]


@dataclass(frozen=True)
class CaseAnswer(CallbackData, prefix="cs.answer"):
    question: str
    option: str


@dataclass(frozen=True)
class CaseBack(CallbackData, prefix="cs.back"):
    """◀ Back from a question ("": from the outcome)."""

    question: str


@dataclass(frozen=True)
class CaseRestart(CallbackData, prefix="cs.restart"):
    pass


@dataclass(frozen=True)
class CaseAttachments(CallbackData, prefix="cs.annex"):
    pass


@dataclass(frozen=True)
class CaseChecklistFile(CallbackData, prefix="cs.file"):
    pass


def _answers(turn: Turn) -> dict[str, str] | None:
    """The case's answers, while a case is open."""
    draft = turn.draft(AWAIT_CASE, CaseDraft)
    return {str(k): str(v) for k, v in draft.answers.items()} if draft and isinstance(draft.answers, dict) else None


def _keep(turn: Turn, answers: dict[str, str]) -> None:
    turn.keep_draft(AWAIT_CASE, CaseDraft(answers))


def _question(turn: Turn, answers: dict[str, str], question: Question) -> tuple[str, Keyboard]:
    position = turn.interview.position(answers)
    path = list(position.answers)
    number = path.index(question.id) + 1 if question.id in path else len(path) + 1
    filled = round(10 * (number - 1) / max(position.total, 1))
    text = message("case_question", turn.locale, notice=turn.notice, question=question, number=number,
                   total=max(position.total, number), bar="▰" * filled + "▱" * (10 - filled))
    rows: list[tuple[Button, ...]] = [
        (CaseAnswer(question.id, o.id).button(o.label),) for o in question.options
    ]
    navigation = []
    if number > 1:
        navigation.append(CaseBack(question.id).button(turn._("◀ Back")))
    navigation.append(CaseRestart().button(turn._("Start the case over")))
    rows.append(tuple(navigation))
    return text, tuple(rows)


def on_case(event: Event, turn: Turn) -> None:
    _keep(turn, {})
    turn.say("case_intro", limit=MAX_CASE_BYTES // 1024)
    first = turn.interview.position({}).question
    assert first is not None
    turn.actions.append(Send(*_question(turn, {}, first)))


def _outcome_actions(turn: Turn, outcome: Outcome) -> list[Send]:
    """The case's outcome: verdict and reasons, checklist, the unit's duties, deadlines and contacts."""
    today = turn.today()
    texts = [message("case_result", turn.locale, notice=turn.notice)]
    texts += head_messages(turn.notice, outcome, turn.locale, today=today)
    if outcome.has_checklist:
        texts += [text for text, _ in checklist_messages(turn.notice, outcome, turn.locale, ())]
    subject = turn._("For this case")
    texts += duties_messages(turn.notice, unit_duties(turn.notice, outcome, today), turn.locale, subject)
    texts += tail_messages(turn.notice, outcome, turn.locale)
    rows: list[tuple[Button, ...]] = []
    if attachments_possible(turn, outcome):
        rows.append((CaseAttachments().button(turn._("📝 Attachments to print")),))
    if outcome.checklist:
        rows.append((CaseChecklistFile().button(turn._("📄 Checklist file")),))
    rows.append((CaseBack("").button(turn._("◀ Back")), CaseRestart().button(turn._("Start the case over"))))
    return [Send(text, tuple(rows) if i == len(texts) - 1 else None) for i, text in enumerate(texts)]


def _ended(turn: Turn) -> None:
    turn.actions.append(Toast(turn._("This case has ended; send /case to start another"), alert=True))


def on_case_answer(event: ButtonPressed[CaseAnswer], turn: Turn) -> None:
    answers = _answers(turn)
    if answers is None:
        return _ended(turn)
    question_id, option_id = event.button.question, event.button.option
    if not turn.interview.is_valid_answer(question_id, option_id):
        return turn.stale_button()
    current = turn.interview.position(answers).question
    if current is None or current.id != question_id:
        if answers.get(question_id) == option_id:
            turn.actions.append(Toast(turn._("Already recorded")))
            return None
        return turn.stale_button()
    answers[question_id] = option_id
    _keep(turn, answers)
    turn.actions.append(Toast(turn._("Recorded")))
    following = turn.interview.position(answers).question
    if following is not None:
        turn.actions.append(EditOrigin(*_question(turn, answers, following)))
        return None
    option = current.option(option_id)
    turn.actions.append(EditOrigin(message("answered", turn.locale, notice=turn.notice, question=current,
                                           number=len(turn.interview.position(answers).answers),
                                           answer=option.label if option else option_id)))
    turn.actions.extend(_outcome_actions(turn, evaluate(turn.notice, answers)))
    return None


def on_case_back(event: ButtonPressed[CaseBack], turn: Turn) -> None:
    """◀ Back: answer the question before again (under the outcome: the last one)."""
    answers = _answers(turn)
    if answers is None:
        return _ended(turn)
    current = turn.interview.position(answers).question
    if (current.id if current is not None else "") != event.button.question:
        return turn.stale_button()
    previous = turn.interview.previous(answers, current.id if current is not None else None)
    if previous is None:
        turn.actions.append(Toast(turn._("This is the first question")))
        return None
    answers.pop(previous.id, None)
    _keep(turn, answers)
    turn.actions.append(Toast(""))
    turn.actions.append(Send(*_question(turn, answers, previous)))
    return None


def on_case_restart(event: ButtonPressed[CaseRestart], turn: Turn) -> None:
    if _answers(turn) is None:
        return _ended(turn)
    turn.actions.append(Toast(turn._("Starting over")))
    on_case(event, turn)
    return None


def _finished_case(turn: Turn) -> Outcome | None:
    answers = _answers(turn)
    if answers is None or not turn.interview.position(answers).finished:
        return None
    return evaluate(turn.notice, answers)


def on_case_attachments(event: ButtonPressed[CaseAttachments], turn: Turn) -> None:
    outcome = _finished_case(turn)
    if outcome is None:
        return _ended(turn)
    if not attachments_possible(turn, outcome):
        return turn.stale_button()
    turn.actions.append(Toast(""))
    ask_for_identity(turn, AnnexDraft(case=_answers(turn)), outcome)
    return None


def on_case_checklist_file(event: ButtonPressed[CaseChecklistFile], turn: Turn) -> None:
    outcome = _finished_case(turn)
    if outcome is None:
        return _ended(turn)
    turn.actions.append(Toast(""))
    html = outcome_html(turn.notice, outcome, turn.locale, (), today=turn.today())
    turn.actions.append(SendDocument(filename=f"case-{turn.notice.id}.html", content=html.encode("utf-8"),
                                     caption=turn._("The case's checklist as a page to open or print")))
    return None


def on_case_input(event: Event, turn: Turn) -> None:
    """Typed text or a file while a case is open: a case file is read, anything else re-prompted."""
    if isinstance(event, Attachment) and event.kind == "document":
        on_case_file(event, turn)
        return
    answers = _answers(turn) or {}
    turn.say("case_reprompt", kind="text" if isinstance(event, Text) else "other")
    question = turn.interview.position(answers).question
    if question is not None:
        turn.actions.append(Send(*_question(turn, answers, question)))


def on_case_file(event: Attachment, turn: Turn) -> None:
    """A case file sent as a document: the outcome, or the command line's one-line error."""
    name = event.file_name or "(document)"
    try:
        if event.content is None:
            if event.file_size is not None and event.file_size > MAX_CASE_BYTES:
                raise CaseFileError("(file)", f"is larger than {MAX_CASE_BYTES} bytes")
            raise CaseFileError("(file)", "could not be downloaded from Telegram; please send it again")
        case = validate_case(parse_case_bytes(event.content), turn.notice)
    except CaseFileError as exc:
        turn.say("case_file_invalid", line=f"invalid case file {name}: {exc}")
        return
    _keep(turn, case.answers)
    turn.actions.extend(_outcome_actions(turn, evaluate(turn.notice, case.answers)))


def register(registry: Registry) -> None:
    registry.command("case", N_("A specific case"), N_("what the notice says for a specific case, or send a case file"),
                     on_case, rank=120, role=HR_OR_CONTACT)
    registry.on_awaited(AWAIT_CASE, on_case_input, role=HR_OR_CONTACT)
    registry.on_button(CaseAnswer, on_case_answer, role=HR_OR_CONTACT)
    registry.on_button(CaseBack, on_case_back, role=HR_OR_CONTACT)
    registry.on_button(CaseRestart, on_case_restart, role=HR_OR_CONTACT)
    registry.on_button(CaseAttachments, on_case_attachments, role=HR_OR_CONTACT)
    registry.on_button(CaseChecklistFile, on_case_checklist_file, role=HR_OR_CONTACT)
    registry.on_file({"document"}, on_case_file, role=HR_OR_CONTACT)  # a case file sent outside /case
