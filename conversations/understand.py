"""One typed message understood whole: the interview answers it states (conversations.situation), the
ones that contradict what the asker answered before, and, when it also asks something, the answer
(conversations.qa). The chat shows the answers read for confirmation (✅ 确认 / ✏️ 修改), saves
nothing before ✅, asks which answer holds where they contradict, and then asks only the questions
still open (conversations.interview). Pure and synchronous.

    u = understand(notice, "援派两年想报高工要交什么", stored_answers=state.answers, today=today)
    u.answers        {"unit_type": "aid_xinjiang", "aid_term": "over_one_year_serving", "level": "associate_senior"}
    u.evidence       {"unit_type": "援派", "aid_term": "援派两年", "level": "想报高工"}
    u.contradictions ()                       # (Contradiction(question, stored, found, words), …)
    u.question_answer                         # qa.Answer, or None for a pure description
    u.merged(stored)                          # stored answers with the new ones (not the contradicting ones)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from conversations.qa import Answer, answer_reading, looks_like_question
from conversations.reader import reader_for
from conversations.situation import Contradiction, contradictions, read_situation
from knowledge.model import Notice


@dataclass(frozen=True)
class Understanding:
    notice_id: str
    answers: dict[str, str]  # question id -> option id, as stated in the text (interview order)
    evidence: dict[str, str]  # question id -> the words as typed
    contradictions: tuple[Contradiction, ...] = ()
    question_answer: Answer | None = None  # the text also asks something: its answer (by the stored answers)
    truncated: bool = False  # only the start of a very long text was read
    stored: dict[str, str] = field(default_factory=dict)

    @property
    def new_answers(self) -> dict[str, str]:
        """The answers read that are not stored yet (neither the same nor contradicting)."""
        return {q: o for q, o in self.answers.items() if q not in self.stored}

    @property
    def understood(self) -> bool:
        return bool(self.answers)

    def merged(self, choose: Mapping[str, str] | None = None) -> dict[str, str]:
        """The stored answers with the new ones; for a contradicted question, the option `choose`
        gives for it (the asker's decision), else the stored one."""
        merged = {**self.stored, **self.new_answers}
        for c in self.contradictions:
            merged[c.question] = (choose or {}).get(c.question, c.stored)
        return merged


def understand(
    notice: Notice,
    text: str,
    stored_answers: Mapping[str, str] | None = None,
    *,
    today: dt.date | None = None,
) -> Understanding:
    """What the text states about the asker's case and, if it asks something, the answer."""
    stored = dict(stored_answers or {})
    situation = read_situation(notice, text)
    reading = reader_for(notice).read(text)
    asks = looks_like_question(text) or bool(reading.kinds)
    return Understanding(
        notice_id=notice.id,
        answers=situation.answers,
        evidence=situation.evidence,
        contradictions=contradictions(stored, situation),
        question_answer=answer_reading(notice, reading, stored, today, situation.answers) if asks else None,
        truncated=situation.truncated,
        stored=stored,
    )
