"""Rendering the outcome: Telegram's limits, escaping, splitting at item boundaries."""

from __future__ import annotations

import dataclasses
import html
import itertools
import random

import pytest

from conversations.outcome import ChecklistItem, Outcome
from conversations.render import TELEGRAM_LIMIT, checklist_messages, outcome_html, outcome_messages, pack
from knowledge import default_notice
from tests.support.offline import check_html

# Both modules read every path's outcome (conftest.every_outcome): one worker evaluates them once.
pytestmark = pytest.mark.xdist_group("every_outcome")

NOTICE = default_notice()


@pytest.fixture(scope="module")
def sampled_outcomes(every_outcome: list[tuple[dict[str, str], Outcome]]) -> list[Outcome]:
    """300 outcomes drawn from every path (walked once per session), and the longest checklist."""
    rng = random.Random(2021)
    chosen = [outcome for _, outcome in rng.sample(every_outcome, 300)]
    longest = max((outcome for _, outcome in every_outcome), key=lambda o: len(o.checklist))
    return [*chosen, longest]


def test_every_sampled_outcome_fits_telegram_messages_with_valid_html_in_both_languages(
    sampled_outcomes: list[Outcome],
) -> None:
    for outcome, locale in itertools.product(sampled_outcomes, ("zh_Hans", "en")):
        for text in outcome_messages(NOTICE, outcome, locale):
            assert 0 < len(text) <= TELEGRAM_LIMIT
            assert check_html(text) is None, text[:200]


def test_a_checklist_longer_than_one_message_is_split_between_items_and_loses_none(
    sampled_outcomes: list[Outcome],
) -> None:
    outcome = sampled_outcomes[-1]  # the longest checklist
    long_items = tuple(dataclasses.replace(item, detail=item.detail * 12) for item in outcome.checklist)
    long_outcome = dataclasses.replace(outcome, checklist=long_items)
    messages = checklist_messages(NOTICE, long_outcome, "zh_Hans", ticked=())
    assert len(messages) > 1
    assert all(len(text) <= TELEGRAM_LIMIT for text, _ in messages)
    shown = [item_id for _, ids in messages for item_id in ids]
    assert shown == [item.id for item in long_items]
    for text, ids in messages:  # each item's heading line is in the message whose buttons carry it
        for number, item in enumerate(long_items, start=1):
            assert (f"{number}. ☐ <b>{html.escape(item.title, quote=False)}</b>" in text) == (item.id in ids)


def test_knowledge_text_is_escaped_in_chat_and_in_the_page(sampled_outcomes: list[Outcome]) -> None:
    outcome = sampled_outcomes[-1]
    evil = ChecklistItem(
        id="evil",
        stage=outcome.checklist[0].stage,
        title="<script>alert(1)</script>",
        detail="a & b <b>",
        ref="五（一）1",
    )
    outcome = dataclasses.replace(outcome, checklist=(evil, *outcome.checklist))
    chat = "\n".join(outcome_messages(NOTICE, outcome, "zh_Hans"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chat and "a &amp; b &lt;b&gt;" in chat
    assert check_html(chat) is None
    page = outcome_html(NOTICE, outcome, "zh_Hans")
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_pack_never_exceeds_the_limit_even_for_a_block_longer_than_it() -> None:
    blocks = ["短" * 50, "行\n" * 3000, "x" * 9000, "尾"]
    messages = pack(blocks, limit=4096)
    assert all(len(m) <= 4096 for m in messages)
    assert "".join(messages).replace("\n", "").count("x") == 9000


def test_under_loadgroup_this_module_carries_its_xdist_group(request: pytest.FixtureRequest) -> None:
    """pytest 9.2 made xdist drop the group silently (pytest-xdist#1386): every worker then walked
    every path. Under `--dist loadgroup` the test's id must end with its group."""
    if not getattr(request.config.option, "loadgroup", False):  # set on xdist's workers
        pytest.skip("only under pytest-xdist with --dist loadgroup")
    assert request.node.nodeid.endswith("@every_outcome")
