"""Typed questions answered from the notice (conversations.qa): the entry that answers the things and
the kind of question read, its clause and the notice's words, the variant the question or the asker's
answers select (or every variant side by side), deadlines from conversations.season, the honest
fallbacks (未找到与此对应的条款 / 本通知未涉及此问题, both with the contacts), rendering and the log."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.chat.html import check_html
from bot.cli import main
from conversations import qa
from conversations.i18n import LOCALES
from conversations.interview import interview_for
from conversations.render import TELEGRAM_LIMIT, qa_messages, qa_text
from knowledge import default_notice, load_notice
from knowledge.clauses import clause_texts
from tests.conftest import FIXTURES_DIR, NOTICE_YAML, copy_companions, split_clauses, squash
from tests.support.paths import every_path
from tests.support.yamlfast import safe_load

NOTICE = default_notice()
EVAL_DIR = Path(__file__).parent / "qa" / "eval" / "tuning"
TUNING: list[dict[str, Any]] = safe_load((EVAL_DIR / "questions.yaml").read_text(encoding="utf-8"))
JUNIOR_IN_XINJIANG = {
    "employment": "in_service",
    "unit_type": "xinjiang",
    "sanction": "no",
    "misconduct": "none",
    "submission_status": "no",
    "level": "junior",
    "meets_conditions": "confirmed",
    "current_title": "none",
    "grassroots_service": "none",
    "education_verifiable": "yes",
    "awards": "no",
    "publications": "none",
}
RETIREE = {"employment": "retired"}
CONTACT_PHONE = NOTICE.contacts.phones[0]
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def text_of(a: qa.Answer, locale: str = "zh_Hans") -> str:
    return qa_text(NOTICE, a, locale)


def _all_keys() -> list[str]:
    return list(qa.index_for(NOTICE).entries)


# ---------------------------------------------------------------- the questions


@pytest.mark.parametrize(
    ("question", "key", "ref", "present", "absent"),
    [
        (
            "管寺干部免试审批表盖什么章",
            "item:ce_exemption_form_seals",
            "附件3",
            ["统战部门"],
            ["同级“访惠聚”办公室公章"],
        ),
        (
            "支教的免试表盖什么章",
            "item:ce_exemption_form_seals",
            "附件3",
            ["支教工作领导小组办公室公章"],
            ["同级“访惠聚”办公室公章"],
        ),
        (
            "已经回来的驻村干部免试表盖什么章",
            "item:ce_exemption_form_seals",
            "附件3",
            ["仅加盖原派驻单位所属的地州市或自治区区属主管单位公章"],
            ["同级“访惠聚”办公室公章", "统战部门"],
        ),
        ("驻村的免试表盖什么章", "item:ce_exemption_form_seals", "附件3", ["同级“访惠聚”办公室公章"], ["统战部门"]),
        ("初级评审表交几份", "item:paper_evaluation_form", "五（五）1", ["一式一份"], ["一式二份"]),
        ("中级的评审表要几份", "item:paper_evaluation_form", "五（五）1", ["一式二份"], ["一式一份"]),
        ("公示结果纸质版交几份", "item:paper_publicity_result", "五（五）2", ["1份"], ["一式二份"]),
        ("我们单位公式了3天够不够", "item:unit_publicity", "五（二）", ["不少于5个工作日"], []),
        ("单位公示要几天", "item:unit_publicity", "五（二）", ["不少于5个工作日"], []),
        ("纸质的材料几号前要交上去", "topic:paper_deadline", "一", ["2021年10月30日前"], []),
        ("照片要几寸", "item:id_card_and_photo", "五（一）1", ["一寸免冠照片"], []),
        ("军人能报吗", "topic:entrusted_unit", "二（四）", ["军区政治部", "委托"], []),
        (
            "纸质材料要报哪些",
            "topic:paper_list",
            "五（五）",
            ["专业技术职务任职资格评审表", "《公示结果》（附件1）1份", "承诺书》（附件2）1份"],
            [],
        ),
        ("網上申報截止時間是哪天", "deadline:online_submission", "一", ["2021年10月20日"], []),
        ("网上申报后还要交纸质的吗", "topic:paper_list", "五（五）", ["统一报送", "一式二份"], []),
        ("单位审核不通过怎么办", "item:review_submission_limit", "四（三）", ["修改后提交", "不得超过3次"], []),
        ("助工几年可以报工程师", "topic:conditions", "三", ["评审条件（试行）"], ["一式二份"]),
        ("我退修了还能申报吗", "rule:retired", "二（二）", ["离退休人员不得申报参加职称评审"], []),
        ("评审标交几份", "item:paper_evaluation_form", "五（五）1", ["一式二份", "一式一份"], []),  # a homophone
        ("继绩教育证书要哪年的", "topic:ce_years", "五（一）8", ["2021年度"], []),  # one character mistyped
    ],
)
def test_a_question_gets_the_entry_its_things_and_kind_select_with_the_clause_and_the_right_variant(
    question: str, key: str, ref: str, present: list[str], absent: list[str]
) -> None:
    a = qa.answer(NOTICE, question)
    assert a.entry == key, (question, a.entry)
    assert ref in a.refs
    shown = squash(text_of(a))
    for words in present:
        assert squash(words) in shown, (question, words)
    for words in absent:
        assert squash(words) not in shown, (question, words)


@pytest.mark.parametrize("question", ["什么时候截止", "请问几号截止啊", "大概什么时候截止？", "最晚哪天"])
def test_the_deadline_asked_with_no_subject_gets_both_deadlines_of_one(question: str) -> None:
    a = qa.answer(NOTICE, question)
    assert a.kind == "answer" and a.entry == "topic:deadlines", (question, a.kind, a.entry)
    shown = squash(text_of(a))
    assert "一" in a.refs and squash("2021年10月20日") in shown and squash("2021年10月30日前") in shown


def test_a_quote_shared_by_several_variants_is_shown_once() -> None:
    a = qa.answer(NOTICE, "什么时候截止")
    text = text_of(a)
    assert text.count("由各单位人事（职改）部门统一报送以下纸质材料”") == 1, text


@pytest.mark.parametrize("question", ["要打印几份", "一式几份啊"])
def test_copies_asked_with_no_subject_get_the_paper_list_with_its_copies(question: str) -> None:
    a = qa.answer(NOTICE, question)
    assert a.entry == "topic:paper_list" and "五（五）1" in a.refs, (question, a.entry, a.refs)
    assert squash("一式二份") in squash(text_of(a))


@pytest.mark.parametrize("question", ["通知是哪天发的", "答辩什么时候开始"])
def test_a_when_question_with_words_of_its_own_is_not_taken_for_the_deadlines(question: str) -> None:
    assert qa.answer(NOTICE, question).entry != "topic:deadlines", question


def test_an_item_with_variants_gives_them_side_by_side_when_nothing_selects_one() -> None:
    a = qa.answer(NOTICE, "评审表要交几份")
    assert a.entry == "item:paper_evaluation_form"
    part = a.parts[0]
    assert part.variant is None and [c.label for c in part.cases] == ["高、中级", "初级"]
    shown = text_of(a)
    assert "高、中级：一式二份" in shown and "初级：一式一份" in shown


def test_the_askers_stored_answers_select_the_variant_when_the_question_does_not() -> None:
    a = qa.answer(NOTICE, "评审表要交几份", answers=JUNIOR_IN_XINJIANG)
    assert a.parts[0].variant == "初级" and a.parts[0].cases == ()
    shown = text_of(a)
    assert "一式一份" in shown and "一式二份" not in shown
    assert "按您的情况：《专业技术职务任职资格评审表》一式一份" in shown


def test_the_questions_own_words_win_over_the_stored_answers() -> None:
    a = qa.answer(NOTICE, "副高的评审表交几份", answers=JUNIOR_IN_XINJIANG)
    assert a.parts[0].variant == "高、中级" and "一式二份" in text_of(a)


def test_two_levels_named_together_give_both_variants() -> None:
    a = qa.answer(NOTICE, "一个报高工一个报助工，评审表一共交几份")
    assert len(a.parts[0].cases) == 2


# ---------------------------------------------------------------- every entry, every variant


def _selections_for(notice: Any, expr: Any) -> list[dict[str, str]]:
    """Answers that make a variant's condition hold: the first path of the interview that does."""
    check = interview_for(notice).predicates.compile(expr)
    return [next(path for path in every_path() if check(path) is True)]


def test_no_placeholder_reaches_a_user_from_any_entry_or_variant_in_any_locale() -> None:
    paths = every_path()
    levels = [{}] + [{"level": lv.id} for lv in NOTICE.levels]
    for key in _all_keys():
        for given in [*levels, *paths[:: max(1, len(paths) // 15)]]:
            a = qa.answer_entry(NOTICE, key, answers=given, today=dt.date(2021, 10, 1))
            assert a is not None
            for locale in LOCALES:
                for message in qa_messages(NOTICE, a, locale):
                    assert not _PLACEHOLDER.search(message), (key, given, message[:200])
                    assert len(message) <= TELEGRAM_LIMIT and check_html(message) is None, key


_NUMBERS = re.compile(r"20\d\d|一式[一二两三四五]份|\d+份|[一二两三]份|\d+")
_SEALS = re.compile(r"“访惠聚”办公室公章|统战部门|领导小组办公室公章|主管单位公章|单位盖章|签字盖章|盖章")


def _says_copies(text: str, copies: int) -> bool:
    word = {1: "一", 2: "二", 3: "三"}[copies]
    return f"{copies}份" in text or f"{word}份" in text


def _facts(text: str) -> set[str]:
    return set(_NUMBERS.findall(text)) | set(_SEALS.findall(text))


def test_every_variant_is_answered_with_its_own_numbers_seals_years_and_copies() -> None:
    """Walk every item and every variant: answered for answers that select it, the answer names it and
    its numbers, seals, years and copies are those of the knowledge file for that variant."""
    for item in NOTICE.items:
        cases = [
            (v.label, v.title or item.title, v.detail or item.detail, v.quote, v.copies, v.when) for v in item.variants
        ]
        for label, title, detail, quote, copies, when in cases:
            paths = _selections_for(NOTICE, when)
            assert paths, (item.id, label)
            a = qa.answer_entry(NOTICE, f"item:{item.id}", answers=paths[0])
            assert a is not None
            part = a.parts[0]
            assert part.variant == label, (item.id, label, part.variant)
            shown = " ".join((part.title, *part.sentences, part.quote))
            values = dict(item.generic)
            level = NOTICE.level(paths[0].get("level", ""))
            if level:
                values["level"] = level.name
            own = " ".join((title, detail, quote)).replace("{level}", values.get("level", ""))
            assert _facts(shown) <= _facts(own), (item.id, label, _facts(shown) - _facts(own))
            if copies:
                assert _says_copies(shown, copies), (item.id, label)
        if item.variants:  # the item's own case, named by its base_label, when every variant is ruled out
            compile_ = interview_for(NOTICE).predicates.compile
            base = [
                p
                for p in every_path()
                if compile_(item.when)(p) is True and all(compile_(v.when)(p) is False for v in item.variants)
            ]
            for path in base[:1]:
                a = qa.answer_entry(NOTICE, f"item:{item.id}", answers=path)
                assert a is not None and a.parts[0].variant == item.base_label
                shown = " ".join((a.parts[0].title, *a.parts[0].sentences, a.parts[0].quote))
                own = " ".join((item.title, item.detail, item.base_quote or item.quote))
                assert _facts(shown) <= _facts(
                    own.replace("{level}", NOTICE.level(path["level"]).name if "level" in path else "")
                ), item.id
                if item.copies:
                    assert _says_copies(shown, item.copies), item.id


def test_every_item_with_variants_lists_every_case_when_nothing_is_known() -> None:
    for item in NOTICE.items:
        if not item.variants:
            continue
        a = qa.answer_entry(NOTICE, f"item:{item.id}")
        assert a is not None
        labels = [c.label for c in a.parts[0].cases]
        assert labels == [item.base_label, *(v.label for v in item.variants)], item.id
        shown = text_of(a)
        assert all(f"{label}：" in shown for label in labels), item.id


# ---------------------------------------------------------------- honest fallbacks


OUTSIDE = [
    "评审费多少钱",
    "评上以后工资涨多少",
    "评审结果什么时候出来",
    "兵团的单位能在这报吗",
    "中小学教师职称怎么评",
    "职称英语要考吗",
]


@pytest.mark.parametrize("question", OUTSIDE)
def test_a_question_outside_the_notices_subjects_is_said_to_be_so_with_the_contacts(question: str) -> None:
    a = qa.answer(NOTICE, question)
    assert a.kind == "outside" and a.entry is None and a.targets == ()
    shown = text_of(a)
    assert "本通知未涉及此问题" in shown and "不作推测" in shown
    for person in NOTICE.contacts.people:
        assert person in shown
    for phone in NOTICE.contacts.phones:
        assert phone in shown


@pytest.mark.parametrize("question", ["健身卡要哪几年的", "asdfgh", "今天天气怎么样", "嗯嗯"])
def test_a_question_nothing_answers_well_enough_is_not_found_with_the_contacts(question: str) -> None:
    a = qa.answer(NOTICE, question)
    assert a.kind == "not_found" and a.entry is None
    shown = text_of(a)
    assert "未找到与此对应的条款" in shown and CONTACT_PHONE in shown
    assert "本通知未涉及此问题" not in shown


def test_no_reply_ever_says_that_the_notice_has_no_clause_on_a_question() -> None:
    """The false "…中没有对此作出规定的条款" is gone: neither catalog has it, and no reply says it."""
    for locale in LOCALES:
        po = (Path(qa.__file__).parent / "locale" / locale / "LC_MESSAGES" / "messages.po").read_text("utf-8")
        assert "没有对此作出规定的条款" not in po and "No clause of" not in po
    for case in TUNING:
        assert "没有对此作出规定" not in text_of(qa.answer(NOTICE, case["q"]))


def test_questions_the_notice_answers_are_never_told_it_does_not() -> None:
    for question in ["纸质的材料几号前要交上去", "照片要几寸", "军人能报吗", "单位公示要几天", "纸质材料要报哪些"]:
        assert qa.answer(NOTICE, question).kind in ("answer", "choose"), question


def test_a_question_the_notice_leaves_open_is_answered_as_not_settled_with_the_contacts() -> None:
    a = qa.answer(NOTICE, "正高级能报吗")
    assert a.kind == "unsettled" and not a.settled
    assert "interpretation:full_senior_not_covered" in a.targets
    shown = text_of(a)
    assert "本通知对此未作明确规定" in shown and CONTACT_PHONE in shown


@pytest.mark.parametrize(
    "question", ["公示5个工作日包不包括周末", "以考代评的专业能直接认定吗", "报中级要答辩吗", "受过警告处分的能报吗"]
)
def test_open_points_of_the_notice_are_never_given_a_firm_answer(question: str) -> None:
    a = qa.answer(NOTICE, question)
    assert a.kind == "unsettled" and a.contacts is not None, (question, a.kind, a.entry)


def test_a_detail_the_notice_does_not_settle_gets_the_nearest_clause_said_to_leave_it_open() -> None:
    a = qa.answer(NOTICE, "照片要什么底色的")
    assert a.kind == "unsettled" and a.entry == "item:id_card_and_photo" and a.open_point == "底色"
    shown = text_of(a)
    assert "一寸免冠照片" in shown and "您问到的“底色”，本通知未作具体规定" in shown and CONTACT_PHONE in shown


# ---------------------------------------------------------------- what a question asks beyond its subject


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("网上申报20号当天几点截止", "几点"),  # a time of day: the notice gives a date only
        ("一寸照要白底还是蓝底", "白底"),  # a colour
        ("評審表用A3還是A4紙打", "a3"),  # a paper size, in traditional characters
        ("近期照片是指多久以内", "多久以内"),  # how recent
        ("有色大厦几楼", "几楼"),  # a room
        ("年限证明有模板吗", "模板"),  # a template the notice does not give
        ("公示5个工作日是从贴出去那天开始算还是第二天开始算", None),  # alternatives neither of which is stated
        ("视频答辩用啥app 腾讯会议还是钉钉", None),
        ("承诺书可以用电子签名吗", None),  # something proposed the notice does not name
        ("代表作品盖部门章可以吗还是必须公章", None),
        ("继续教育的学时能不能抵个税的专项附加扣除", None),  # content the notice does not know, in the clause that asks
        ("有了中级职称能不能在乌鲁木齐落户", None),
    ],
)
def test_a_detail_the_answering_entry_does_not_state_is_answered_as_open_with_the_contacts(
    question: str, words: str | None
) -> None:
    a = qa.answer(NOTICE, question)
    assert a.kind in ("unsettled", "not_found", "outside") and a.contacts is not None, (question, a.kind, a.entry)
    if words is not None:
        assert a.open_point is not None and words in a.open_point.lower(), (question, a.open_point)


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("网上申报截止到哪天", "2021年10月20日"),  # the date asked is stated
        ("总结字数有要求吗", "2000-3000字"),  # a word count the entry states
        ("单面打印可以吗", "正反面打印"),  # something proposed that the entry answers (double-sided)
        ("上传的附件要什么格式 pdf可以吗", "jpg"),
        ("总结是写参加工作以来的还是任现职以来的", "任现职以来"),  # one of two alternatives stated
        ("评审主要看论文还是看干活", "不唯论文"),
        ("公示期几天", "不少于5个工作日"),
        ("承诺书要我自己签名吗还是打印个名字就行", "个人签字"),
        ("纸质的除了评审表还要交什么", "《公示结果》（附件1）1份"),  # 除了: the form is not what is asked
    ],
)
def test_a_settled_question_still_gets_its_facts(question: str, fact: str) -> None:
    a = qa.answer(NOTICE, question)
    assert a.kind in ("answer", "choose"), (question, a.kind, a.entry, a.open_point)
    assert squash(fact) in squash(text_of(a)), question


def test_the_questions_words_select_the_variant_and_a_rule_the_case_described_meets_answers_may_i() -> None:
    a = qa.answer(NOTICE, "我在管寺，今年一直在寺里，免试表盖什么章")
    assert "统战部门" in text_of(a) and "同级“访惠聚”办公室公章" not in text_of(a)
    a = qa.answer(NOTICE, "援派期就半年 能报不")
    assert a.entry == "rule:aid_term_not_met" and "1年以上" in text_of(a)
    a = qa.answer(NOTICE, "我们单位两个人，一个还在驻村一个已经回来了，他俩的免试表盖章有啥不一样")
    shown = text_of(a)
    assert "同级“访惠聚”办公室公章" in shown and "原派驻单位所属" in shown  # several people: every case


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "？？？",
        "😀",
        "a" * 5000,
        "嗯哼" * 2000,
        "<script>",
        "123456789",
        "I want to apply for a title",
        "مەن ئىنژېنېر",
    ],
)
def test_empty_or_junk_input_gets_a_clear_reply_and_does_not_crash(text: str) -> None:
    a = qa.answer(NOTICE, text)
    assert a.kind in ("not_found", "outside", "answer", "choose", "unsettled")
    messages = qa_messages(NOTICE, a, "zh_Hans")
    assert messages and all(len(m) <= TELEGRAM_LIMIT and check_html(m) is None for m in messages)


# ---------------------------------------------------------------- dates (conversations.season)


@pytest.mark.parametrize(
    ("today", "state", "days_left"),
    [
        (dt.date(2021, 9, 20), "upcoming", 30),
        (dt.date(2021, 10, 19), "upcoming", 1),
        (dt.date(2021, 10, 20), "today", 0),
        (dt.date(2021, 10, 21), "passed", -1),
    ],
)
def test_asking_whether_online_filing_has_closed_answers_with_todays_state_from_the_season(
    today: dt.date, state: str, days_left: int
) -> None:
    a = qa.answer(NOTICE, "网上申报截止了吗", today=today)
    assert a.targets[0] == "deadline:online_submission"
    assert a.deadline is not None
    assert (a.deadline.state, a.deadline.days_left) == (state, days_left)
    assert a.deadline.last_day == dt.date(2021, 10, 20)


@pytest.mark.parametrize(
    ("today", "phrase"),
    [
        (dt.date(2021, 10, 20), "距2021年10月29日（稳妥起见的最后一天）还有9天"),
        (dt.date(2021, 10, 29), "稳妥起见的最后一天"),
        (dt.date(2021, 10, 30), "未写明当日是否仍在期限内"),
        (dt.date(2021, 10, 31), "此期限已过"),
    ],
)
def test_the_paper_deadline_written_as_before_the_30th_treats_the_30th_as_unsettled(
    today: dt.date, phrase: str
) -> None:
    a = qa.answer(NOTICE, "纸质材料什么时候交", today=today)
    assert a.targets[0] == "deadline:paper_submission"
    shown = text_of(a)
    assert phrase in shown and "2021年10月30日前" in shown


def test_the_online_deadline_on_its_day_says_the_day_still_counts() -> None:
    shown = text_of(qa.answer(NOTICE, "网报几号截止", today=dt.date(2021, 10, 20)))
    assert "网上申报截止：2021年10月20日" in shown and "当天仍在期限内" in shown


def test_without_today_a_deadline_answer_gives_the_date_and_no_state() -> None:
    a = qa.answer(NOTICE, "网上申报什么时候截止")
    assert a.deadline is None and "2021年10月20日" in text_of(a)


def test_today_in_the_notice_timezone_is_the_shanghai_date() -> None:
    late_utc = dt.datetime(2021, 10, 20, 17, 0, tzinfo=dt.UTC)  # 01:00 on the 21st in Urumqi's official time
    assert qa.today_in(NOTICE, late_utc) == dt.date(2021, 10, 21)


# ---------------------------------------------------------------- personal lines, alternatives, chosen entries


def test_the_personal_line_tells_a_retiree_that_the_bar_applies_to_them() -> None:
    a = qa.answer(NOTICE, "退休了能申报吗", answers=RETIREE)
    assert a.personal is not None and a.personal.kind == "applies"
    assert "按您的情况：此条适用于您。" in text_of(a)


def test_the_personal_line_is_left_out_while_the_interview_is_unfinished() -> None:
    assert qa.answer(NOTICE, "评审表要交几份", answers={"employment": "in_service"}).personal is None


def test_an_exempted_item_says_so_in_the_personal_line() -> None:
    answers = dict(JUNIOR_IN_XINJIANG, grassroots_service="fhj_serving")
    a = qa.answer(NOTICE, "专业科目证书要哪一年的", answers=answers)
    assert a.targets[0] == "item:ce_specialty_2021"
    assert a.personal is not None and a.personal.kind == "exempt" and a.personal.ref == "六（一）"


def test_entries_that_tie_are_offered_as_alternatives_each_under_its_own_key_and_label() -> None:
    a = qa.answer(NOTICE, "纸质材料交几份")
    keys = [c.key for c in qa.candidates(NOTICE, "纸质材料交几份")]
    assert len(keys) == len(set(keys)) >= 1 and keys[0] == a.entry
    for c in a.alternatives:
        assert 0 < len(c.label) <= 30


def test_choosing_an_alternative_answers_that_entry_and_a_stale_key_gets_none() -> None:
    a = qa.answer_entry(NOTICE, "item:unit_publicity", answers=JUNIOR_IN_XINJIANG)
    assert a is not None and a.kind == "answer" and a.targets == ("item:unit_publicity",)
    assert a.personal is not None and a.personal.kind == "on_checklist"
    assert qa.answer_entry(NOTICE, "item:no_such_item") is None


def test_every_entry_key_fits_in_telegram_callback_data_with_room_for_a_prefix() -> None:
    assert max(len(key.encode("utf-8")) for key in _all_keys()) <= 56


# ---------------------------------------------------------------- the index


def test_the_index_holds_every_clause_rule_note_item_deadline_interpretation_topic_and_the_contacts() -> None:
    expected = (
        {f"clause:{c.ref}" for c in NOTICE.clauses}
        | {f"rule:{r.id}" for r in NOTICE.rules}
        | {f"note:{n.id}" for n in NOTICE.notes}
        | {f"item:{it.id}" for it in NOTICE.items}
        | {f"deadline:{d.id}" for d in NOTICE.deadlines}
        | {f"interpretation:{i.id}" for i in NOTICE.interpretations}
        | {f"question:{q.id}" for q in NOTICE.questions}
        | {f"attachment:{a.id}" for a in NOTICE.attachments}
        | {f"topic:{t.id}" for t in NOTICE.topics}
        | {"contacts"}
    )
    assert set(_all_keys()) == expected


def test_the_index_is_built_once_per_notice() -> None:
    assert qa.index_for(NOTICE) is qa.index_for(NOTICE)


def test_the_clause_texts_are_the_clauses_the_tests_cut_from_the_notice_independently() -> None:
    ours = clause_texts(NOTICE)
    theirs = split_clauses(NOTICE.text)
    assert set(ours) == {c.ref for c in NOTICE.clauses}
    for ref, text in ours.items():
        assert squash(text) == squash(theirs[ref]), ref


def test_a_notice_without_a_lexicon_loads_and_is_answered_by_the_ranking() -> None:
    other = load_notice(FIXTURES_DIR / "notices" / "2022-test-notice.yaml")
    assert other.lexicon is None and other.topics == ()
    a = qa.answer(other, "网上申报截止时间", today=dt.date(2022, 9, 30))
    assert a.via == "ranking" and a.deadline is not None and a.deadline.state == "today"
    assert qa.answer(other, "评审费多少钱").kind == "not_found"


# ---------------------------------------------------------------- the knowledge file's topics


def test_every_topic_quote_lies_within_the_clause_it_cites() -> None:
    clauses = split_clauses(NOTICE.text)
    for topic in NOTICE.topics:
        if topic.quote:
            assert topic.ref is not None
            assert squash(topic.quote) in squash(clauses[topic.ref]), topic.id


def _write_with_topics(tmp_path: Path, topics: list[dict[str, Any]]) -> Path:
    data = safe_load(NOTICE_YAML.read_text(encoding="utf-8"))
    data["topics"] = topics
    path = tmp_path / "topic-variant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    copy_companions(tmp_path)
    return path


@pytest.mark.parametrize(
    ("topics", "entry", "problem"),
    [
        (
            [{"id": "oops", "points_to": ["rule:no_such_rule"]}],
            "topics[0] (id=oops).points_to[0]",
            "there is no rule with id 'no_such_rule'",
        ),
        ([{"id": "oops", "points_to": ["rules:retired"]}], "topics[0] (id=oops).points_to[0]", "does not match"),
        ([{"id": "oops"}], "topics[0] (id=oops)", "points at nothing"),
        (
            [{"id": "oops", "ref": "二（二）", "quote": "退休人员可以申报"}],
            "topics[0] (id=oops)",
            "quote does not appear in the notice text",
        ),
        ([{"id": "oops", "points_to": ["contacts"], "settled": False}], "topics[0] (id=oops)", "needs an answer"),
        (
            [{"id": "oops", "points_to": ["contacts"], "answer": "请选择{level}"}],
            "topics[0] (id=oops)",
            "takes no placeholder",
        ),
        (
            [{"id": "twice", "points_to": ["contacts"]}, {"id": "twice", "points_to": ["contacts"]}],
            "topics[1] (id=twice)",
            "duplicate id",
        ),
    ],
)
def test_knowledge_check_refuses_a_malformed_topic_naming_the_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], topics: list[dict[str, Any]], entry: str, problem: str
) -> None:
    path = _write_with_topics(tmp_path, topics)
    assert main(["knowledge", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "topic-variant.yaml" in err and entry in err and problem in err, err


# ---------------------------------------------------------------- rendering and the log


@pytest.mark.parametrize("locale", LOCALES)
def test_every_answer_to_the_tuning_questions_fits_telegram_with_valid_html(locale: str) -> None:
    for case in TUNING:
        for a in (
            qa.answer(NOTICE, case["q"], today=dt.date(2021, 10, 30), answers=JUNIOR_IN_XINJIANG),
            qa.answer(NOTICE, case["q"]),
        ):
            messages = qa_messages(NOTICE, a, locale)
            assert len(messages) == 1, case["q"]
            assert 0 < len(messages[0]) <= TELEGRAM_LIMIT
            assert check_html(messages[0]) is None, messages[0][:200]


def test_knowledge_text_in_an_answer_is_escaped() -> None:
    part = qa.Part(key="x", title="<b>x</b> & y", sentences=("a < b",), quote="<i>q</i>", refs=("一",))
    evil = qa.Answer(kind="answer", question="", entry="topic:x", targets=("contacts",), parts=(part,))
    text = qa_messages(NOTICE, evil, "zh_Hans")[0]
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in text and "a &lt; b" in text and check_html(text) is None


def test_the_unanswered_log_keeps_normalised_text_without_numbers_that_could_identify_someone() -> None:
    assert qa.unanswered_text("  評審費 多少錢？  ") == "评审费 多少钱?"
    assert qa.unanswered_text("我身份证650102199001011234能报吗") == "我身份证#能报吗"
    assert qa.unanswered_text("电话13912345678") == "电话#"
    assert qa.unanswered_text("   ") is None
    logged = qa.unanswered_text("长" * 1000)
    assert logged is not None and len(logged) == 200


def test_the_most_frequent_unanswered_questions_count_variants_of_one_question_together() -> None:
    logged = ["评审费多少钱？", "評審費 多少錢", "评审费多少钱?", "工资涨多少", "评审费多少钱?"]
    assert qa.most_frequent(logged) == [("评审费多少钱?", 4), ("工资涨多少", 1)]
    assert qa.most_frequent(logged, limit=1) == [("评审费多少钱?", 4)]
    assert qa.most_frequent([]) == []


def test_only_answers_without_an_entry_are_for_the_unanswered_log() -> None:
    assert not qa.answer(NOTICE, "评审费多少钱").answered
    assert qa.answer(NOTICE, "正高级能报吗").answered  # not settled, but the notice's words answer it
    assert qa.answer(NOTICE, "我退休了能报吗").answered


def test_a_very_long_message_is_matched_on_its_start_and_rendered_within_limits() -> None:
    a = qa.answer(NOTICE, "我退休了能报吗" + "退休" * 2000)
    assert a.targets[0] == "rule:retired"
    assert all(len(m) <= TELEGRAM_LIMIT for m in qa_messages(NOTICE, a, "zh_Hans"))


def test_the_reply_to_an_outside_question_is_translated() -> None:
    a = qa.answer(NOTICE, "评审费多少钱")
    assert "does not deal with this subject" in html.unescape(qa_messages(NOTICE, a, "en")[0])
