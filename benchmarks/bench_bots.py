"""The two bots of benchmarks/latency.py, each in a process of its own, so that each one's CPU
time and memory are its own (the driver and the Bot API stand-in run in the parent).

  bench_bots.py bot [--now TIME] [--profile FILE]
      `zhicheng-bot run`: long polling, settings from the environment (TELEGRAM_BOT_TOKEN,
      TELEGRAM_API_BASE_URL, ZHICHENG_DB, ZHICHENG_LOG_SALT …), logging as in production.
  bench_bots.py bot --uvloop
      the same on uvloop's event loop (uvloop installed by hand: it is not a dependency).
  bench_bots.py echo [--transport aiohttp]
      a bare PTB Application (concurrent updates) that answers /start with its text and a tap by
      editing the tapped message to the button's data: one Bot API call each; with PTB's own HTTP
      client (httpx), or with the bot's (bot.telegram.http_client) to compare everything else.

Both stop cleanly on SIGTERM. With --profile, every thread of the bot (the event loop, SQLite's
thread, the thread that renders the outcome) runs under cProfile, timed by each thread's own
CPU clock, from the moment the Application is built (start-up's loading of the notice is left
out) to the stop; the merged statistics are written to FILE (pstats format).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))


def run_bot(now: str | None, profile_path: str | None) -> int:
    from bot.app import build_application
    from bot.cli import build_parser
    from bot.telegram import runner

    args = build_parser().parse_args(["run", *(["--now", now] if now else [])])
    if profile_path is None:
        return runner.run(args, build_application)

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    main_profile = cProfile.Profile(time.thread_time)
    original_run = threading.Thread.run

    def profiled_run(self: threading.Thread) -> None:
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            original_run(self)
        finally:
            profile.disable()
            with lock:
                profiles.append(profile)

    threading.Thread.run = profiled_run  # type: ignore[method-assign]

    def build_then_profile(settings: Any, **options: Any) -> Any:
        application = build_application(settings, **options)
        main_profile.enable()
        return application

    try:
        return runner.run(args, build_then_profile)
    finally:
        main_profile.disable()
        stats = pstats.Stats(main_profile)
        with lock:
            for profile in profiles:
                stats.add(profile)
        stats.dump_stats(profile_path)


def run_echo(transport: str) -> int:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

    async def echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    async def echo_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.edit_message_text(update.callback_query.data or "")

    builder = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(True)
    )
    if transport == "aiohttp":  # the bot's own HTTP client, for a comparison of everything else
        from bot.telegram.http_client import AiohttpRequest

        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(connection_pool_size=1))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo_text))
    app.add_handler(CallbackQueryHandler(echo_tap))
    app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["bot", "echo"])
    parser.add_argument("--now", help="the bot's clock starts at this moment (zhicheng-bot run --now)")
    parser.add_argument("--profile", metavar="FILE", help="profile the bot's threads into FILE")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop (measured side by side)")
    parser.add_argument("--switch-interval", type=float, help="sys.setswitchinterval (seconds) for the bot")
    parser.add_argument(
        "--transport",
        choices=["httpx", "aiohttp"],
        default="httpx",
        help="the echo bot's HTTP client: PTB's default (httpx) or the bot's (aiohttp)",
    )
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    if args.uvloop:
        import asyncio

        import uvloop  # not a dependency of the bot: installed by hand to measure it

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    if args.kind == "echo":
        return run_echo(args.transport)
    return run_bot(args.now, args.profile)


if __name__ == "__main__":
    sys.exit(main())
