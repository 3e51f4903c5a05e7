"""/case: what the notice says for a specific case, for the unit's HR and the office's contact
persons. The same questions for a hypothetical applicant, or a case file (YAML or JSON, the format
of `zhicheng-bot case`) sent as a document; the outcome comes with the unit's duties for the case
and the attachments to print.

The case lives in the user's wizard draft (users.awaiting_data under the awaited key "case"): it
never touches the user's own interview, is never stored as an applicant (no interview, answer or
tick rows) and so never counts in statistics; any command ends it.

A description typed within the case (我们单位有个援疆的工程师，援派期两年，想报高工) is read the same way as
an applicant's (bot.features.questions.understood): shown as understood with ✅ 确认 and ✏️ 修改, kept in
the case's draft until one is pressed; ✅ takes the answers into the case (asking which one holds where
they contradict the case's), and the case goes on with the questions still open. A question typed
within the case is answered by the case's answers, and the case's question follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.chat.actions import Button, EditOrigin, Keyboard, Send, SendDocument, Toast
from bot.chat.buttons import CallbackData
from bot.chat.drafts import Draft
from bot.chat.events import Attachment, ButtonPressed, Event, Text
from bot.chat.registry import N_, Registry
from bot.chat.texts import message
from bot.chat.turn import Turn
from bot.features.questions.handlers import unreadable
from bot.features.questions.understood import (
    Pending,
    ask_which_holds,
    keyboard,
    labels,
    option_label,
    understood_text,
    worth_confirming,
)
from bot.features.units.hr import HR_OR_CONTACT, AnnexDraft, ask_for_identity, attachments_possible
from conversations.casefile import MAX_CASE_BYTES, CaseFileError, parse_case_bytes, validate_case
from conversations.outcome import Outcome, evaluate
from conversations.qa import looks_like_question
from conversations.render import (
    checklist_messages,
    duties_messages,
    head_messages,
    outcome_html,
    qa_messages,
    tail_messages,
)
from conversations.understand import understand
from conversations.unit_duties import unit_duties
from knowledge.model import Question

AWAIT_CASE = "case"


@dataclass
class CaseDraft(Draft):
    """The case being answered: its answers only (nothing about a person), and a description read for it
    awaiting ✅ or ✏️ (understood.Pending as JSON)."""

    answers: dict[str, str]
    pending: dict[str, Any] | None = None


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


@dataclass(frozen=True)
class CaseConfirm(CallbackData, prefix="cs.ok"):
    """✅ 确认: take the answers a description was read to give into the case."""

    token: str


@dataclass(frozen=True)
class CaseAmend(CallbackData, prefix="cs.edit"):
    """✏️ 修改: answer the case's questions with the buttons instead."""

    token: str


@dataclass(frozen=True)
class CaseKeep(CallbackData, prefix="cs.keep"):
    """The case's earlier answer holds over the description's."""

    token: str
    question: str


@dataclass(frozen=True)
class CaseTake(CallbackData, prefix="cs.take"):
    """The description's answer replaces the case's earlier one."""

    token: str
    question: str


def _answers(turn: Turn) -> dict[str, str] | None:
    """The case's answers, while a case is open."""
    draft = turn.draft(AWAIT_CASE, CaseDraft)
    return {str(k): str(v) for k, v in draft.answers.items()} if draft and isinstance(draft.answers, dict) else None


def _keep(turn: Turn, answers: dict[str, str], pending: Pending | None = None) -> None:
    turn.keep_draft(AWAIT_CASE, CaseDraft(answers, pending.dump() if pending else None))


def _pending(turn: Turn, token: str) -> tuple[dict[str, str], Pending] | None:
    """The case's answers and the description awaiting ✅ or ✏️ with this token."""
    draft = turn.draft(AWAIT_CASE, CaseDraft)
    answers = _answers(turn)
    pending = Pending.load(draft.pending) if draft is not None and draft.pending else None
    if answers is None or pending is None or pending.token != token:
        return None
    return answers, pending


def _question(turn: Turn, answers: dict[str, str], question: Question) -> tuple[str, Keyboard]:
    position = turn.interview.position(answers)
    path = list(position.answers)
    number = path.index(question.id) + 1 if question.id in path else len(path) + 1
    filled = round(10 * (number - 1) / max(position.total, 1))
    text = message(
        "case_question",
        turn.locale,
        notice=turn.notice,
        question=question,
        number=number,
        total=max(position.total, number),
        bar="▰" * filled + "▱" * (10 - filled),
    )
    rows: list[tuple[Button, ...]] = [(CaseAnswer(question.id, o.id).button(o.label),) for o in question.options]
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
    turn.actions.append(
        EditOrigin(
            message(
                "answered",
                turn.locale,
                notice=turn.notice,
                question=current,
                number=len(turn.interview.position(answers).answers),
                answer=option.label if option else option_id,
            )
        )
    )
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
    turn.actions.append(
        SendDocument(
            filename=f"case-{turn.notice.id}.html",
            content=html.encode("utf-8"),
            caption=turn._("The case's checklist as a page to open or print"),
        )
    )
    return None


def on_case_input(event: Event, turn: Turn) -> None:
    """Typed text or a file while a case is open: a case file is read, a description is shown as understood
    to confirm, a question is answered by the case's answers; anything else is re-prompted."""
    if isinstance(event, Attachment) and event.kind == "document":
        on_case_file(event, turn)
        return
    answers = _answers(turn) or {}
    if isinstance(event, Text):
        kind = unreadable(event.text)
        if kind is not None:
            turn.say("unreadable", kind=kind)
            _ask_next(turn, answers)
            return
        u = understand(turn.notice, event.text, answers, today=turn.today())
        if worth_confirming(u):
            pending = Pending.of(u, event.text)
            _keep(turn, answers, pending)
            turn.actions.append(
                Send(
                    understood_text(turn, pending, answers, case=True),
                    keyboard(turn, CaseConfirm(pending.token), CaseAmend(pending.token)),
                )
            )
            if u.question_answer is not None:
                turn.actions.extend(Send(t) for t in qa_messages(turn.notice, u.question_answer, turn.locale))
            return
        if u.question_answer is not None and (looks_like_question(event.text) or u.question_answer.answered):
            # a question typed within the case: answered by the case's answers, then the case's question
            turn.actions.extend(Send(t) for t in qa_messages(turn.notice, u.question_answer, turn.locale))
            _ask_next(turn, answers)
            return
    turn.say("case_reprompt", kind="text" if isinstance(event, Text) else "other")
    _ask_next(turn, answers)


def _ask_next(turn: Turn, answers: dict[str, str]) -> None:
    question = turn.interview.position(answers).question
    if question is not None:
        turn.actions.append(Send(*_question(turn, answers, question)))


def on_case_confirm(event: ButtonPressed[CaseConfirm], turn: Turn) -> None:
    found = _pending(turn, event.button.token)
    if found is None or found[1].confirmed:
        return _no_longer_open(turn, found is not None)
    answers, pending = found
    turn.actions.append(Toast(turn._("Confirmed")))
    turn.actions.append(EditOrigin(understood_text(turn, pending, answers, case=True, state="confirmed")))
    pending.confirmed = True
    _case_go_on(turn, answers, pending)
    return None


def _no_longer_open(turn: Turn, deciding: bool) -> None:
    if deciding:  # a double tap while a contradiction is being decided
        turn.actions.append(Toast(turn._("Already recorded")))
        return
    turn.actions.append(Toast(turn._("This confirmation is no longer open")))
    turn.say("understood_expired")
    answers = _answers(turn)
    if answers is not None:
        _ask_next(turn, answers)


def _case_go_on(turn: Turn, answers: dict[str, str], pending: Pending) -> None:
    contradicted = pending.contradicted(answers)
    if contradicted:
        _keep(turn, answers, pending)
        q = contradicted[0]
        turn.actions.append(
            ask_which_holds(
                turn,
                q,
                answers[q],
                pending.answers[q],
                pending.evidence.get(q, ""),
                CaseKeep(pending.token, q),
                CaseTake(pending.token, q),
            )
        )
        return
    merged = pending.merged(answers)
    changed = {q: o for q, o in merged.items() if answers.get(q) != o}
    _keep(turn, merged)
    following = turn.interview.position(merged).question
    turn.say("understood_saved", saved=labels(turn, changed), case=True, finished=following is None)
    if following is not None:
        turn.actions.append(Send(*_question(turn, merged, following)))
    else:
        turn.actions.extend(_outcome_actions(turn, evaluate(turn.notice, merged)))


def on_case_decide(event: ButtonPressed[CaseKeep] | ButtonPressed[CaseTake], turn: Turn) -> None:
    found = _pending(turn, event.button.token)
    question = event.button.question
    if found is None or not found[1].confirmed or question not in found[1].answers:
        return _no_longer_open(turn, False)
    answers, pending = found
    if question in pending.chosen or question not in answers:
        turn.actions.append(Toast(turn._("Already recorded")))
        return None
    keep = isinstance(event.button, CaseKeep)
    pending.chosen[question] = answers[question] if keep else pending.answers[question]
    turn.actions.append(Toast(turn._("Recorded")))
    label = option_label(turn, question, pending.chosen[question])
    turn.actions.append(EditOrigin(turn._("Holds: %(answer)s") % {"answer": label}))
    _case_go_on(turn, answers, pending)
    return None


def on_case_amend(event: ButtonPressed[CaseAmend], turn: Turn) -> None:
    found = _pending(turn, event.button.token)
    if found is None or found[1].confirmed:
        return _no_longer_open(turn, False)
    answers, pending = found
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(understood_text(turn, pending, answers, case=True, state="amended")))
    _keep(turn, answers)
    _ask_next(turn, answers)
    return None


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
    registry.command(
        "case",
        N_("A specific case"),
        N_("what the notice says for a specific case, or send a case file"),
        on_case,
        rank=120,
        role=HR_OR_CONTACT,
    )
    registry.on_awaited(AWAIT_CASE, on_case_input, role=HR_OR_CONTACT)
    registry.on_button(CaseAnswer, on_case_answer, role=HR_OR_CONTACT)
    registry.on_button(CaseBack, on_case_back, role=HR_OR_CONTACT)
    registry.on_button(CaseRestart, on_case_restart, role=HR_OR_CONTACT)
    registry.on_button(CaseAttachments, on_case_attachments, role=HR_OR_CONTACT)
    registry.on_button(CaseChecklistFile, on_case_checklist_file, role=HR_OR_CONTACT)
    registry.on_button(CaseConfirm, on_case_confirm, role=HR_OR_CONTACT)
    registry.on_button(CaseAmend, on_case_amend, role=HR_OR_CONTACT)
    registry.on_button(CaseKeep, on_case_decide, role=HR_OR_CONTACT)
    registry.on_button(CaseTake, on_case_decide, role=HR_OR_CONTACT)
    registry.on_file({"document"}, on_case_file, role=HR_OR_CONTACT)  # a case file sent outside /case
