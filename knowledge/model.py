"""The notice as typed, immutable data. Built by knowledge.loader from a validated file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --- predicate expressions: parsed at load from the file's forms into typed, immutable values ---
# (a name, "always", {answer: q, in: [...]}, {all: [...]}, {any: [...]}, {not: ...});
# conversations.predicates compiles them into functions of the answers.


@dataclass(frozen=True)
class Always:
    pass


@dataclass(frozen=True)
class Named:
    name: str  # a predicate of the notice's `predicates` section


@dataclass(frozen=True)
class AnswerIn:
    question: str
    options: frozenset[str]


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    part: Expr


Expr = Always | Named | AnswerIn | AllOf | AnyOf | Not
ALWAYS = Always()


def parse_expr(raw: Any) -> Expr:
    """The typed expression of a form as written in a (validated) knowledge file."""
    if isinstance(raw, str):
        return ALWAYS if raw == "always" else Named(raw)
    if isinstance(raw, dict):
        if "answer" in raw:
            return AnswerIn(str(raw["answer"]), frozenset(str(o) for o in raw["in"]))
        if "all" in raw:
            return AllOf(tuple(parse_expr(e) for e in raw["all"]))
        if "any" in raw:
            return AnyOf(tuple(parse_expr(e) for e in raw["any"]))
        if "not" in raw:
            return Not(parse_expr(raw["not"]))
    raise ValueError(f"not a predicate expression: {raw!r}")


VERDICTS = ("ineligible", "not_covered", "other_route", "conditional", "eligible")
# A rule with one of these verdicts ends the interview when it holds, unless it says otherwise
# (ends_interview: false, for example a route that the applicant may still fall back from).
DECISIVE_VERDICTS = frozenset({"ineligible", "not_covered", "other_route"})
# What an ineligible verdict bars, from the narrowest to the broadest: the chosen level, this
# year's evaluation, a period (a sanction or ban), or applying under this notice at all.
BARS = ("level", "year", "period", "person")


@dataclass(frozen=True)
class NoticeInfo:
    id: str
    number: str
    title: str
    issuer: str
    date: dt.date
    timezone: str
    text_file: str
    conditions_document: str
    platform: str
    lexicon_file: str | None = None


@dataclass(frozen=True)
class Contacts:
    ref: str
    people: tuple[str, ...]
    phones: tuple[str, ...]
    address: str
    quote: str


@dataclass(frozen=True)
class Clause:
    ref: str
    heading: str


@dataclass(frozen=True)
class Level:
    id: str
    name: str


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    deadline: str | None = None  # id of the deadline by which the stage must be finished


@dataclass(frozen=True)
class Deadline:
    id: str
    title: str
    due: dt.date | None
    due_text: str
    ref: str
    quote: str
    inclusive: bool = True
    when: Expr = ALWAYS
    note: str | None = None


@dataclass(frozen=True)
class Season:
    """Which deadlines make the season: `submission` closes the applications, `final` ends it."""

    name: str
    submission: str
    final: str
    closing_days: int


@dataclass(frozen=True)
class WorkingDayDate:
    """A date worked out in working days: the latest start of `working_days` working days that
    end before the last day of the deadline `end_before`."""

    id: str
    title: str
    working_days: int
    end_before: str
    ref: str
    quote: str
    when: Expr = ALWAYS
    interpretation: str | None = None


@dataclass(frozen=True)
class Interpretation:
    id: str
    ref: str
    question: str
    choice: str
    reason: str


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    ref: str
    options: tuple[Option, ...]
    ask_if: Expr = ALWAYS
    help: str | None = None
    see_also: tuple[str, ...] = ()  # further clauses the question rests on
    carry_over: bool = True  # False: the answer is about this season only; asked anew under the next notice
    short: str | None = None  # the question in a word or two, for a summary (身份, 拟申报)

    @property
    def name(self) -> str:
        """The question's short name, else its text."""
        return self.short or self.text.rstrip("？?")

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.ref, *self.see_also)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Rule:
    id: str
    verdict: str
    when: Expr
    reason: str
    ref: str
    quote: str
    ends_interview: bool | None = None  # None: as its verdict says (DECISIVE_VERDICTS)
    bar: str | None = None  # ineligible rules: one of BARS (default "person")
    retry: str | None = None  # a question whose answer the applicant may change to get past this rule

    @property
    def decisive(self) -> bool:
        return self.verdict in DECISIVE_VERDICTS if self.ends_interview is None else self.ends_interview


@dataclass(frozen=True)
class Note:
    id: str
    when: Expr
    text: str
    ref: str
    quote: str


@dataclass(frozen=True)
class Variant:
    when: Expr
    quote: str
    title: str | None = None
    detail: str | None = None
    copies: int | None = None
    ref: str | None = None  # the clause this variant rests on, if not the item's
    label: str | None = None  # who the variant is for, as an answer names it (初级)
    unclear: bool = False  # the notice leaves this case open: an answer naming it gives the contacts


@dataclass(frozen=True)
class RecognizedDocument:
    """A document an upload may be: its name and words printed on it."""

    name: str
    words: tuple[str, ...]
    sensitive: bool = False  # only its presence is confirmed (an ID card)


@dataclass(frozen=True)
class Recognition:
    """How an upload is recognised as an item: the documents it may be, the word that tells it from
    another item of the same document (专业科目/公需科目), the years and the 字数 bounds the item's
    quote names (read at load)."""

    documents: tuple[RecognizedDocument, ...]
    kind: str | None = None
    years: tuple[int, ...] = ()  # dated items: every year asked for (2016-2020: five years)
    characters: tuple[int, int] | None = None  # counted items: the least and most 字数
    interpretation: str | None = None  # id of the reading the check rests on


@dataclass(frozen=True)
class Item:
    id: str
    stage: str
    title: str
    detail: str
    ref: str
    quote: str
    when: Expr = ALWAYS
    copies: int | None = None
    exempt_when: Expr | None = None
    exempt_reason: str | None = None
    exempt_ref: str | None = None
    variants: tuple[Variant, ...] = ()
    base_label: str | None = None  # who the item's own wording is for, when it has variants (高、中级)
    base_quote: str | None = None  # the notice's words for the item's own case alone (its quote covers all)
    base_ref: str | None = None  # the clause of base_quote, if not the item's
    generic: Mapping[str, str] = field(default_factory=dict)  # placeholder -> its words when no one is known
    recognize: Recognition | None = None


@dataclass(frozen=True)
class Cited:
    """A requirement with the clause and the notice's words it rests on."""

    ref: str
    quote: str


@dataclass(frozen=True)
class UploadRules:
    """What the notice requires of uploaded scans: the formats the platform takes as they are (as the
    notice writes them: `label`), upright, legible."""

    formats: tuple[str, ...]
    label: str
    format: Cited
    upright: Cited
    legible: Cited


@dataclass(frozen=True)
class Attachment:
    id: str
    ref: str
    title: str
    paragraphs: tuple[str, ...]
    fields: tuple[str, ...] = ()
    heading: tuple[str, ...] = ()  # the template's own heading lines (公 示 结 果)
    level_words: dict[str, str] = field(default_factory=dict)  # level id -> the word of the level blank
    interpretations: tuple[str, ...] = ()  # readings chosen to fill the template


@dataclass(frozen=True)
class UnitDuty:
    """A duty of the recommending unit (单位人事/职改部门) for an applicant it recommends."""

    id: str
    title: str
    text: str
    ref: str
    quote: str
    when: Expr = ALWAYS
    see_also: tuple[str, ...] = ()
    wording: str | None = None  # words the unit writes by hand, exactly
    working_day_date: str | None = None  # id of the working-day date that times the duty
    paper_stage: str | None = None  # the applicant's checklist items of this stage (paper materials)
    deadline: str | None = None  # id of the deadline that closes the duty
    interpretations: tuple[str, ...] = ()  # the readings chosen where the notice is not explicit
    unclear: bool = False  # the notice leaves part of it open: say so and give the contacts


# What a topic or the lexicon may point at: "rule:retired", "item:awards", … or "contacts"
# (the lexicon also at "topic:ID" and "clause:REF").
TARGET_SECTIONS = {
    "rule": "rules",
    "note": "notes",
    "item": "items",
    "deadline": "deadlines",
    "question": "questions",
    "interpretation": "interpretations",
    "attachment": "attachments",
}
CONTACTS_TARGET = "contacts"


@dataclass(frozen=True)
class Topic:
    """An answer composed of the entries it points at (the first is the main one), or with words
    of its own (`answer`, with `ref` and `quote` when it quotes a clause). settled=False: the notice
    does not settle it, the answer says so and gives the contacts."""

    id: str
    points_to: tuple[str, ...] = ()
    title: str | None = None
    answer: str | None = None
    ref: str | None = None
    quote: str | None = None
    settled: bool = True


@dataclass(frozen=True)
class Review:
    """An entry of a draft that a person must still settle (`review: <reason>` in the file)."""

    entry: str  # as the loader names it: items[3] (id=awards), contacts, notice
    reason: str


@dataclass(frozen=True, eq=False)  # identity hash: a loaded notice is a value object
class Notice:
    source: Path
    info: NoticeInfo
    contacts: Contacts
    clauses: tuple[Clause, ...]
    levels: tuple[Level, ...]
    stages: tuple[Stage, ...]
    deadlines: tuple[Deadline, ...]
    interpretations: tuple[Interpretation, ...]
    predicates: Mapping[str, Expr]  # read-only
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    notes: tuple[Note, ...]
    items: tuple[Item, ...]
    attachments: tuple[Attachment, ...]
    text: str = field(repr=False, default="")
    season: Season | None = None
    working_day_dates: tuple[WorkingDayDate, ...] = ()
    topics: tuple[Topic, ...] = ()
    unit_duties: tuple[UnitDuty, ...] = ()
    reviews: tuple[Review, ...] = ()  # a draft's entries marked for review (load_notice(..., allow_review=True))
    lexicon: Lexicon | None = field(repr=False, default=None)  # how people type about it (knowledge.lexicon)
    uploads: UploadRules | None = None

    @property
    def id(self) -> str:
        return self.info.id

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def clause(self, ref: str) -> Clause | None:
        return next((c for c in self.clauses if c.ref == ref), None)

    def level(self, level_id: str) -> Level | None:
        return next((lv for lv in self.levels if lv.id == level_id), None)

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def deadline(self, deadline_id: str) -> Deadline | None:
        return next((d for d in self.deadlines if d.id == deadline_id), None)

    def interpretation(self, interpretation_id: str) -> Interpretation | None:
        return next((x for x in self.interpretations if x.id == interpretation_id), None)

    def attachment(self, ref: str) -> Attachment | None:
        """The attachment by its clause ref (附件1) or id."""
        return next((a for a in self.attachments if ref in (a.ref, a.id)), None)


# --- the lexicon: how people type about a notice (knowledge/lexicon.py loads and checks it) ---


@dataclass(frozen=True)
class Thing:
    """Something the notice is about (a document, a deadline, a level, a kind of unit …), with every
    form people type for it: names, abbreviations, colloquial forms, common typos, traditional forms."""

    id: str
    names: tuple[str, ...]
    answers: Mapping[str, str] = field(default_factory=dict)  # question kind or "default" -> target
    sets: Mapping[str, str] = field(default_factory=dict)  # interview question -> the option a mention selects
    parents: tuple[str, ...] = ()  # broader things it counts as in routes (管寺 is a grassroots service)
    weight: float = 1.0  # how much a mention says about what is asked (low for 申报, 材料)
    covered: bool = True  # False: the notice does not cover it (兵团): the answer says so
    open_kinds: tuple[str, ...] = ()  # kinds of question about it the notice leaves open (the format of a proof)
    patterns: tuple[str, ...] = ()  # regular expressions (with {thing} macros) that also name it (评上工程师之前)


@dataclass(frozen=True)
class QuestionKind:
    """A kind of question (when, how many copies, which seal …) and the words that mark it."""

    id: str
    markers: tuple[str, ...]
    contingency: bool = False  # asks what happens in a case (怎么办): an item says what to provide, not that
    expects: tuple[str, ...] = ()  # patterns one of which an answer of this kind states (a date, a number of days)
    patterns: tuple[str, ...] = ()  # regular expressions that also mark it (盖…章)
    alone: str | None = None  # the entry answering this kind asked with no subject (什么时候截止)


@dataclass(frozen=True)
class Route:
    """The target that answers a question naming all of `things` (or things that count as them),
    asked as one of `kinds` (empty: any kind)."""

    things: tuple[str, ...]
    answer: str
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutsideTopic:
    """A subject the notice does not deal with at all (fees, results, salaries, other series …)."""

    id: str
    markers: tuple[str, ...]


@dataclass(frozen=True)
class SituationRule:
    """Interview answers a description states: `sets` when one of `patterns` (regular expressions
    over the normalised text, with {macro} for a thing's names or a word list) matches; `negated`
    instead when a negation stands right before the match (nothing is set if it is absent); `earlier`
    instead when the clause speaks of a year before the notice's (去年, 2019年)."""

    sets: Mapping[str, str]
    patterns: tuple[str, ...]
    negated: Mapping[str, str] | None = None
    earlier: Mapping[str, str] | None = None  # what it sets instead for a clause about a year before the notice's
    hedged: bool = False  # it says an uncertainty itself (不知道够不够条件): it holds in a hedged sentence
    expires_after: int | None = None  # years after which what it says no longer holds (a ban of five years)
    expired: Mapping[str, str] | None = None  # what it sets instead then
    of_unit: Mapping[str, str] | None = None  # what it sets instead when said of the writer's unit
    withdraws: Mapping[str, str] | None = None  # answers it withdraws where both were read
    yields: bool = False  # it gives way to any other answer read for the same question (在职 to 退休返聘)


@dataclass(frozen=True)
class Persons:
    """Who a description speaks of: words for the writer, the unit, a third person, someone else, and
    patterns introducing or naming a person; words before a person that make it an object."""

    self: tuple[str, ...] = ()
    unit: tuple[str, ...] = ()
    third: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    introducing: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Detail:
    """A detail a question may ask for beyond its subject (a time of day, how recent, a colour, who
    signs): `asks` are patterns over the folded question, `stated` patterns over an answer's words one of
    which states it (none: the notice never does)."""

    id: str
    asks: tuple[str, ...]
    stated: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Lexicon:
    source: Path
    fillers: tuple[str, ...]  # words that carry nothing in a question (您好, 请问, 一下)
    negations: tuple[str, ...]  # 没有, 未, 不是 …
    past: tuple[str, ...]  # words that put a statement in the past (原来, 以前): a later statement wins
    years: Mapping[str, int]  # relative years: 今年 0, 去年 -1 … (against the notice's year)
    kinds: tuple[QuestionKind, ...]
    things: tuple[Thing, ...]
    routes: tuple[Route, ...] = ()
    outside: tuple[OutsideTopic, ...] = ()
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # word lists for situation patterns
    open_points: tuple[str, ...] = ()  # words asking for a detail the notice does not settle (底色, 电子签名)
    several: tuple[str, ...] = ()  # words saying a description is about several people (两个人): rivals are dropped
    function_words: tuple[str, ...] = ()  # words naming nothing (可以, 这个): the rest of a question is content
    alternatives: tuple[str, ...] = ()  # words joining alternatives asked about (还是)
    acceptability: tuple[str, ...] = ()  # words asking whether something proposed is accepted (可以吗, 算不算)
    conditions: tuple[str, ...] = ()  # words opening a case supposed (如果, 要是)
    condition_ends: tuple[str, ...] = ()  # words closing a case supposed (的话)
    hedges: tuple[str, ...] = ()  # words making a description uncertain (好像, 可能)
    future: tuple[str, ...] = ()  # words putting what follows in the future (快要退休, 明年报高工)
    besides: tuple[str, ...] = ()  # words naming what a question is not about (除了)
    persons: Persons = field(default_factory=Persons)
    details: tuple[Detail, ...] = ()
    situations: tuple[SituationRule, ...] = ()

    def thing(self, thing_id: str) -> Thing | None:
        return next((t for t in self.things if t.id == thing_id), None)
