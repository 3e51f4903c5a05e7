"""What Telegram's HTML parse mode accepts: the bot checks a contact person's text before it
broadcasts it, and the offline Bot API stand-in of the tests rejects what Telegram rejects."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "blockquote",
        "tg-emoji",
    }
)
MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
_TAG = re.compile(r"<[^>]*>")


class _EntityChecker(HTMLParser):
    """Rejects what Telegram's HTML parse mode rejects: unknown or unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = f'Unmatched end tag "{tag}"'
        else:
            self.stack.pop()


def check_html(text: str) -> str | None:
    """None if Telegram would accept the text in HTML parse mode, else the reason."""
    if "<" in text and text.count("<") != text.count(">"):
        return "Can't parse entities: unbalanced angle brackets"
    checker = _EntityChecker()
    checker.feed(text)
    checker.close()
    if checker.error:
        return f"Can't parse entities: {checker.error}"
    if checker.stack:
        return f"Can't parse entities: can't find end tag corresponding to start tag \"{checker.stack[-1]}\""
    return None


def message_problem(text: str) -> str | None:
    """Why Telegram would refuse this as a message text (HTML parse mode), or None."""
    if not text.strip():
        return "the message is empty"
    html_problem = check_html(text)
    if html_problem:
        return html_problem
    visible = len(html.unescape(_TAG.sub("", text)))  # Telegram counts the text after parsing
    if visible > MESSAGE_LIMIT:
        return f"the message has {visible} characters; Telegram takes at most {MESSAGE_LIMIT}"
    return None
