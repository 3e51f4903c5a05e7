"""Rendering of the bot's own messages: jinja2 templates of bot/ (falling back to those of
conversations/), gettext for the user's locale."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from conversations.i18n import normalize_locale, translations
from conversations.render import make_environment


@cache
def _environment(locale: str) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader(
        [jinja2.PackageLoader("bot", "templates"), jinja2.PackageLoader("conversations", "templates")]
    )
    return make_environment(loader, locale)


def message(template: str, locale: str, **context: Any) -> str:
    """A message from bot/templates/<template>.tg, stripped of surrounding blank lines."""
    return _environment(normalize_locale(locale)).get_template(f"{template}.tg").render(**context).strip()


def gettext(locale: str, text: str) -> str:
    """Short interface strings (button labels, popups) that are not whole messages."""
    return translations(normalize_locale(locale)).gettext(text)
