"""Interface languages: gettext catalogs (compiled by compile_catalog: at install, or in memory
where no compiled catalog is newer than its .po) and Babel formatting of dates and durations for
the user's locale."""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
DEFAULT_LOCALE = "zh_Hans"
LOCALES = ("zh_Hans", "en")
# The language name each locale shows in /lang, in its own language.
LANGUAGE_NAMES = {"zh_Hans": "简体中文", "en": "English"}


def normalize_locale(code: str | None) -> str:
    """Map a stored or Telegram language code (zh-hans, zh-CN, en-US …) to a supported locale."""
    if not code:
        return DEFAULT_LOCALE
    code = code.replace("-", "_")
    if code in LOCALES:
        return code
    lang = code.split("_")[0].lower()
    if lang == "zh":
        return "zh_Hans"
    return lang if lang in LOCALES else DEFAULT_LOCALE


def compile_catalog(po_path: Path) -> bytes:
    """The .po file compiled to .mo bytes (fuzzy entries left out): the one place catalogs are
    compiled, at install (setup.py) and in memory."""
    with po_path.open("rb") as po:
        catalog = read_po(po, locale=po_path.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


@cache
def translations(locale: str) -> NullTranslations:
    """The catalog of a locale. Uses the compiled .mo; compiles the .po in memory if the .mo is
    missing or older (a source checkout that was not installed)."""
    locale = normalize_locale(locale)
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and (not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime):
        with mo_path.open("rb") as mo:
            return Translations(mo, domain=DOMAIN)
    if po_path.exists():
        return Translations(io.BytesIO(compile_catalog(po_path)), domain=DOMAIN)
    return NullTranslations()


def gettext(locale: str, message: str) -> str:
    return translations(locale).gettext(message)


@cache
def babel_locale(locale: str) -> Locale:
    return Locale.parse(normalize_locale(locale))


def format_day(day: dt.date, locale: str) -> str:
    """A date as the locale writes it in full: 2021年10月20日, October 20, 2021."""
    return format_date(day, format="long", locale=babel_locale(locale))


def format_weekday(day: dt.date, locale: str) -> str:
    """The day of the week: 星期三, Wednesday."""
    return format_date(day, format="EEEE", locale=babel_locale(locale))


def format_duration(delta: dt.timedelta, locale: str) -> str:
    """A duration in words: 3天, 3 days."""
    return format_timedelta(delta, locale=babel_locale(locale), granularity="day", threshold=1.0)
