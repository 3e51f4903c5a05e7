"""Running the bot against Telegram: start-up, long polling or a webhook, failures, a clean stop.

- A token the Bot API rejects ends the program with one line (never the token) and exit code 2.
- While the Bot API cannot be reached, start-up and polling retry with a growing pause and log one
  line per attempt; network errors never print a traceback.
- SIGTERM and SIGINT stop the bot cleanly: no new updates are taken, the ones in hand are finished.
- With a webhook, the path of the webhook URL is served, the secret token is checked on every
  request, and GET /healthz answers whether the storage is reachable and the notice loaded.
- A heartbeat file beside the database tells `zhicheng-bot health` that the bot runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import os
import re
import signal
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.logsafe import configure_logging
from bot.settings import Settings, webhook_url_problem
from bot.telegram.handlers import App
from bot.telegram.http_client import close_requests
from conversations.clock import Clock
from knowledge import KnowledgeError

log = logging.getLogger("zhicheng.runner")

EXIT_INVALID = 2
FIRST_PAUSE = 1.0
MAX_PAUSE = 60.0
HEARTBEAT_SECONDS = 30.0
HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few KiB; nginx's example allows 1 MiB too
REAL_IP_HEADER = "X-Real-IP"  # set by the reverse proxy in front (deploy/nginx-zhicheng-bot.conf)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def client_address(remote_ip: str, real_ip: str | None) -> str:
    """The client's address: the reverse proxy's X-Real-IP when the request comes from this machine
    (nginx in front), else the peer's own address (a header from elsewhere could be forged)."""
    try:
        local = ipaddress.ip_address(remote_ip).is_loopback
    except ValueError:
        local = False
    if local and real_ip:
        try:
            return str(ipaddress.ip_address(real_ip.strip()))
        except ValueError:
            return remote_ip
    return remote_ip


def heartbeat_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".heartbeat")


class _QuietNetworkErrors(logging.Filter):
    """On the handlers: network errors become one line (no traceback), secrets never appear."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        message = record.getMessage()
        if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
            message = f"{message} ({one_line(exc)})"
            record.exc_info = None
            record.exc_text = None
        elif record.exc_info:
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
        record.msg = self._redact(message)
        record.args = None
        return True


def install_log_filter(settings: Settings) -> None:
    quiet = _QuietNetworkErrors([settings.token or "", settings.webhook_secret or "", settings.log_salt or ""])
    for handler in logging.getLogger().handlers:
        handler.addFilter(quiet)


@dataclass
class Status:
    """What the heartbeat reports: who we are, how we receive updates, the last network problem."""

    mode: str
    bot: str = ""
    last_error: str | None = None
    last_error_at: float | None = None
    started_at: float = field(default_factory=time.time)

    def network_error(self, exc: BaseException) -> None:
        self.last_error, self.last_error_at = one_line(exc), time.time()

    def write(self, path: Path) -> None:
        data = {
            "pid": os.getpid(),
            "bot": self.bot,
            "mode": self.mode,
            "at": time.time(),
            "started_at": self.started_at,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
        }
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data), "utf-8")
        tmp.replace(path)


async def _pause(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep, or return True at once when a stop was asked for."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


async def with_retries(
    action: Callable[[], Awaitable[object]], what: str, stop: asyncio.Event, status: Status | None = None
) -> bool:
    """Run `action` until it succeeds; False if stopped first. InvalidToken and BadRequest are raised."""
    pause = FIRST_PAUSE
    while not stop.is_set():
        try:
            await action()
            return True
        except (InvalidToken, BadRequest):
            raise
        except RetryAfter as exc:
            wait = exc.retry_after if isinstance(exc.retry_after, int | float) else exc.retry_after.total_seconds()
            log.warning("%s: Telegram asks to wait %.0f s", what, wait)
            if await _pause(stop, float(wait)):
                break
            continue
        except (NetworkError, TelegramError) as exc:
            if status is not None:
                status.network_error(exc)
            log.warning("%s failed (%s); retrying in %.0f s", what, one_line(exc), pause)
        if await _pause(stop, pause):
            break
        pause = min(pause * 2, MAX_PAUSE)
    return False


async def health_line(application: App) -> tuple[bool, str]:
    """(healthy, one line) for the running application: storage reachable, notice loaded."""
    service = application.bot_data.service
    if service is None:
        return False, "unhealthy: the bot has not started"
    storage = service.storage
    # Deleted or moved away: the open connection would still answer from the unlinked file.
    if str(storage.path) != ":memory:" and not storage.path.is_file():
        return False, f"unhealthy: storage {storage.path} is gone"
    try:  # through the storage lock, like every transaction
        migrations = await storage.atomically(
            lambda db: int(db.execute("SELECT count(*) FROM applied_migrations").fetchone()[0])
        )
    except Exception as exc:
        return False, f"unhealthy: storage {storage.path} not reachable ({one_line(exc)})"
    return True, f"ok: storage {storage.path} ({migrations} migrations), notice {service.notice.id}"


class WebhookServer:
    """Tornado server for webhook mode: POST <path of the webhook URL>, GET /healthz."""

    def __init__(self, application: App, url_path: str, secret: str) -> None:
        import tornado.httpserver
        import tornado.web

        app = application
        expected = secret.encode()

        class UpdateHandler(tornado.web.RequestHandler):
            async def post(self) -> None:
                given = self.request.headers.get(SECRET_HEADER, "").encode()
                if not hmac.compare_digest(given, expected):
                    log.warning(
                        "webhook request without the right secret token from %s refused",
                        client_address(self.request.remote_ip or "", self.request.headers.get(REAL_IP_HEADER)),
                    )
                    self.send_error(403)
                    return
                try:
                    update = Update.de_json(json.loads(self.request.body), app.bot)
                except (ValueError, TypeError, KeyError) as exc:
                    log.warning("webhook request with an unreadable update refused (%s)", one_line(exc))
                    self.send_error(400)
                    return
                await app.update_queue.put(update)
                self.set_status(200)

        class HealthHandler(tornado.web.RequestHandler):
            async def get(self) -> None:
                ok, line = await health_line(app)
                self.set_status(200 if ok else 503)
                self.set_header("Content-Type", "text/plain; charset=utf-8")
                self.finish(line + "\n")

        path = "/" + url_path.strip("/")
        handlers: list[Any] = [(HEALTH_PATH, HealthHandler)]
        if path != HEALTH_PATH:
            handlers.append((rf"{re.escape(path.rstrip('/'))}/?", UpdateHandler))
        self.path = path
        self.server = tornado.httpserver.HTTPServer(
            tornado.web.Application(handlers, log_function=lambda _: None), max_body_size=MAX_UPDATE_BYTES
        )

    def listen(self, address: str, port: int) -> None:
        self.server.listen(port, address)

    async def stop(self) -> None:
        self.server.stop()
        await self.server.close_all_connections()


async def _heartbeat(status: Status, path: Path, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            status.write(path)
        except OSError as exc:
            log.warning("heartbeat %s not written (%s)", path, one_line(exc))
        if await _pause(stop, HEARTBEAT_SECONDS):
            return


async def serve(
    application: App, settings: Settings, webhook_url: str | None, stop: asyncio.Event | None = None
) -> int:
    """Initialize (with retries), receive updates until SIGTERM/SIGINT, stop cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    status = Status(mode="webhook" if webhook_url else "polling")
    host = urlsplit(settings.api_base_url).hostname
    connected = False
    try:
        connected = await with_retries(application.initialize, f"connecting to the Bot API at {host}", stop, status)
        if not connected:
            log.info("stopped before connecting")
            return 0
    except InvalidToken:
        log.error("the Bot API at %s rejected TELEGRAM_BOT_TOKEN; check the token @BotFather gave you", host)
        return EXIT_INVALID
    finally:
        if not connected:  # the HTTP sessions PTB opened for the failed start
            await close_requests(application.bot)
    status.bot = f"@{application.bot.username}"
    started = False
    server: WebhookServer | None = None
    beat: asyncio.Task[None] | None = None
    try:

        async def post_init() -> None:
            try:
                assert application.post_init is not None
                await application.post_init(application)
            except TelegramError:
                if application.post_shutdown is not None:
                    await application.post_shutdown(application)  # closes the storage: opened anew next time
                raise

        if not await with_retries(post_init, "setting the bot's commands", stop, status):
            return 0
        updater = application.updater
        assert updater is not None
        if webhook_url:
            server = WebhookServer(application, urlsplit(webhook_url).path, settings.webhook_secret or "")
            server.listen(settings.webhook_listen, settings.webhook_port)

            # A self-signed certificate (ZHICHENG_WEBHOOK_CERT) is uploaded so that Telegram trusts it.
            certificate = settings.webhook_cert.read_bytes() if settings.webhook_cert else None

            async def set_webhook() -> None:
                await application.bot.set_webhook(
                    webhook_url,
                    secret_token=settings.webhook_secret,
                    allowed_updates=Update.ALL_TYPES,
                    certificate=certificate,
                )

            if not await with_retries(set_webhook, "setting the webhook", stop, status):
                return 0
        else:

            def polling_error(exc: TelegramError) -> None:
                status.network_error(exc)
                log.warning("polling for updates failed (%s); retrying", one_line(exc))

            await updater.start_polling(
                allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1, error_callback=polling_error
            )
        await application.start()
        started = True
        beat = asyncio.create_task(_heartbeat(status, heartbeat_path(settings.db_path), stop))
        if webhook_url:
            log.info(
                "已连接 %s，webhook %s（本机监听 %s:%s，路径 %s）",
                status.bot,
                webhook_url,
                settings.webhook_listen,
                settings.webhook_port,
                server.path if server else "/",
            )
        else:
            log.info("已连接 %s，长轮询中", status.bot)
        await stop.wait()
        log.info("stopping: finishing the updates in hand")
        return 0
    finally:
        if server is not None:
            await server.stop()
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if started:
            await application.stop()  # processes the updates already queued, awaits running handlers
        if beat is not None:
            stop.set()
            await beat
        with contextlib.suppress(OSError):
            heartbeat_path(settings.db_path).unlink()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        log.info("stopped")


def run(args: argparse.Namespace, build_application: Callable[..., App]) -> int:
    """`zhicheng-bot run [--webhook URL]` with the Application `build_application(settings, clock=…)` makes."""
    settings = Settings.load(getattr(args, "config", None))
    configure_logging(settings.log_level, settings.log_salt, unsafe_debug=settings.log_unsafe_debug)
    install_log_filter(settings)
    if not settings.token:
        log.error("TELEGRAM_BOT_TOKEN is not set; `zhicheng-bot console` runs the chat without Telegram")
        return EXIT_INVALID
    webhook_url = getattr(args, "webhook", None) or settings.webhook_url
    if webhook_url:
        problem = webhook_url_problem(webhook_url)
        if problem:
            log.error("--webhook %s %s (Telegram sends webhooks over HTTPS only)", webhook_url, problem)
            return EXIT_INVALID
        if not settings.webhook_secret:
            log.error("--webhook needs ZHICHENG_WEBHOOK_SECRET (the secret token Telegram sends back)")
            return EXIT_INVALID
    try:
        application = build_application(settings, clock=Clock(getattr(args, "now", None)))
    except KnowledgeError as exc:
        log.error("ZHICHENG_NOTICE %s cannot be loaded: %s", settings.notice_id, exc)
        return EXIT_INVALID
    try:
        return asyncio.run(serve(application, settings, webhook_url))
    except BadRequest as exc:
        log.error("the Bot API refused a start-up request (%s)", one_line(exc))
        return EXIT_INVALID
    except OSError as exc:  # the database folder or the webhook port
        log.error("cannot start: %s", one_line(exc))
        return EXIT_INVALID
    except sqlite3.Error as exc:  # a migration that failed (rolled back), a damaged database
        log.error("cannot start: the database %s (%s)", settings.db_path, one_line(exc))
        return 1
