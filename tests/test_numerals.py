"""Numbers and dates as notices write them (knowledge.numerals, knowledge.textmatch)."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.numerals import cn_to_int, int_to_cn, parse_date, render_date, render_like, tokens
from knowledge.textmatch import NoticeText, fold, mask


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("二", 2),
        ("两", 2),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十五", 25),
        ("一百零五", 105),
        ("三千", 3000),
        ("二〇二一", 2021),
        ("九", 9),
    ],
)
def test_chinese_numerals_are_read(text: str, value: int) -> None:
    assert cn_to_int(text) == value
    if text not in ("两", "二〇二一"):
        assert int_to_cn(value) == text


def test_a_word_is_not_a_numeral() -> None:
    assert cn_to_int("份") is None
    assert cn_to_int("") is None


@pytest.mark.parametrize("text", ["2021年10月20日", "2021-10-20", "2021.10.20", "2021/10/20", "二〇二一年十月二十日"])
def test_dates_in_every_form_are_read(text: str) -> None:
    assert parse_date(text) == dt.date(2021, 10, 20)
    found = tokens(f"截止时间：{text}前")
    assert [(t.kind, t.value) for t in found] == [("date", dt.date(2021, 10, 20))]


def test_a_date_is_written_back_in_its_own_form() -> None:
    new = dt.date(2022, 9, 5)
    assert render_date(new, "2021年10月20日") == "2022年9月5日"
    assert render_date(new, "2021.10.20") == "2022.09.05"
    assert render_date(new, "2021-9-13") == "2022-9-5"
    assert render_date(new, "二〇二一年十月二十日") == "二〇二二年九月五日"


def test_counts_carry_their_unit_and_years_are_years() -> None:
    found = [
        (t.text, t.kind, t.value, t.unit)
        for t in tokens(
            fold(
                "高、中级申报一式二份，近3年（2018年-2020年），公示期不少于5个工作日，字数2000-3000字，新人社发〔2020〕25号"
            )
        )
    ]
    assert ("二", "count", 2, "份") in found
    assert ("3", "count", 3, "年") in found
    assert ("2018", "year", 2018, "") in found and ("2020", "year", 2020, "") in found
    assert ("5", "count", 5, "个工") in found
    assert ("2000", "count", 2000, "字") in found  # a range of words, not the year 2000
    assert ("2020", "year", 2020, "〕") in found  # the year of another document's number


def test_a_number_is_written_back_in_its_own_numerals() -> None:
    two, three = tokens("一式二份")[1], tokens("近3年")[0]
    assert render_like(two, 3) == "三"
    assert render_like(three, 4) == "4"


def test_a_quote_is_found_with_other_numbers_and_cut_from_the_new_words() -> None:
    new = NoticeText(
        "一、申报时间\n\n网上申报截止时间：2022.10.18\n\n（二）评审表高、中级申报一式3份，初级一式一份。\n"
    )
    found = new.with_numbers("网上申报截止时间：2021年10月20日")
    assert len(found) == 1
    ((old, moved),) = found[0].changed
    assert old.value == dt.date(2021, 10, 20) and moved.value == dt.date(2022, 10, 18)
    assert new.words(found[0].start, found[0].end) == "网上申报截止时间：2022.10.18"
    copies = new.with_numbers("评审表高、中级申报一式二份，初级一式一份。")
    assert [(o.value, n.value) for o, n in copies[0].changed] == [(2, 3)]


def test_whitespace_and_full_width_punctuation_do_not_hide_a_quote() -> None:
    new = NoticeText(
        "（二）网上申报要严格按要求填写，不得出现含糊的词语，\n对表中的栏目无填写内容的应注明\n“无”, 不得留有空格。"
    )
    assert new.exact("对表中的栏目无填写内容的应注明“无”，不得留有空格。")


def test_the_closest_sentence_names_what_changed() -> None:
    new = NoticeText("（二）网上要求上传的附件材料，需扫描后保存为PDF格式再正向上传。申报人对申报材料的真实性负责。\n")
    score, sentence, difference = new.closest("网上要求上传的附件材料，需扫描后保存为图片（*.jpg）格式再正向上传。")
    assert score > 0.7 and sentence is not None
    assert "PDF" in sentence.text and "PDF" in difference


def test_masking_keeps_words_and_hides_numbers() -> None:
    assert mask(fold("近3年（2018年-2020年）统一")) == "近#年(#年-#年)统一"


def test_a_weekday_belongs_to_its_date_and_moves_with_it() -> None:
    (token,) = tokens("网上申报截止时间：2022年10月14日（星期五）")
    assert token.value == dt.date(2022, 10, 14) and token.text.endswith("（星期五）")
    assert render_date(dt.date(2023, 10, 13), token.text) == "2023年10月13日（星期五）"
    assert render_date(dt.date(2023, 10, 15), "2022.10.14(周五)") == "2023.10.15(周日)"
