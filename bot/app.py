"""The composition root: the features on one registry (bot.features), and the adapters built on
it. Only this module and the command line import the features; the chat core, the store,
delivery and the adapters receive the registry."""

from __future__ import annotations

import argparse
from typing import Any

from bot.console.chat import run_console as run_console_on
from bot.features import REGISTRY
from bot.settings import Settings
from bot.telegram.application import build_telegram_application
from bot.telegram.handlers import App


def build_application(settings: Settings, **options: Any) -> App:
    """The Telegram bot with every feature (see bot.telegram.application for the options)."""
    return build_telegram_application(settings, REGISTRY, **options)


def run_console(args: argparse.Namespace) -> int:
    """The console chat with every feature."""
    return run_console_on(args, REGISTRY)
