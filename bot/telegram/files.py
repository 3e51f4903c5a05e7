"""Files users send, on Telegram: which size of a photo to take, and fetching the file of a
ProcessFile action after the update's transaction has ended (from the configured Bot API server:
the Application's base_file_url). A file above the action's limit is never downloaded."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import PhotoSize
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.chat.actions import Fetched, ProcessFile
from bot.chat.work import too_large

log = logging.getLogger("zhicheng.bot")
# Telegram's Bot API lets a bot download files of at most 20 MB.
TELEGRAM_DOWNLOAD_LIMIT = 20 * 2**20


def best_photo(sizes: Sequence[PhotoSize], limit: int = TELEGRAM_DOWNLOAD_LIMIT) -> PhotoSize | None:
    """The largest size of a photo that may be downloaded."""
    fitting = [p for p in sizes if p.file_size is None or p.file_size <= limit]
    return max(fitting, key=lambda p: (p.width * p.height, p.file_size or 0), default=None)


async def fetch(bot: ExtBot[Any], action: ProcessFile) -> Fetched:
    """The action's file from Telegram, or the problem that kept it away (too_large, unavailable)."""
    if action.content is not None:
        return Fetched(action.content, len(action.content))
    if too_large(action, action.size):
        return Fetched(size=action.size, problem="too_large")
    try:
        file = await bot.get_file(action.ref)
        if too_large(action, file.file_size):
            return Fetched(size=file.file_size, problem="too_large")
        content = bytes(await file.download_as_bytearray())
    except BadRequest as exc:
        if "too big" in exc.message.lower():  # Telegram: "file is too big" (above its 20 MB)
            return Fetched(size=action.size, problem="too_large")
        log.info("file not fetched: %s", exc.message)
        return Fetched(size=action.size, problem="unavailable")
    except TelegramError as exc:
        log.info("file not fetched: %s", type(exc).__name__)
        return Fetched(size=action.size, problem="unavailable")
    if too_large(action, len(content)):
        return Fetched(size=len(content), problem="too_large")
    return Fetched(content, len(content))
