"""The python-telegram-bot Application: the handlers (bot.telegram.handlers) on a registry of
features, the chat service, the outbox sender on PTB's JobQueue, per-chat ordered concurrency and
the priority rate limiter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.chat.registry import Registry
from bot.chat.service import ChatService, other_notices
from bot.chat.turn import Environment
from bot.delivery.sender import SENDER_INTERVAL, OutboxSender
from bot.delivery.views import DeliveryViews
from bot.settings import Settings
from bot.store.storage import Storage
from bot.telegram.concurrency import DEFAULT_CONCURRENT_UPDATES, PerChatUpdateProcessor
from bot.telegram.handlers import App, BotData, add_handlers
from bot.telegram.http_client import AiohttpRequest
from bot.telegram.menus import set_all_commands
from bot.telegram.perform import TelegramTransport
from bot.telegram.ratelimit import PriorityRateLimiter
from conversations.clock import Clock
from knowledge import Notice, load_notice, notice_path

DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))


def build_telegram_application(
    settings: Settings,
    registry: Registry,
    *,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    concurrent_updates: int = DEFAULT_CONCURRENT_UPDATES,
    clock: Clock | None = None,
    sender_interval: float = SENDER_INTERVAL,
    notice: Notice | None = None,
    notices: Sequence[Notice] | None = None,
    bulk_per_second: int = 30,
) -> App:
    """The bot's Application answering what `registry` holds. `request` replaces the network layer
    (tests, benchmarks); without it the Bot API is reached through aiohttp (bot.telegram.http_client).
    `bulk_per_second` is the rate limiter's overall budget (30: Telegram's
    limit for a bot; higher for paid broadcasts).

    `notice` (default: the settings' ZHICHENG_NOTICE) is offered to new interviews unless another
    notice's applications are open; `notices` (default: every bundled notice that loads) keep the
    interviews begun under them.

    Up to `concurrent_updates` updates of different chats are handled at once, each chat's in
    order (bot.telegram.concurrency); requests go through the PriorityRateLimiter unless
    `rate_limit` is False; texts default to HTML without link previews.
    """
    notice = notice or load_notice(notice_path(settings.notice_id))
    notices = list(notices) if notices is not None else other_notices(notice)
    storage = Storage(settings.db_path)
    clock = clock or Clock()
    views = DeliveryViews.of(registry.views)

    async def post_init(application: App) -> None:
        await storage.open()
        env = Environment(
            contact_ids=settings.contact_ids,
            bot_username=application.bot.username,
            reminder_time=settings.reminder_time,
        )
        service = ChatService(storage, notice, registry, clock=clock, env=env, notices=notices)
        await service.refresh_summaries()
        application.bot_data.service = service
        await set_all_commands(application.bot, registry, storage, settings.contact_ids)
        sender = OutboxSender(
            TelegramTransport(application.bot, storage),
            storage,
            [notice, *(n for n in notices if n.id != notice.id)],
            clock,
            views,
            reminder_time=settings.reminder_time,
            grace=settings.reminder_grace,
            contact_ids=settings.contact_ids,
            bulk_per_second=bulk_per_second,
        )
        await sender.recover()
        application.bot_data.sender = sender
        if application.job_queue is not None and sender_interval > 0:
            application.job_queue.run_repeating(sender.tick, interval=sender_interval, first=1.0, name="outbox-sender")

    async def post_shutdown(application: App) -> None:
        await storage.close()

    builder: Any = (
        ApplicationBuilder()
        .token(settings.token or "")
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)  # files (case files sent as documents) from the same server
        .defaults(DEFAULTS)
        .context_types(ContextTypes(bot_data=BotData))
        .concurrent_updates(PerChatUpdateProcessor(concurrent_updates))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:  # aiohttp rather than PTB's httpx: a tenth of the CPU per Bot API call (bot.telegram.http_client);
        # an office's outbound proxy, when set, carries the bot's requests and getUpdates alike
        builder = builder.request(AiohttpRequest(proxy=settings.proxy)).get_updates_request(
            AiohttpRequest(connection_pool_size=1, proxy=settings.proxy)
        )
    if rate_limit:
        builder = builder.rate_limiter(PriorityRateLimiter(bulk_per_second=bulk_per_second))
    application: App = builder.post_init(post_init).post_shutdown(post_shutdown).build()
    add_handlers(application, registry)
    return application
