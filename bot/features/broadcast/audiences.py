"""The filters a contact person combines into a broadcast's audience, one entry each: the wizard
(bot.features.broadcast) shows every entry of FILTERS as a row of toggle buttons and builds the
bot.population.Audience from the values chosen. A new filter is one more entry here, with its
dimension in Audience."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.chat.registry import N_
from bot.chat.turn import Turn
from bot.store.population import Audience

# Verdicts as the office names them (the applicant's own wording is in conversations/templates).
VERDICT_NAMES = {
    "eligible": N_("Eligible"),
    "conditional": N_("Eligible once a condition is met"),
    "other_route": N_("Another route"),
    "ineligible": N_("Not eligible"),
    "not_covered": N_("Not covered by the notice"),
}
UNTICKED = "unticked"
UNFINISHED = "unfinished"


@dataclass(frozen=True)
class AudienceFilter:
    key: str  # in callback data and in the wizard's draft: one lower-case letter
    title: str  # msgid: what the filter selects by
    options: Callable[[Turn], list[tuple[str, str]]]  # (value, label) to choose among
    narrow: Callable[[Audience, frozenset[str]], Audience]  # the audience with the values chosen
    chosen: Callable[[Audience], frozenset[str]]  # the values an audience holds (narrow's inverse)
    exclusive: bool = False  # at most one value (choosing one drops the other)


def notice_options(turn: Turn) -> list[tuple[str, str]]:
    """The notice the bot runs on, and any other notice applicants answered under."""
    found = {row[0] for row in turn.database.execute("SELECT DISTINCT notice_id FROM interviews WHERE started = 1")}
    ids = sorted(found | {turn.notice.id})
    return [(i, turn.notice.info.number if i == turn.notice.id else i) for i in ids]


def level_options(turn: Turn) -> list[tuple[str, str]]:
    question = turn.interview.question("level")
    return [(o.id, o.label.split("（")[0]) for o in question.options] if question else []


def verdict_options(turn: Turn) -> list[tuple[str, str]]:
    return [(v, turn._(name)) for v, name in VERDICT_NAMES.items()]


def unit_options(turn: Turn) -> list[tuple[str, str]]:
    """The units created for HR (bot.units), by name; applicants linked to one of those chosen."""
    return [(str(uid), name) for uid, name in turn.database.execute("SELECT id, name FROM units ORDER BY id")]


def progress_options(turn: Turn) -> list[tuple[str, str]]:
    return [(UNTICKED, turn._("Items not yet ticked")), (UNFINISHED, turn._("Questions not finished"))]


def _progress_chosen(audience: Audience) -> frozenset[str]:
    return frozenset(
        value for value, on in ((UNTICKED, audience.unticked_only), (UNFINISHED, audience.unfinished_only)) if on
    )


FILTERS: tuple[AudienceFilter, ...] = (
    AudienceFilter(
        "n", N_("Notice"), notice_options, lambda a, v: dataclasses.replace(a, notices=v), lambda a: a.notices
    ),
    AudienceFilter("l", N_("Level"), level_options, lambda a, v: dataclasses.replace(a, levels=v), lambda a: a.levels),
    AudienceFilter(
        "v", N_("Verdict"), verdict_options, lambda a, v: dataclasses.replace(a, verdicts=v), lambda a: a.verdicts
    ),
    AudienceFilter(
        "u",
        N_("Unit"),
        unit_options,
        lambda a, v: dataclasses.replace(a, units=frozenset(int(u) for u in v)),
        lambda a: frozenset(str(u) for u in a.units),
    ),
    AudienceFilter(
        "p",
        N_("Progress"),
        progress_options,
        lambda a, v: dataclasses.replace(a, unticked_only=UNTICKED in v, unfinished_only=UNFINISHED in v),
        _progress_chosen,
        exclusive=True,
    ),
)
BY_KEY = {f.key: f for f in FILTERS}

Choices = Mapping[str, list[str]]  # filter key -> values chosen (the wizard's draft, JSON)


def audience_of(choices: Choices) -> Audience:
    audience = Audience()
    for entry in FILTERS:
        values = frozenset(choices.get(entry.key, ()))
        if values:
            audience = entry.narrow(audience, values)
    return audience


def choices_of(audience: Audience) -> dict[str, list[str]]:
    """The wizard's choices that make this audience (a stored broadcast's, described in words)."""
    return {entry.key: sorted(values) for entry in FILTERS if (values := entry.chosen(audience))}


def toggled(choices: Choices, key: str, value: str) -> dict[str, list[str]]:
    """The choices with `value` of filter `key` switched on or off."""
    entry = BY_KEY[key]
    result = {k: list(v) for k, v in choices.items()}
    chosen = result.get(key, [])
    if value in chosen:
        chosen = [v for v in chosen if v != value]
    else:
        chosen = [value] if entry.exclusive else sorted([*chosen, value])
    result[key] = chosen
    return {k: v for k, v in result.items() if v}


Labels = dict[str, dict[str, str]]  # filter key -> value -> label


def labels_of(turn: Turn) -> Labels:
    """Every filter's values and their labels, as the wizard's buttons show them."""
    return {entry.key: dict(entry.options(turn)) for entry in FILTERS}


def describe(turn: Turn, choices: Choices, labels: Labels | None = None) -> str:
    """The audience in words: 全部申报人, or each filter with its values (and between filters).
    `labels` (labels_of) saves looking the values up again when describing several audiences."""
    parts = []
    for entry in FILTERS:
        chosen = choices.get(entry.key, ())
        if chosen:
            names = labels[entry.key] if labels is not None else dict(entry.options(turn))
            values = turn._(", ").join(names.get(v, v) for v in chosen)
            parts.append(turn._("%(filter)s: %(values)s") % {"filter": turn._(entry.title), "values": values})
    return turn._("; ").join(parts) if parts else turn._("All applicants")


def valid(turn: Turn, key: str, value: str) -> bool:
    entry = BY_KEY.get(key)
    return entry is not None and value in dict(entry.options(turn))
