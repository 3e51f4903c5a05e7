"""The python-telegram-bot Application: handlers that turn updates into events for the
ChatService and carry its actions out through the Bot API."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import callbacks, office, roles
from bot.actions import (
    Action,
    CopyMessage,
    EditMessage,
    EditOrigin,
    Keyboard,
    Later,
    Send,
    SendDocument,
    SendPhoto,
    SetCommands,
    Toast,
    WakeSender,
)
from bot.concurrency import DEFAULT_CONCURRENT_UPDATES, PerChatUpdateProcessor
from bot.events import Command, Event, Text, Unsupported
from bot.features import REGISTRY
from bot.logsafe import hashed
from bot.ratelimit import PriorityRateLimiter
from bot.sender import SENDER_INTERVAL, OutboxSender
from bot.service import ChatService, other_notices
from bot.settings import Settings
from bot.storage import Storage
from bot.texts import gettext, message
from bot.turn import Environment
from conversations.casefile import MAX_CASE_BYTES
from conversations.clock import Clock
from knowledge import Notice, load_notice, notice_path

log = logging.getLogger("zhicheng.bot")


# Command menu languages (set_my_commands): Telegram language code -> our locale.
COMMAND_LANGUAGES = {"zh": "zh_Hans", "en": "en"}
DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
RateLimitArgs = dict[str, Any] | None


def _markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in keyboard]
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
        await bot.edit_message_text(
            action.text,
            chat_id=origin.chat.id,
            message_id=origin.message_id,
            reply_markup=_markup(action.keyboard),
            rate_limit_args=rate_limit_args,
        )
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return
        # The message can no longer be edited (too old, deleted): send it anew.
        await bot.send_message(
            origin.chat.id, action.text, reply_markup=_markup(action.keyboard), rate_limit_args=rate_limit_args
        )


async def _record_sent(storage: Storage | None, action: Send, sent: Message) -> None:
    """Tell the step that asked for it which message id Telegram gave the message it sent."""
    hook = action.on_sent
    if hook is None:
        return
    if storage is None:
        log.warning("a sent message's id could not be recorded: no storage given to perform")
        return
    await storage.atomically(lambda db: hook(db, sent.message_id))


async def _edit_message(bot: ExtBot[Any], chat_id: int, action: EditMessage, rate_limit_args: RateLimitArgs) -> None:
    try:
        await bot.edit_message_text(action.text, chat_id=chat_id, message_id=action.message_id,
                                    reply_markup=_markup(action.keyboard), rate_limit_args=rate_limit_args)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _set_chat_commands(bot: ExtBot[Any], action: SetCommands) -> None:
    """A chat's own command menu; a chat that never opened the bot cannot have one yet (logged)."""
    try:
        if action.roles:
            await set_commands(bot, action.roles, chat_id=action.chat_id)
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
) -> None:
    """Carry out actions in one chat, in their order, in reply to an update or outside one.

    Texts are Telegram HTML without link previews (the Application's Defaults). With `query`,
    the button press being answered: EditOrigin edits the message that carried the button, and
    the press is answered exactly once (the first Toast, or silently) while the first message
    goes out, not before it, so a tap costs one Bot API round trip. Without a query, EditOrigin
    sends a new message and Toasts are dropped. `rate_limit_args` is the limiter's priority
    (bot.ratelimit.BULK for reminders and broadcasts); replies leave it None. A Send with
    `on_sent` has its message id recorded in `storage` (a transaction of its own) once sent.
    WakeSender is left to the caller.
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
                sent = await bot.send_message(
                    chat_id, action.text, reply_markup=_markup(action.keyboard), rate_limit_args=rate_limit_args
                )
                if isinstance(action, Send):
                    await _record_sent(storage, action, sent)
            elif isinstance(action, EditMessage):
                await _edit_message(bot, chat_id, action, rate_limit_args)
            elif isinstance(action, SendDocument):
                await bot.send_document(
                    chat_id,
                    InputFile(action.content, filename=action.filename),
                    caption=action.caption,
                    parse_mode=None,  # a plain caption
                    rate_limit_args=rate_limit_args,
                )
            elif isinstance(action, SendPhoto):
                await bot.send_photo(
                    chat_id,
                    InputFile(action.content, filename=action.filename),
                    caption=action.caption,
                    parse_mode=None,
                    rate_limit_args=rate_limit_args,
                )
            elif isinstance(action, CopyMessage):
                await bot.copy_message(chat_id, action.from_chat_id, action.message_id,
                                       rate_limit_args=rate_limit_args)
            elif isinstance(action, SetCommands):
                await _set_chat_commands(bot, action)
    finally:
        if answering is not None:
            await answering


def _event_base(update: Update) -> dict[str, Any]:
    user = update.effective_user
    chat = update.effective_chat
    return {
        "user_id": user.id if user else 0,
        "chat_id": chat.id if chat else 0,
        "update_id": update.update_id,
        "language_code": user.language_code if user else None,
        "message_id": update.effective_message.message_id if update.effective_message else None,
    }


def _service(context: ContextTypes.DEFAULT_TYPE) -> ChatService:
    service = context.bot_data["service"]
    assert isinstance(service, ChatService)
    return service


async def _serve(update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event) -> None:
    service = _service(context)
    actions = await service.handle(event)  # the transaction ends before any network call
    if actions is None:  # a repeated delivery, answered the first time
        return
    await perform(context.bot, event.chat_id, actions, query=update.callback_query, storage=service.storage)
    if any(isinstance(a, WakeSender) for a in actions):
        _wake_sender(context)


def _wake_sender(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run the outbox sender now (a broadcast was confirmed or cancelled) rather than at its next tick."""
    sender = context.bot_data.get("sender")
    if isinstance(sender, OutboxSender) and context.job_queue is not None:
        context.job_queue.run_once(sender.tick, 0.0, name="outbox-sender-now")


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.effective_message.text if update.effective_message else ""
    name, _, addressee = (text or "/").split()[0][1:].partition("@")
    if addressee and context.bot.username and addressee.lower() != context.bot.username.lower():
        name = ""  # a command for another bot: answered with help
    name = name.lower()
    await _serve(update, context, Command(**_event_base(update), name=name, args=tuple(context.args or ())))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is not None and update.effective_chat.type != ChatType.PRIVATE:
        await on_group(update, context)
        return
    data = update.callback_query.data if update.callback_query else None
    await _serve(update, context, callbacks.event_for(data if isinstance(data, str) else "", **_event_base(update)))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    await _serve(
        update,
        context,
        Text(**_event_base(update), text=(msg.text if msg else "") or "", edited=update.edited_message is not None,
             html=msg.text_html if msg and msg.text else None,
             forwarded=msg is not None and msg.forward_origin is not None),
    )


async def _small_document(context: ContextTypes.DEFAULT_TYPE, document: Document) -> bytes | None:
    """A document's bytes if Telegram says it is small enough to be a case file; None otherwise
    or if it cannot be fetched. Done before the update's transaction."""
    if document.file_size is None or document.file_size > MAX_CASE_BYTES:
        return None
    try:
        file = await context.bot.get_file(document.file_id)
        content = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.info("document not downloaded: %s", exc)
        return None
    return content if len(content) <= MAX_CASE_BYTES else None


async def on_anything_else(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    kind = "other"
    if msg is not None:
        for attr in ("sticker", "photo", "document", "voice", "video", "audio", "location", "contact", "animation"):
            if getattr(msg, attr, None):
                kind = attr
                break
    file: dict[str, Any] = {}
    if msg is not None and msg.document is not None:
        file = {"file_name": msg.document.file_name, "file_size": msg.document.file_size,
                "content": await _small_document(context, msg.document)}
    await _serve(update, context, Unsupported(**_event_base(update), kind=kind, **file))


async def on_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group the bot never shows anyone's answers: only a pointer to its private chat."""
    link = f"https://t.me/{context.bot.username}" if context.bot.username else ""
    user = update.effective_user
    locale = user.language_code if user else None
    text = message("group", locale or "zh_Hans", link=link)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, parse_mode=None)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    user_hash = hashed(update.effective_user.id) if isinstance(update, Update) and update.effective_user else "-"
    update_id = update.update_id if isinstance(update, Update) else "-"
    log.error("error update=%s user=%s: %r", update_id, user_hash, context.error, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None and not isinstance(context.error, Forbidden):
        locale = update.effective_user.language_code if update.effective_user else None
        try:
            if update.callback_query is not None:
                await update.callback_query.answer()
            text = message("error", locale or "zh_Hans")
            await context.bot.send_message(update.effective_chat.id, text, parse_mode=None)
        except TelegramError:
            log.warning("could not tell update=%s about the error", update_id)


async def set_commands(bot: ExtBot[Any], roles: frozenset[str] = frozenset(), chat_id: int | None = None) -> None:
    """The command menu: everyone's by default; with `chat_id`, that chat's own menu (the
    commands of its roles), which Telegram shows instead of the default one."""
    scope = BotCommandScopeChat(chat_id) if chat_id is not None else None
    for language_code, locale in [(None, "zh_Hans"), *COMMAND_LANGUAGES.items()]:
        commands = [BotCommand(c.name, gettext(locale, c.description)) for c in REGISTRY.visible_commands(roles)]
        await bot.set_my_commands(commands, scope=scope, language_code=language_code)


async def _set_commands(application: Application[Any, Any, Any, Any, Any, Any], contact_ids: frozenset[int]) -> None:
    await set_commands(application.bot)
    storage: Storage = application.bot_data["storage"]
    async with storage.transaction() as db:
        added = [uid for uid, _source in await office.contacts(db, contact_ids)]
        hr = [r[0] for r in await db.execute_fetchall(
            "SELECT DISTINCT chat_id FROM unit_hr WHERE revoked_at IS NULL ORDER BY chat_id")]
    menus: dict[int, set[str]] = {}
    for user_id in added:  # private chats: the chat id is the user id
        menus.setdefault(user_id, set()).add(roles.CONTACT)
    for chat_id in hr:
        menus.setdefault(chat_id, set()).add(roles.HR)
    for chat_id, chat_roles in menus.items():
        try:
            await set_commands(application.bot, frozenset(chat_roles), chat_id=chat_id)
        except BadRequest as exc:  # a contact person who never opened the bot's chat
            log.info("no command menu for a contact person or HR officer yet: %s", exc)


def add_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    fresh = filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(~private & fresh & (filters.COMMAND | filters.Entity("mention")), on_group))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, on_text))
    application.add_handler(CommandHandler(list(REGISTRY.commands), on_command, filters=private & fresh))
    application.add_handler(MessageHandler(private & fresh & filters.COMMAND, on_command))  # unknown: help
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_anything_else))
    application.add_error_handler(on_error)


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    concurrent_updates: int = DEFAULT_CONCURRENT_UPDATES,
    clock: Clock | None = None,
    sender_interval: float = SENDER_INTERVAL,
    notice: Notice | None = None,
    notices: Sequence[Notice] | None = None,
    bulk_per_second: int = 30,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot's Application. `request` replaces the network layer (tests, benchmarks).
    `bulk_per_second` is the rate limiter's overall budget (30: Telegram's limit for a bot;
    higher for paid broadcasts).

    `notice` (default: the settings' ZHICHENG_NOTICE) is offered to new interviews unless another
    notice's applications are open; `notices` (default: every bundled notice that loads) keep the
    interviews begun under them.

    Up to `concurrent_updates` updates of different chats are handled at once, each chat's in
    order (bot.concurrency); requests go through the PriorityRateLimiter unless `rate_limit`
    is False; texts default to HTML without link previews.
    """
    notice = notice or load_notice(notice_path(settings.notice_id))
    notices = list(notices) if notices is not None else other_notices(notice)
    storage = Storage(settings.db_path)
    clock = clock or Clock()

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await storage.open()
        env = Environment(contact_ids=settings.contact_ids, bot_username=application.bot.username,
                          reminder_time=settings.reminder_time)
        application.bot_data["service"] = ChatService(storage, notice, clock=clock, env=env, notices=notices)
        application.bot_data["storage"] = storage
        await _set_commands(application, settings.contact_ids)
        sender = OutboxSender(application.bot, storage, [notice, *(n for n in notices if n.id != notice.id)],
                              clock, settings, bulk_per_second=bulk_per_second)
        await sender.recover()
        application.bot_data["sender"] = sender
        if application.job_queue is not None and sender_interval > 0:
            application.job_queue.run_repeating(sender.tick, interval=sender_interval, first=1.0,
                                                name="outbox-sender")

    async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await storage.close()

    builder = (
        ApplicationBuilder()
        .token(settings.token or "")
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)  # files (case files sent as documents) from the same server
        .defaults(DEFAULTS)
        .concurrent_updates(PerChatUpdateProcessor(concurrent_updates))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    elif settings.proxy:  # an office's outbound proxy, for the bot's requests and for getUpdates alike
        builder = builder.proxy(settings.proxy).get_updates_proxy(settings.proxy)
    if rate_limit:
        builder = builder.rate_limiter(PriorityRateLimiter(bulk_per_second=bulk_per_second))  # type: ignore[arg-type]
    application = builder.post_init(post_init).post_shutdown(post_shutdown).build()
    add_handlers(application)
    return application

