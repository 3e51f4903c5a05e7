"""The command menus (set_my_commands): everyone's by default, and a chat's own for contact
persons and HR officers (the commands of their roles), in Chinese and English."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.chat import roles
from bot.chat.registry import Registry
from bot.chat.texts import gettext
from bot.store.storage import Storage

log = logging.getLogger("zhicheng.bot")

# Command menu languages (set_my_commands): Telegram language code -> our locale.
COMMAND_LANGUAGES = {"zh": "zh_Hans", "en": "en"}


async def set_commands(
    bot: ExtBot[Any], registry: Registry, chat_roles: frozenset[str] = frozenset(), chat_id: int | None = None
) -> None:
    """The command menu: everyone's by default; with `chat_id`, that chat's own menu (the
    commands of its roles), which Telegram shows instead of the default one."""
    scope = BotCommandScopeChat(chat_id) if chat_id is not None else None
    for language_code, locale in [(None, "zh_Hans"), *COMMAND_LANGUAGES.items()]:
        commands = [BotCommand(c.name, gettext(locale, c.description)) for c in registry.visible_commands(chat_roles)]
        await bot.set_my_commands(commands, scope=scope, language_code=language_code)


def _privileged_chats(db: sqlite3.Connection, contact_ids: frozenset[int]) -> dict[int, set[str]]:
    """Private chats (chat id = user id) of contact persons and HR officers, with their roles."""
    menus: dict[int, set[str]] = {}
    added = [r[0] for r in db.execute("SELECT user_id FROM contact_persons ORDER BY user_id")]
    for user_id in sorted(contact_ids | set(added)):
        menus.setdefault(user_id, set()).add(roles.CONTACT)
    for (chat_id,) in db.execute("SELECT DISTINCT chat_id FROM unit_hr WHERE revoked_at IS NULL ORDER BY chat_id"):
        menus.setdefault(chat_id, set()).add(roles.HR)
    return menus


async def set_all_commands(bot: ExtBot[Any], registry: Registry, storage: Storage, contact_ids: frozenset[int]) -> None:
    """At start: everyone's menu, and the own menu of every contact person and HR officer."""
    await set_commands(bot, registry)
    menus = await storage.atomically(lambda db: _privileged_chats(db, contact_ids))
    for chat_id, chat_roles in menus.items():
        try:
            await set_commands(bot, registry, frozenset(chat_roles), chat_id=chat_id)
        except BadRequest as exc:  # a contact person who never opened the bot's chat
            log.info("no command menu for a contact person or HR officer yet: %s", exc)
