"""The python-telegram-bot Application: handlers that turn updates into events for the
ChatService and carry its actions out through the Bot API."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.actions import Action, EditOrigin, Keyboard, Send, SendDocument, Toast
from bot.events import Command, Event, Pressed, Text, Unsupported
from bot.logsafe import hashed
from bot.service import COMMANDS, ChatService
from bot.settings import Settings
from bot.storage import Storage
from bot.texts import gettext, message
from knowledge import load_notice, notice_path

log = logging.getLogger("zhicheng.bot")


def N_(text: str) -> str:
    """Marks a string for the catalog; it is translated where it is used."""
    return text


# Command descriptions shown by Telegram clients, per language (set_my_commands).
COMMAND_DESCRIPTIONS = {
    "start": N_("Start or continue the questions"),
    "checklist": N_("Your checklist"),
    "deadlines": N_("Deadlines"),
    "restart": N_("Answer the questions again"),
    "help": N_("Help"),
    "lang": N_("Language"),
    "privacy": N_("What is stored about you"),
    "delete_me": N_("Delete all your data"),
}
COMMAND_LANGUAGES = {"zh": "zh_Hans", "en": "en"}


def _markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in keyboard]
    )


async def perform(update: Update, context: ContextTypes.DEFAULT_TYPE, actions: list[Action]) -> None:
    """Carry out the service's actions for this update."""
    chat = update.effective_chat
    query = update.callback_query
    answered = False
    no_preview = LinkPreviewOptions(is_disabled=True)
    for action in actions:
        if isinstance(action, Toast):
            if query is not None and not answered:
                await query.answer(action.text or None, show_alert=action.alert)
                answered = True
        elif isinstance(action, EditOrigin) and query is not None and query.message is not None:
            try:
                await query.edit_message_text(
                    action.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=_markup(action.keyboard),
                    link_preview_options=no_preview,
                )
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    continue
                # The message can no longer be edited (too old, deleted): send it anew.
                await context.bot.send_message(
                    query.message.chat.id,
                    action.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=_markup(action.keyboard),
                    link_preview_options=no_preview,
                )
        elif isinstance(action, (Send, EditOrigin)) and chat is not None:
            await context.bot.send_message(
                chat.id,
                action.text,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(action.keyboard),
                link_preview_options=no_preview,
            )
        elif isinstance(action, SendDocument) and chat is not None:
            await context.bot.send_document(
                chat.id, InputFile(action.content, filename=action.filename), caption=action.caption
            )
    if query is not None and not answered:
        try:
            await query.answer()
        except BadRequest as exc:  # the query expired while we worked: nothing left to answer
            log.info("callback query not answered: %s", exc)


def _event_base(update: Update) -> dict[str, Any]:
    user = update.effective_user
    chat = update.effective_chat
    return {
        "user_id": user.id if user else 0,
        "chat_id": chat.id if chat else 0,
        "update_id": update.update_id,
        "language_code": user.language_code if user else None,
    }


def _service(context: ContextTypes.DEFAULT_TYPE) -> ChatService:
    service = context.bot_data["service"]
    assert isinstance(service, ChatService)
    return service


async def _serve(update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event) -> None:
    actions = await _service(context).handle(event)
    if actions is not None:  # None: a repeated delivery, answered the first time
        await perform(update, context, actions)


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
    await _serve(update, context, Pressed(**_event_base(update), data=data if isinstance(data, str) else ""))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    await _serve(
        update,
        context,
        Text(**_event_base(update), text=(msg.text if msg else "") or "", edited=update.edited_message is not None),
    )


async def on_anything_else(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    kind = "other"
    if msg is not None:
        for attr in ("sticker", "photo", "document", "voice", "video", "audio", "location", "contact", "animation"):
            if getattr(msg, attr, None):
                kind = attr
                break
    await _serve(update, context, Unsupported(**_event_base(update), kind=kind))


async def on_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group the bot never shows anyone's answers: only a pointer to its private chat."""
    link = f"https://t.me/{context.bot.username}" if context.bot.username else ""
    user = update.effective_user
    locale = user.language_code if user else None
    text = message("group", locale or "zh_Hans", link=link)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, link_preview_options=LinkPreviewOptions(is_disabled=True))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    user_hash = hashed(update.effective_user.id) if isinstance(update, Update) and update.effective_user else "-"
    update_id = update.update_id if isinstance(update, Update) else "-"
    log.error("error update=%s user=%s: %r", update_id, user_hash, context.error, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None and not isinstance(context.error, Forbidden):
        locale = update.effective_user.language_code if update.effective_user else None
        try:
            if update.callback_query is not None:
                await update.callback_query.answer()
            await context.bot.send_message(update.effective_chat.id, message("error", locale or "zh_Hans"))
        except TelegramError:
            log.warning("could not tell update=%s about the error", update_id)


async def _set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    for language_code, locale in [(None, "zh_Hans"), *COMMAND_LANGUAGES.items()]:
        commands = [BotCommand(name, gettext(locale, COMMAND_DESCRIPTIONS[name])) for name in COMMANDS]
        await application.bot.set_my_commands(commands, language_code=language_code)


def add_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    fresh = filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(~private & fresh & (filters.COMMAND | filters.Entity("mention")), on_group))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, on_text))
    application.add_handler(CommandHandler(list(COMMANDS), on_command, filters=private & fresh))
    application.add_handler(MessageHandler(private & fresh & filters.COMMAND, on_command))  # unknown: help
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_anything_else))
    application.add_error_handler(on_error)


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot's Application. `request` replaces the network layer (tests, benchmarks)."""
    notice = load_notice(notice_path(settings.notice_id))
    storage = Storage(settings.db_path)

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await storage.open()
        application.bot_data["service"] = ChatService(storage, notice)
        application.bot_data["storage"] = storage
        await _set_commands(application)

    async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await storage.close()

    builder = ApplicationBuilder().token(settings.token or "").base_url(settings.api_base_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter())  # type: ignore[arg-type]
    application = builder.post_init(post_init).post_shutdown(post_shutdown).build()
    add_handlers(application)
    return application

