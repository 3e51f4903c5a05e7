"""The console chat: the same conversation in a terminal, on the same SQLite storage.
Buttons become numbered choices; commands are typed as in Telegram (/start, /checklist …)."""

from __future__ import annotations

import argparse
import asyncio
import codecs
import logging
import os
import shutil
import sys
import threading
from pathlib import Path
from typing import TextIO

from bot.chat.actions import (
    Action,
    Button,
    CopyMessage,
    EditMessage,
    EditOrigin,
    Fetched,
    Keyboard,
    ProcessFile,
    Send,
    SendDocument,
    SendPhoto,
    Toast,
    expanded,
)
from bot.chat.events import Attachment, ButtonPressed, Command, Event, Text, pressed
from bot.chat.registry import N_, Registry
from bot.chat.service import ChatService, other_notices
from bot.chat.texts import gettext, message
from bot.chat.turn import Environment
from bot.chat.work import carry_out, too_large
from bot.logsafe import configure_logging
from bot.settings import Settings
from bot.store.storage import Storage
from conversations.clock import Clock
from conversations.render import to_plain
from knowledge import load_notice, notice_path

log = logging.getLogger("zhicheng.console")
GONE_BUTTON = N_("That button is no longer on screen.")
SHOWN_ABOVE = N_("What /start shows is just above: type a number to choose, or another command.")
CONSOLE_LOCALE = "zh_Hans"  # the notices are Chinese; /lang changes the conversation, not these lines
UPLOAD = "/upload"  # /upload PATH: the file at PATH, as if sent to the bot
NO_FILE = N_("No file to send at %(path)s. Type /upload and the path of a file, for example /upload ~/证书.png")


class ConsoleChat:
    """Turns typed lines into events and prints the actions; remembers the buttons on screen.

    A reply with new messages starts a new screen, numbered from 1. A reply that only edits the
    message whose button was typed (a tick) prints the changed lines only and keeps every number
    on screen working; a button that no longer exists is marked as gone. Documents are written per
    user (documents/<user id>/) and deleted with the user's data.
    """

    def __init__(self, service: ChatService, user_id: int, out: TextIO, documents_dir: Path) -> None:
        self.service = service
        self.user_id = user_id
        self.out = out
        self.documents_dir = documents_dir
        self.choices: list[str | None] = []  # callback data by number - 1; None: gone
        self._owner: list[int] = []  # the on-screen message each number belongs to
        self._texts: list[str] = []  # the plain text of each message on screen
        self._pressed: int | None = None  # the message whose button was typed last
        self._labels: dict[int, str] = {}  # the label shown for each number
        self.welcomed = False  # the console's own /start is the last thing shown

    async def welcome(self) -> None:
        """The console's own /start, at the beginning; a /start typed right after it shows nothing twice."""
        await self.send_line("/start")
        self.welcomed = True

    @property
    def user_documents(self) -> Path:
        return self.documents_dir / str(self.user_id)

    def upload_event(self, argument: str) -> Attachment | None:
        """/upload PATH: the file as a document sent to the bot (read later, as Telegram's would be
        downloaded); None when there is no file at PATH."""
        path = Path(argument.strip().strip("\"'")).expanduser()
        try:
            size = path.stat().st_size if argument.strip() and path.is_file() else None
        except OSError:
            size = None
        if size is None:
            return None
        return Attachment(
            self.user_id, self.user_id, None, kind="document", file_name=path.name, file_size=size, file_ref=str(path)
        )

    def event_for(self, line: str) -> Event:
        line = line.strip()
        uid = self.user_id
        update_id = None  # typed lines are never delivered twice
        self._pressed = None
        if line.split(maxsplit=1)[:1] == [UPLOAD]:
            upload = self.upload_event(line[len(UPLOAD) :])
            if upload is not None:
                return upload
        if line.startswith("/"):
            name = line[1:].split()[0].lower() if len(line) > 1 else ""
            return Command(uid, uid, update_id, name=name, args=tuple(line.split()[1:]))
        if line.isdigit() and 1 <= int(line) <= len(self.choices):
            data = self.choices[int(line) - 1]
            if data is not None:
                self._pressed = self._owner[int(line) - 1]
                return pressed(data, user_id=uid, chat_id=uid, update_id=update_id)
        return Text(uid, uid, update_id, text=line)

    async def send_line(self, line: str) -> None:
        welcomed, self.welcomed = self.welcomed, False
        if welcomed and line.strip().lower() == "/start":
            print("\n" + gettext(CONSOLE_LOCALE, SHOWN_ABOVE), file=self.out)
            return
        event = self.event_for(line)
        if isinstance(event, Text) and line.strip().isdigit() and 1 <= int(line.strip()) <= len(self.choices):
            print("\n" + gettext(CONSOLE_LOCALE, GONE_BUTTON), file=self.out)
        if isinstance(event, Command) and event.name == UPLOAD[1:]:  # /upload without a file to send
            print("\n" + gettext(CONSOLE_LOCALE, NO_FILE) % {"path": " ".join(event.args) or "-"}, file=self.out)
            return
        try:
            actions = expanded(await self.service.handle(event) or [])
        except Exception:
            log.exception("console: the line could not be handled")
            actions = [Send(message("error", "zh_Hans"))]
        if isinstance(event, ButtonPressed) and not await self._user_exists():
            shutil.rmtree(self.user_documents, ignore_errors=True)  # the documents go with the data
        while any(isinstance(a, ProcessFile) for a in actions):  # what comes before shows while the file is worked on
            at = next(i for i, a in enumerate(actions) if isinstance(a, ProcessFile))
            self.show(actions[:at])
            action, actions = actions[at], actions[at + 1 :]
            assert isinstance(action, ProcessFile)
            try:
                actions = expanded(await carry_out(action, await asyncio.to_thread(read_file, action))) + actions
            except Exception:
                log.exception("console: a file could not be worked on")
                actions = [Send(message("error", "zh_Hans"))]
        self.show(actions or [])

    async def _user_exists(self) -> bool:
        return await self.service.storage.atomically(
            lambda db: db.execute("SELECT 1 FROM users WHERE user_id = ?", (self.user_id,)).fetchone() is not None
        )

    def _keyboard(self, keyboard: Keyboard | None, owner: int) -> None:
        if not keyboard:
            return
        for row in keyboard:
            labels = []
            for button in row:
                self.choices.append(button.data)
                self._owner.append(owner)
                labels.append(f"[{len(self.choices)}] {button.label}")
            print("   " + "   ".join(labels), file=self.out)

    def _same_buttons(self, owner: int, keyboard: Keyboard | None) -> bool:
        """Whether the edit keeps the message's buttons (their data), changing at most labels (a tick)."""
        numbers = [n for n, o in enumerate(self._owner) if o == owner]
        return [self.choices[n] for n in numbers] == [b.data for row in keyboard or () for b in row]

    def _edit(self, owner: int, text: str, keyboard: Keyboard | None) -> None:
        """A tick: the message `owner` edited in place; only its changed lines and buttons are printed,
        and every number on screen keeps working."""
        old_lines = self._texts[owner].splitlines()
        new_lines = text.splitlines()
        self._texts[owner] = text
        if len(old_lines) == len(new_lines):
            changed = [new for old, new in zip(old_lines, new_lines, strict=True) if old != new]
        else:
            changed = new_lines
        print(file=self.out)
        for line in changed:
            print(line, file=self.out)
        numbers = [n for n, o in enumerate(self._owner) if o == owner]
        self._changed_buttons(numbers, [b for row in keyboard or () for b in row])

    def _changed_buttons(self, numbers: list[int], buttons: list[Button]) -> None:
        """Print the buttons whose label changed (a ☐ that became ☑), under their own numbers."""
        changed = []
        for n, button in zip(numbers, buttons, strict=True):
            self.choices[n] = button.data
            if button.label != self._labels.get(n):
                changed.append(f"[{n + 1}] {button.label}")
            self._labels[n] = button.label
        if changed:
            print("   " + "   ".join(changed), file=self.out)

    def show(self, actions: list[Action]) -> None:
        in_place = self._pressed is not None and all(
            isinstance(a, (Toast, SendDocument))
            or (isinstance(a, EditOrigin) and self._same_buttons(self._pressed, a.keyboard))
            for a in actions
        )
        new_screen = not in_place
        if new_screen:
            self.choices, self._owner, self._texts, self._labels = [], [], [], {}
        for action in actions:
            if isinstance(action, Toast):
                if action.text:
                    print(f"  〔{action.text}〕", file=self.out)
            elif isinstance(action, EditOrigin) and in_place and self._pressed is not None:
                self._edit(self._pressed, to_plain(action.text), action.keyboard)
            elif isinstance(action, (Send, EditOrigin, EditMessage)):
                text = to_plain(action.text)
                print(file=self.out)
                print(text, file=self.out)
                self._texts.append(text)
                start = len(self.choices)
                self._keyboard(action.keyboard, len(self._texts) - 1)
                for n, button in enumerate((b for row in action.keyboard or () for b in row), start=start):
                    self._labels[n] = button.label
            elif isinstance(action, CopyMessage):
                print("\n〔" + gettext(CONSOLE_LOCALE, COPY) % {"id": action.message_id} + "〕", file=self.out)
            elif isinstance(action, (SendDocument, SendPhoto)):
                self.user_documents.mkdir(parents=True, exist_ok=True)
                path = self.user_documents / action.filename
                path.write_bytes(action.content)
                print(f"\n📄 {action.caption}: {path}", file=self.out)
        self.out.flush()


def read_file(action: ProcessFile) -> Fetched:
    """The file of a ProcessFile (a path typed after /upload), never read beyond the action's limit."""
    if action.content is not None:
        return Fetched(action.content, len(action.content))
    path = Path(action.ref)
    try:
        size = path.stat().st_size
        if too_large(action, size):
            return Fetched(size=size, problem="too_large")
        content = path.read_bytes()
    except OSError:
        return Fetched(size=action.size, problem="unavailable")
    if too_large(action, len(content)):  # it grew since
        return Fetched(size=len(content), problem="too_large")
    return Fetched(content, len(content))


async def _console(
    settings: Settings, registry: Registry, user_id: int, stdin: TextIO, out: TextIO, clock: Clock | None = None
) -> int:
    notice = load_notice(notice_path(settings.notice_id))
    storage = await Storage(settings.db_path).open()
    try:
        env = Environment(contact_ids=settings.contact_ids, reminder_time=settings.reminder_time)
        service = ChatService(storage, notice, registry, clock=clock or Clock(), env=env, notices=other_notices(notice))
        await service.refresh_summaries()
        chat = ConsoleChat(service, user_id, out, settings.db_path.parent / "documents")
        print(
            f"职称申报助手 · console · {settings.db_path}  (/help; /upload PATH checks a file; "
            "Ctrl-C or Ctrl-D to leave)",
            file=out,
        )
        await chat.welcome()
        lines = _lines_of(stdin)
        while True:
            print("\n> ", end="", file=out, flush=True)
            line = await lines.get()
            if not line:
                print("\n" + gettext(CONSOLE_LOCALE, GOODBYE), file=out)
                return 0
            if line.strip():
                await chat.send_line(line)
    finally:
        await storage.close()


GOODBYE = N_("Goodbye. Your answers are saved; the next run goes on where you left off.")
COPY = N_("a copy of your message %(id)s")


def _lines_of(stdin: TextIO) -> asyncio.Queue[str]:
    """Lines typed, read by a daemon thread: Ctrl-C ends the console at once, not at the next Enter.
    A real terminal or pipe is read from its file descriptor, so that the thread holds no lock of
    Python's stdin buffer when the interpreter exits; "" marks the end of input."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def put(line: str) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, line)

    def read_fd(fd: int) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            pending += decoder.decode(chunk, final=not chunk)
            *lines, pending = pending.split("\n")
            for line in lines:
                put(line + "\n")
            if not chunk:
                if pending:
                    put(pending)
                put("")
                return

    def read_lines() -> None:
        while True:
            line = stdin.readline()
            put(line)
            if not line:
                return

    try:
        fd: int | None = stdin.fileno()
    except (OSError, ValueError, AttributeError):
        fd = None
    target = (lambda: read_fd(fd)) if fd is not None else read_lines
    threading.Thread(target=target, name="console-stdin", daemon=True).start()
    return queue


def run_console(args: argparse.Namespace, registry: Registry) -> int:
    settings = Settings.load(getattr(args, "config", None))
    configure_logging("WARNING")
    try:
        clock = Clock(getattr(args, "now", None))
        return asyncio.run(_console(settings, registry, getattr(args, "user", 1), sys.stdin, sys.stdout, clock))
    except KeyboardInterrupt:
        print("\n" + gettext(CONSOLE_LOCALE, GOODBYE), flush=True)
        return 0
