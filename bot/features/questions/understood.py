"""A typed description understood (conversations.understand), shown to confirm: 我理解为：…, with ✅ 确认 and
✏️ 修改. Nothing is saved before ✅. This module holds what the applicant's chat (bot.features.questions)
and a /case (bot.features.case) share: the pending reading as JSON (so that it survives a restart in the
user's draft), its token (the buttons carry it: a button of an older reading is stale), the message and its
keyboard, and the question asked for each answer the description contradicts (which one holds)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.chat.actions import Button, Keyboard, Send
from bot.chat.buttons import CallbackData
from bot.chat.texts import message
from bot.chat.turn import Turn
from conversations.render import understanding_message
from conversations.situation import Contradiction
from conversations.understand import Understanding

BUTTON_LABEL_LIMIT = 24


@dataclass
class Pending:
    """A reading awaiting ✅ or ✏️: the answers read and the words each rests on, the token its buttons
    carry, the question the message also asked ('' if none; kept to answer it again once confirmed), whether
    ✅ was pressed (then only the contradictions are left to decide) and the decisions made on them (question
    -> option)."""

    answers: dict[str, str]
    evidence: dict[str, str]
    token: str
    question: str = ""
    confirmed: bool = False
    chosen: dict[str, str] = field(default_factory=dict)
    truncated: bool = False  # only the start of a very long message was read

    @classmethod
    def of(cls, understanding: Understanding, text: str) -> Pending:
        asked = text if understanding.question_answer is not None else ""
        return cls(
            dict(understanding.answers),
            dict(understanding.evidence),
            token_of(understanding.answers, text),
            asked,
            truncated=understanding.truncated,
        )

    @classmethod
    def load(cls, data: Any) -> Pending | None:
        if not isinstance(data, Mapping):
            return None
        try:
            pending = cls(**data)
        except TypeError:
            return None
        ok = (
            isinstance(pending.answers, dict)
            and isinstance(pending.evidence, dict)
            and isinstance(pending.chosen, dict)
            and isinstance(pending.token, str)
        )
        return pending if ok else None

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    def contradicted(self, stored: Mapping[str, str]) -> list[str]:
        """The questions it answers otherwise than `stored` that are not decided yet, in its order."""
        return [q for q, o in self.answers.items() if q in stored and stored[q] != o and q not in self.chosen]

    def merged(self, stored: Mapping[str, str]) -> dict[str, str]:
        """The stored answers with the new ones read and the decisions made (a contradicted answer not decided
        keeps the stored one)."""
        merged = dict(stored)
        for q, o in self.answers.items():
            if q not in stored:
                merged[q] = o
        merged.update(self.chosen)
        return merged

    def understanding(self, notice_id: str, stored: Mapping[str, str]) -> Understanding:
        """The reading as conversations.understand gives it, against the answers stored now."""
        contradictions = tuple(
            Contradiction(q, stored[q], o, self.evidence.get(q, ""))
            for q, o in self.answers.items()
            if q in stored and stored[q] != o
        )
        return Understanding(
            notice_id,
            dict(self.answers),
            dict(self.evidence),
            contradictions,
            truncated=self.truncated,
            stored=dict(stored),
        )


def token_of(answers: Mapping[str, str], text: str) -> str:
    """A short id of one reading (its buttons carry it)."""
    data = json.dumps([sorted(answers.items()), text], ensure_ascii=False)
    return hashlib.sha1(data.encode("utf-8")).hexdigest()[:10]


def worth_confirming(understanding: Understanding) -> bool:
    """Whether a description says anything not stored yet, or otherwise than stored."""
    return bool(understanding.new_answers or understanding.contradictions)


def understood_text(turn: Turn, pending: Pending, stored: Mapping[str, str], *, case: bool, state: str = "open") -> str:
    """我理解为：… with what happens next: open (awaiting ✅ or ✏️), confirmed or amended."""
    understood = understanding_message(turn.notice, pending.understanding(turn.notice.id, stored), turn.locale)
    return message("understood", turn.locale, understood=understood, case=case, state=state)


def keyboard(turn: Turn, confirm: CallbackData, amend: CallbackData) -> Keyboard:
    return ((confirm.button(turn._("✅ Confirm")), amend.button(turn._("✏️ Change"))),)


def ask_which_holds(
    turn: Turn, question_id: str, stored: str, found: str, words: str, keep: CallbackData, take: CallbackData
) -> Send:
    """Which answer holds, the earlier one or the description's: two buttons."""
    question = turn.notice.question(question_id)
    stored_label = option_label(turn, question_id, stored)
    found_label = option_label(turn, question_id, found)
    text = message(
        "understood_which",
        turn.locale,
        question=question.name if question else question_id,
        stored=stored_label,
        found=found_label,
        words=words,
    )
    rows: tuple[tuple[Button, ...], ...] = (
        (keep.button(turn._("Keep: %(answer)s") % {"answer": _short(stored_label)}),),
        (take.button(turn._("Change to: %(answer)s") % {"answer": _short(found_label)}),),
    )
    return Send(text, rows)


def option_label(turn: Turn, question_id: str, option_id: str) -> str:
    question = turn.notice.question(question_id)
    option = question.option(option_id) if question else None
    return option.label if option else option_id


def _short(label: str) -> str:
    return label if len(label) <= BUTTON_LABEL_LIMIT else label[: BUTTON_LABEL_LIMIT - 1] + "…"


def labels(turn: Turn, answers: Mapping[str, str]) -> list[str]:
    """question name and option label of each answer, in the interview's order."""
    order = {q.id: i for i, q in enumerate(turn.notice.questions)}
    out = []
    for q, o in sorted(answers.items(), key=lambda qo: order.get(qo[0], len(order))):
        question = turn.notice.question(q)
        out.append(f"{question.name if question else q} {option_label(turn, q, o)}")
    return out
