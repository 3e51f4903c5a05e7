"""The console chat: the same conversation in a terminal, on the same SQLite storage.
Buttons become numbered choices; commands are typed as in Telegram (/start, /checklist …)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import TextIO

from bot import callbacks
from bot.actions import (
    Action,
    CopyMessage,
    EditMessage,
    EditOrigin,
    Keyboard,
    Send,
    SendDocument,
    SendPhoto,
    Toast,
    expanded,
)
from bot.events import Command, Event, Text
from bot.logsafe import configure_logging
from bot.service import ChatService
from bot.settings import Settings
from bot.storage import Storage
from bot.texts import message
from conversations.clock import Clock
from conversations.render import to_plain
from knowledge import load_notice, notice_path

log = logging.getLogger("zhicheng.console")


class ConsoleChat:
    """Turns typed lines into events and prints the actions; remembers the buttons on screen."""

    def __init__(self, service: ChatService, user_id: int, out: TextIO, documents_dir: Path) -> None:
        self.service = service
        self.user_id = user_id
        self.out = out
        self.documents_dir = documents_dir
        self.choices: list[str] = []

    def event_for(self, line: str) -> Event:
        line = line.strip()
        uid = self.user_id
        update_id = None  # typed lines are never delivered twice
        if line.startswith("/"):
            name = line[1:].split()[0].lower() if len(line) > 1 else ""
            return Command(uid, uid, update_id, name=name, args=tuple(line.split()[1:]))
        if line.isdigit() and 1 <= int(line) <= len(self.choices):
            return callbacks.event_for(self.choices[int(line) - 1], user_id=uid, chat_id=uid, update_id=update_id)
        return Text(uid, uid, update_id, text=line)

    async def send_line(self, line: str) -> None:
        try:
            actions = expanded(await self.service.handle(self.event_for(line)) or [])
        except Exception:
            log.exception("console: the line could not be handled")
            actions = [Send(message("error", "zh_Hans"))]
        self.show(actions or [])

    def _keyboard(self, keyboard: Keyboard | None) -> None:
        if not keyboard:
            return
        for row in keyboard:
            labels = []
            for button in row:
                self.choices.append(button.data)
                labels.append(f"[{len(self.choices)}] {button.label}")
            print("   " + "   ".join(labels), file=self.out)

    def show(self, actions: list[Action]) -> None:
        self.choices = []
        for action in actions:
            if isinstance(action, Toast):
                if action.text:
                    print(f"  〔{action.text}〕", file=self.out)
            elif isinstance(action, (Send, EditOrigin, EditMessage)):
                print(file=self.out)
                print(to_plain(action.text), file=self.out)
                self._keyboard(action.keyboard)
            elif isinstance(action, CopyMessage):
                print(f"\n〔copy of message {action.message_id}〕", file=self.out)
            elif isinstance(action, (SendDocument, SendPhoto)):
                self.documents_dir.mkdir(parents=True, exist_ok=True)
                path = self.documents_dir / action.filename
                path.write_bytes(action.content)
                print(f"\n📄 {action.caption}: {path}", file=self.out)
        self.out.flush()


async def _console(
    settings: Settings, user_id: int, stdin: TextIO, out: TextIO, clock: Clock | None = None
) -> int:
    notice = load_notice(notice_path(settings.notice_id))
    storage = await Storage(settings.db_path).open()
    try:
        service = ChatService(storage, notice, clock=clock or Clock())
        chat = ConsoleChat(service, user_id, out, settings.db_path.parent / "documents")
        print(f"职称申报助手 · console · {settings.db_path}  (/help; Ctrl-D to leave)", file=out)
        await chat.send_line("/start")
        while True:
            print("\n> ", end="", file=out, flush=True)
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                print(file=out)
                return 0
            if line.strip():
                await chat.send_line(line)
    finally:
        await storage.close()


def run_console(args: argparse.Namespace) -> int:
    settings = Settings.load(getattr(args, "config", None))
    configure_logging("WARNING")
    try:
        clock = Clock(getattr(args, "now", None))
        return asyncio.run(_console(settings, getattr(args, "user", 1), sys.stdin, sys.stdout, clock))
    except KeyboardInterrupt:
        return 0
