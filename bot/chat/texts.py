"""Rendering of the bot's own messages: jinja2 templates of the chat core and of each feature
(bot/chat/templates, bot/features/<feature>/templates), falling back to those of conversations/;
gettext for the user's locale. Template names are unique across the folders."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from conversations.i18n import normalize_locale, translations
from conversations.render import make_environment

BOT_DIR = Path(__file__).resolve().parent.parent


@cache
def _environment(locale: str) -> jinja2.Environment:
    folders = [BOT_DIR / "chat" / "templates", *sorted(BOT_DIR.glob("features/*/templates"))]
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader([str(f) for f in folders]), jinja2.PackageLoader("conversations", "templates")]
    )
    return make_environment(loader, locale)


def message(template: str, locale: str, **context: Any) -> str:
    """A message from <template>.tg (see above), stripped of surrounding blank lines."""
    return _environment(normalize_locale(locale)).get_template(f"{template}.tg").render(**context).strip()


def gettext(locale: str, text: str) -> str:
    """Short interface strings (button labels, popups) that are not whole messages."""
    return translations(normalize_locale(locale)).gettext(text)


def csv_with_bom(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as a CSV document, UTF-8 with a BOM so that spreadsheet programs read the Chinese."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
