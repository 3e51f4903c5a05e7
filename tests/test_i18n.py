"""The interface languages: complete catalogs, Babel formatting, the language fallback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.messages.pofile import read_po

from conversations.i18n import LOCALE_DIR, format_day, format_duration, gettext, normalize_locale

POT = LOCALE_DIR / "messages.pot"


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (Path(LOCALE_DIR) / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def test_every_interface_string_has_a_chinese_translation() -> None:
    with POT.open("rb") as f:
        template = read_po(f)
    zh = _catalog("zh_Hans")
    missing = [m.id for m in template if m.id and not (zh.get(m.id) and zh.get(m.id).string)]
    assert missing == []


def test_chinese_translations_keep_every_placeholder() -> None:
    for message in _catalog("zh_Hans"):
        if not message.id:
            continue
        for placeholder in ("%(done)s", "%(total)s", "%(ref)s", "%(day)s", "%(number)s", "%(answer)s"):
            if placeholder in message.id:
                assert placeholder in message.string, message.id


def test_dates_are_written_as_chinese_office_writing_and_in_english() -> None:
    assert format_day(dt.date(2021, 10, 20), "zh_Hans") == "2021年10月20日"
    assert format_day(dt.date(2021, 10, 20), "en") == "October 20, 2021"


def test_durations_are_formatted_for_the_locale() -> None:
    assert format_duration(dt.timedelta(days=3), "zh_Hans") == "3天"
    assert format_duration(dt.timedelta(days=3), "en") == "3 days"


def test_telegram_language_codes_map_to_supported_locales() -> None:
    assert normalize_locale("zh-hans") == "zh_Hans"
    assert normalize_locale("zh-CN") == "zh_Hans"
    assert normalize_locale("en-US") == "en"
    assert normalize_locale("fr") == "zh_Hans"
    assert normalize_locale(None) == "zh_Hans"


def test_gettext_translates_to_chinese_and_leaves_english_as_written() -> None:
    assert gettext("zh_Hans", "◀ Back") == "◀ 上一步"
    assert gettext("en", "◀ Back") == "◀ Back"
