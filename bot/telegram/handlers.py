"""The PTB handlers: each turns one kind of update into a chat event, hands it to the ChatService
and carries its actions out. Commands are the registry's, each with PTB's own CommandHandler
(which parses /cmd@bot and its arguments); everything else is one handler per kind of update."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram import ChatMember, Document, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.chat.actions import WakeSender
from bot.chat.events import Attachment, Blocked, Command, Event, Text, pressed
from bot.chat.registry import Registry
from bot.chat.service import ChatService
from bot.chat.texts import message
from bot.delivery.sender import OutboxSender
from bot.logsafe import hashed
from bot.telegram.files import best_photo
from bot.telegram.perform import perform
from conversations.casefile import MAX_CASE_BYTES

log = logging.getLogger("zhicheng.bot")
ATTACHMENT_KINDS = ("sticker", "photo", "document", "voice", "video", "audio", "location", "contact", "animation")


@dataclass
class BotData:
    """What every handler and job may need, set once at start (ContextTypes(bot_data=BotData))."""

    service: ChatService | None = None
    sender: OutboxSender | None = None

    @property
    def chat(self) -> ChatService:
        if self.service is None:
            raise RuntimeError("the chat service is not started")
        return self.service


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
App = Application[Any, Context, Any, Any, BotData, Any]


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


async def serve(update: Update, context: Context, event: Event) -> None:
    service = context.bot_data.chat
    actions = await service.handle(event)  # the transaction ends before any network call
    if actions is None:  # a repeated delivery, answered the first time
        return
    await perform(
        context.bot,
        event.chat_id,
        actions,
        query=update.callback_query,
        storage=service.storage,
        registry=service.registry,
    )
    if any(isinstance(a, WakeSender) for a in actions):
        wake_sender(context)


def wake_sender(context: Context) -> None:
    """Run the outbox sender now (a broadcast was confirmed or cancelled) rather than at its next tick."""
    sender = context.bot_data.sender
    if sender is not None and context.job_queue is not None:
        context.job_queue.run_once(sender.tick, 0.0, name="outbox-sender-now")


def command_handler(name: str) -> Any:
    """The callback of /name: PTB's CommandHandler has matched the command and parsed its arguments."""

    async def on_command(update: Update, context: Context) -> None:
        await serve(update, context, Command(**_event_base(update), name=name, args=tuple(context.args or ())))

    on_command.__name__ = f"on_command_{name}"
    return on_command


async def on_unknown_command(update: Update, context: Context) -> None:
    """A command no feature registered (or one for another bot): answered with help."""
    await serve(update, context, Command(**_event_base(update), name="", args=()))


async def on_button(update: Update, context: Context) -> None:
    if update.effective_chat is not None and update.effective_chat.type != ChatType.PRIVATE:
        await on_group(update, context)
        return
    data = update.callback_query.data if update.callback_query else None
    await serve(update, context, pressed(data if isinstance(data, str) else "", **_event_base(update)))


async def on_text(update: Update, context: Context) -> None:
    msg = update.effective_message
    await serve(
        update,
        context,
        Text(
            **_event_base(update),
            text=(msg.text if msg else "") or "",
            edited=update.edited_message is not None,
            html=msg.text_html if msg and msg.text else None,
            forwarded=msg is not None and msg.forward_origin is not None,
        ),
    )


async def _small_document(context: Context, document: Document) -> bytes | None:
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


async def on_attachment(update: Update, context: Context) -> None:
    msg = update.effective_message
    kind = next((attr for attr in ATTACHMENT_KINDS if msg is not None and getattr(msg, attr, None)), "other")
    file: dict[str, Any] = {}
    fresh = update.edited_message is None  # an edited caption is not a new file
    if msg is not None and msg.document is not None:
        file = {
            "file_name": msg.document.file_name,
            "file_size": msg.document.file_size,
            "content": await _small_document(context, msg.document),
            "file_ref": msg.document.file_id if fresh else None,
        }
    elif msg is not None and msg.photo and fresh:
        photo = best_photo(msg.photo)  # the largest size that may be downloaded
        if photo is not None:
            file = {"file_size": photo.file_size, "file_ref": photo.file_id}
    await serve(update, context, Attachment(**_event_base(update), kind=kind, **file))


async def on_my_chat_member(update: Update, context: Context) -> None:
    """The user blocked the bot (kicked) or unblocked it (member) in their private chat."""
    member = update.my_chat_member
    if member is None or member.chat.type != ChatType.PRIVATE:
        return
    status = member.new_chat_member.status
    if status not in (ChatMember.BANNED, ChatMember.MEMBER):
        return
    await serve(update, context, Blocked(**_event_base(update), blocked=status == ChatMember.BANNED))


async def on_group(update: Update, context: Context) -> None:
    """In a group the bot never shows anyone's answers: only a pointer to its private chat."""
    link = f"https://t.me/{context.bot.username}" if context.bot.username else ""
    user = update.effective_user
    locale = user.language_code if user else None
    text = message("group", locale or "zh_Hans", link=link)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, parse_mode=None)


async def on_error(update: object, context: Context) -> None:
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


def add_handlers(application: App, registry: Registry) -> None:
    private = filters.ChatType.PRIVATE
    fresh = filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(~private & fresh & (filters.COMMAND | filters.Entity("mention")), on_group))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, on_text))
    for name in registry.commands:
        application.add_handler(CommandHandler(name, command_handler(name), filters=private & fresh))
    application.add_handler(MessageHandler(private & fresh & filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_attachment))
    application.add_error_handler(on_error)
