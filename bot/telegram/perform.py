"""Carrying the conversation's actions out through the Bot API: in reply to an update, and for the
outbox sender (TelegramTransport), whose failures are told apart here and only here."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import deque
from collections.abc import Sequence
from typing import Any

from telegram import BotCommandScopeChat, CallbackQuery, InputFile, MaybeInaccessibleMessage
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot
from telegram.warnings import PTBUserWarning

from bot.chat.actions import (
    Action,
    CopyMessage,
    EditMessage,
    EditOrigin,
    Keyboard,
    Later,
    ProcessFile,
    Send,
    SendDocument,
    SendPhoto,
    SetCommands,
    Toast,
)
from bot.chat.registry import Registry
from bot.chat.work import carry_out
from bot.delivery.outbox import PassingFailure, PermanentFailure, Unreachable
from bot.store.storage import Storage
from bot.telegram.files import fetch
from bot.telegram.menus import COMMAND_LANGUAGES, set_commands
from bot.telegram.ratelimit import BULK

log = logging.getLogger("zhicheng.bot")
RateLimitArgs = dict[str, Any] | None
RAW_ENDPOINTS = ("sendMessage", "editMessageText")  # called through do_api_request (see _post)
# PTB suggests its typed method whenever do_api_request names an endpoint it has: not for these.
warnings.filterwarnings("ignore", message=rf"Please use 'Bot\.({'|'.join(RAW_ENDPOINTS)})'", category=PTBUserWarning)


def markup(keyboard: Keyboard | None) -> dict[str, Any] | None:
    """The keyboard as the Bot API's reply_markup."""
    if not keyboard:
        return None
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.data} for b in row] for row in keyboard]}


def _text_params(bot: ExtBot[Any], text: str, keyboard: Keyboard | None) -> dict[str, Any]:
    """A text message's parameters with the Application's defaults (HTML, no link previews)."""
    params: dict[str, Any] = {"text": text}
    defaults = bot.defaults
    if defaults is not None:
        if defaults.parse_mode:
            params["parse_mode"] = defaults.parse_mode
        if defaults.link_preview_options is not None:
            params["link_preview_options"] = defaults.link_preview_options.to_dict()
    reply_markup = markup(keyboard)
    if reply_markup is not None:
        params["reply_markup"] = reply_markup
    return params


async def _post(bot: ExtBot[Any], endpoint: str, rate_limit_args: RateLimitArgs, **params: Any) -> Any:
    """A call whose answer the bot reads raw (the sent message as a dict, or True): PTB's typed
    methods would build a Message with its chat, sender and keyboard from every answer, and nothing
    here reads more than the message id. PTB's parameters, rate limiter and errors stay as they are."""
    return await bot.do_api_request(endpoint, api_kwargs=params, rate_limit_args=rate_limit_args)


async def _send_text(
    bot: ExtBot[Any], chat_id: int, text: str, keyboard: Keyboard | None, rate_limit_args: RateLimitArgs
) -> Any:
    return await _post(bot, "sendMessage", rate_limit_args, chat_id=chat_id, **_text_params(bot, text, keyboard))


async def _edit_text(
    bot: ExtBot[Any],
    chat_id: int,
    message_id: int,
    text: str,
    keyboard: Keyboard | None,
    rate_limit_args: RateLimitArgs,
) -> Any:
    return await _post(
        bot,
        "editMessageText",
        rate_limit_args,
        chat_id=chat_id,
        message_id=message_id,
        **_text_params(bot, text, keyboard),
    )


async def _answer_query(
    bot: ExtBot[Any], query: CallbackQuery, toast: Toast | None, rate_limit_args: RateLimitArgs
) -> None:
    try:
        if toast is None:
            await bot.answer_callback_query(query.id, rate_limit_args=rate_limit_args)
        else:
            await bot.answer_callback_query(
                query.id, toast.text or None, show_alert=toast.alert, rate_limit_args=rate_limit_args
            )
    except BadRequest as exc:  # the query expired while we worked: nothing left to answer
        log.info("callback query not answered: %s", exc)


async def _edit_or_send(
    bot: ExtBot[Any], origin: MaybeInaccessibleMessage, action: EditOrigin, rate_limit_args: RateLimitArgs
) -> None:
    try:
        await _edit_text(bot, origin.chat.id, origin.message_id, action.text, action.keyboard, rate_limit_args)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return
        # The message can no longer be edited (too old, deleted): send it anew.
        await _send_text(bot, origin.chat.id, action.text, action.keyboard, rate_limit_args)


async def _record_sent(storage: Storage | None, action: Send, sent: Any) -> None:
    """Tell the step that asked for it which message id Telegram gave the message it sent."""
    hook = action.on_sent
    if hook is None:
        return
    if storage is None:
        log.warning("a sent message's id could not be recorded: no storage given to perform")
        return
    message_id = int(sent["message_id"])
    await storage.atomically(lambda db: hook(db, message_id))


async def _edit_message(bot: ExtBot[Any], chat_id: int, action: EditMessage, rate_limit_args: RateLimitArgs) -> None:
    try:
        await _edit_text(bot, chat_id, action.message_id, action.text, action.keyboard, rate_limit_args)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _set_chat_commands(bot: ExtBot[Any], registry: Registry | None, action: SetCommands) -> None:
    """A chat's own command menu; a chat that never opened the bot cannot have one yet (logged)."""
    try:
        if action.roles and registry is not None:
            await set_commands(bot, registry, action.roles, chat_id=action.chat_id)
        else:  # the chat's own menu is deleted: Telegram shows everyone's again
            scope = BotCommandScopeChat(action.chat_id)
            for language_code in [None, *COMMAND_LANGUAGES]:
                await bot.delete_my_commands(scope=scope, language_code=language_code)
    except BadRequest as exc:
        log.info("command menu of a chat not changed: %s", exc)


async def perform(
    bot: ExtBot[Any],
    chat_id: int,
    actions: Sequence[Action],
    *,
    query: CallbackQuery | None = None,
    rate_limit_args: RateLimitArgs = None,
    storage: Storage | None = None,
    registry: Registry | None = None,
) -> None:
    """Carry out actions in one chat, in their order, in reply to an update or outside one.

    Texts are Telegram HTML without link previews (the Application's Defaults). With `query`,
    the button press being answered: EditOrigin edits the message that carried the button, and
    the press is answered exactly once (the first Toast, or silently) while the first message
    goes out, not before it, so a tap costs one Bot API round trip. Without a query, EditOrigin
    sends a new message and Toasts are dropped. `rate_limit_args` is the limiter's priority
    (BULK for the outbox); replies leave it None. A Send with `on_sent` has its message id
    recorded in `storage` (a transaction of its own) once sent. SetCommands needs the `registry`
    (the commands of a role). ProcessFile fetches the user's file and puts the actions its work
    returns in its place. WakeSender is left to the caller.
    """
    answering: asyncio.Task[None] | None = None
    if query is not None:
        toast = next((a for a in actions if isinstance(a, Toast)), None)
        answering = asyncio.create_task(_answer_query(bot, query, toast, rate_limit_args))
    pending = deque(actions)
    try:
        while pending:
            action = pending.popleft()
            if isinstance(action, Later):  # rendered now, off the event loop: other chats go on meanwhile
                pending.extendleft(reversed(await asyncio.to_thread(action.render)))
            elif isinstance(action, EditOrigin) and query is not None and query.message is not None:
                await _edit_or_send(bot, query.message, action, rate_limit_args)
            elif isinstance(action, (Send, EditOrigin)):
                sent = await _send_text(bot, chat_id, action.text, action.keyboard, rate_limit_args)
                if isinstance(action, Send):
                    await _record_sent(storage, action, sent)
            elif isinstance(action, EditMessage):
                await _edit_message(bot, chat_id, action, rate_limit_args)
            elif isinstance(action, (SendDocument, SendPhoto)):
                send = bot.send_document if isinstance(action, SendDocument) else bot.send_photo
                await send(
                    chat_id,
                    InputFile(action.content, filename=action.filename),
                    caption=action.caption,
                    parse_mode=None,  # a plain caption
                    rate_limit_args=rate_limit_args,
                )
            elif isinstance(action, CopyMessage):
                await bot.copy_message(chat_id, action.from_chat_id, action.message_id, rate_limit_args=rate_limit_args)
            elif isinstance(action, SetCommands):
                await _set_chat_commands(bot, registry, action)
            elif isinstance(action, ProcessFile):  # fetched, then worked on in the worker pool (bot.chat.work)
                pending.extendleft(reversed(await carry_out(action, await fetch(bot, action))))
    finally:
        if answering is not None:
            await answering


class TelegramTransport:
    """The outbox sender's way of sending (bot.delivery.sender.Transport): at bulk priority when a
    rate limiter is installed, each Bot API failure told as what it means for the row.

    In PTB, BadRequest is a NetworkError, so the order of the arms matters: a bad request or a
    blocked chat is permanent, with Telegram's description; a flood wait, a time-out or the network
    passes; any other Telegram error (a server-side fault) is tried again too.
    """

    def __init__(self, bot: ExtBot[Any], storage: Storage | None = None) -> None:
        self.bot = bot
        self.storage = storage

    @property
    def _priority(self) -> RateLimitArgs:
        limited = getattr(self.bot, "rate_limiter", None) is not None  # tests and benchmarks may run without
        return BULK if limited else None

    async def __call__(self, chat_id: int, actions: Sequence[Action]) -> None:
        try:
            await perform(self.bot, chat_id, actions, rate_limit_args=self._priority, storage=self.storage)
        except Forbidden as exc:
            raise Unreachable(exc.message) from exc
        except BadRequest as exc:
            raise PermanentFailure(exc.message) from exc
        except RetryAfter as exc:
            raise PassingFailure(f"RetryAfter: {exc.message}") from exc
        except NetworkError as exc:  # TimedOut among them
            raise PassingFailure(f"{type(exc).__name__}: {exc.message}") from exc
        except TelegramError as exc:
            raise PassingFailure(f"{type(exc).__name__}: {exc.message}") from exc
