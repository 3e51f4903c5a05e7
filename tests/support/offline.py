"""An in-process stand-in for the Bot API (test support, not part of the installed bot): a
telegram.request.BaseRequest that answers the methods this bot uses the way Telegram does,
enforces Telegram's limits (message length, callback data, HTML entities) and records every
call. Each call can be delayed (a fixed latency, plus a random part), made to time out, or held
until a test lets it go. Tests and benchmarks run the real PTB Application on it, offline."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.error import TimedOut
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.chat.html import CALLBACK_DATA_LIMIT, MESSAGE_LIMIT, check_html

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "职称申报助手",
    "username": "zhicheng_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Methods that deliver something to a chat (refused with 403 where the user blocked the bot).
SENDING = frozenset({"sendMessage", "editMessageText", "sendDocument", "sendPhoto", "copyMessage"})


def error_code(description: str) -> int:
    """The HTTP status Telegram answers an error with."""
    return 403 if description.startswith("Forbidden") else 400


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


# Called before a call is answered, with (method, params); it may wait (a gate) or raise TimedOut.
BeforeCall = Callable[[str, dict[str, Any]], Awaitable[None]]
# Called once a call is answered, with (method, params, ok).
AfterCall = Callable[[str, dict[str, Any], bool], None]


class OfflineBotAPI(BaseRequest):
    """Answers Bot API calls from memory. `calls` records them; `messages` holds what a chat shows.

    Every call waits `latency` seconds plus a uniform random part of up to `jitter` seconds
    (drawn from `seed`); `validate=False` skips the checks of texts and buttons (benchmarks:
    they are Telegram's work, not the bot's); with probability `timeout_rate` it then raises TimedOut instead of
    answering (the request never reached Telegram). `before_call` and `after_call` let tests
    and benchmarks hold, fail or time the calls of one chat.
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        jitter: float = 0.0,
        timeout_rate: float = 0.0,
        seed: int | None = None,
        record: bool = True,
        validate: bool = True,
        before_call: BeforeCall | None = None,
        after_call: AfterCall | None = None,
        blocked: set[int] | None = None,
    ) -> None:
        self.latency = latency
        self.jitter = jitter
        self.timeout_rate = timeout_rate
        self.random = random.Random(seed)
        self.record = record
        self.validate = validate
        self.before_call = before_call
        self.after_call = after_call
        self.blocked = blocked if blocked is not None else set()  # chats whose user blocked the bot: 403
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}  # file_id -> content, served by getFile and the file URL
        # Where the bot reaches this Bot API (scheme, host and port of its method calls): files are
        # downloaded from this same server only, as from a self-hosted Bot API server that is the only
        # one the bot can reach; a download from anywhere else gets 404.
        self.server: str | None = None
        self._ids = itertools.count(1)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        msg = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            **content,
        }
        self.messages[(chat_id, message_id)] = msg
        return msg

    @staticmethod
    def _check_markup(params: dict[str, Any]) -> str | None:
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                    return "Bad Request: BUTTON_DATA_INVALID"
        return None

    def _check_text(self, params: dict[str, Any], key: str = "text") -> str | None:
        if not self.validate:  # benchmarks: Telegram's checks run on Telegram's CPU, not ours
            return None
        text = str(params.get(key, ""))
        if key == "text" and not text.strip():
            return "Bad Request: message text is empty"
        if len(text) > (MESSAGE_LIMIT if key == "text" else 1024):
            return "Bad Request: message is too long"
        if params.get("parse_mode") == "HTML":
            problem = check_html(text)
            if problem:
                return f"Bad Request: {problem}"
        return self._check_markup(params)

    def answer(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> tuple[bool, Any]:
        """(ok, result or error description) for one call."""
        chat_id = int(params.get("chat_id", 0) or 0)
        if chat_id in self.blocked and method in SENDING:
            return False, "Forbidden: bot was blocked by the user"
        if method == "getMe":
            return True, BOT_USER
        if method in {
            "setMyCommands",
            "deleteMyCommands",
            "deleteWebhook",
            "setWebhook",
            "answerCallbackQuery",
            "close",
            "logOut",
        }:
            if method == "answerCallbackQuery" and len(str(params.get("text", ""))) > 200:
                return False, "Bad Request: MESSAGE_TOO_LONG"
            return True, True
        if method == "getUpdates":
            return True, []
        if method == "getFile":
            file_id = str(params.get("file_id", ""))
            if file_id not in self.files:
                return False, "Bad Request: invalid file_id"
            return True, {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
        if method == "sendMessage":
            problem = self._check_text(params)
            if problem:
                return False, problem
            content = {"text": params["text"]}
            if params.get("reply_markup"):
                content["reply_markup"] = params["reply_markup"]
            return True, self._message(chat_id, **content)
        if method == "editMessageText":
            problem = self._check_text(params)
            if problem:
                return False, problem
            key = (chat_id, int(params.get("message_id", 0)))
            old = self.messages.get(key)
            if old is None:
                return False, "Bad Request: message to edit not found"
            markup = params.get("reply_markup")
            if old.get("text") == params["text"] and old.get("reply_markup") == markup:
                return False, "Bad Request: message is not modified"
            old["text"] = params["text"]
            old.pop("reply_markup", None)
            if markup:
                old["reply_markup"] = markup
            return True, old
        if method == "sendDocument":
            problem = self._check_text(params, "caption") if params.get("caption") else None
            if problem:
                return False, problem
            if not files:
                return False, "Bad Request: there is no document in the request"
            name, _ = next(iter(files.items()))
            return True, self._message(
                chat_id,
                document={
                    "file_id": f"doc{len(self.calls)}",
                    "file_unique_id": f"u{len(self.calls)}",
                    "file_name": name,
                },
                caption=params.get("caption", ""),
            )
        if method == "sendPhoto":
            problem = self._check_text(params, "caption") if params.get("caption") else None
            if problem:
                return False, problem
            if not files:
                return False, "Bad Request: there is no photo in the request"
            return True, self._message(
                chat_id,
                photo=[
                    {
                        "file_id": f"ph{len(self.calls)}",
                        "file_unique_id": f"p{len(self.calls)}",
                        "width": 1080,
                        "height": 480,
                    }
                ],
                caption=params.get("caption", ""),
            )
        if method == "copyMessage":
            source = [int(params.get("from_chat_id", 0) or 0), int(params.get("message_id", 0) or 0)]
            if not all(source):
                return False, "Bad Request: message to copy not found"
            return True, {"message_id": self._message(chat_id, copy_of=source)["message_id"]}
        return False, f"Not Found: method {method} is not offered by the offline Bot API"

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        if "/file/bot" in url:  # a download of a file getFile named (File.download_*)
            if self.record:
                self.calls.append(Call("downloadFile", {"file_id": api_method, "url": url}))
            if self.server is not None and not url.startswith(f"{self.server}/file/bot"):
                return 404, b"Not Found"  # another server than the Bot API the bot talks to
            content = self.files.get(api_method)
            return (200, content) if content is not None else (404, b"Not Found")
        self.server = url.rsplit("/bot", 1)[0]  # base_url ends in /bot, the token follows
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files: dict[str, bytes] = {}
        if request_data is not None and request_data.contains_files:
            for key, value in (request_data.multipart_data or {}).items():
                if isinstance(value, tuple) and len(value) >= 2 and isinstance(value[1], bytes):
                    files[str(value[0] or key)] = value[1]
        delay = self.latency + (self.random.uniform(0, self.jitter) if self.jitter else 0.0)
        if delay:
            await asyncio.sleep(delay)
        if self.before_call is not None:
            await self.before_call(api_method, params)
        if self.timeout_rate and api_method != "getMe" and self.random.random() < self.timeout_rate:
            raise TimedOut("offline Bot API: the call timed out")
        ok, result = self.answer(api_method, params, files)
        if self.record:
            self.calls.append(Call(api_method, params, files))
        if self.after_call is not None:
            self.after_call(api_method, params, ok)
        if ok:
            return 200, json.dumps({"ok": True, "result": result}).encode()
        code = error_code(result)
        return code, json.dumps({"ok": False, "error_code": code, "description": result}).encode()

    # --- reading what the bot did ---

    def sent(self, method: str | None = None) -> list[Call]:
        return [c for c in self.calls if method is None or c.method == method]

    def clear(self) -> None:
        self.calls.clear()


class UpdateFactory:
    """Builds the updates Telegram would deliver for a user's actions."""

    def __init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(10_000_000)
        self._callback_ids = itertools.count(1)

    @staticmethod
    def user(user_id: int, language: str | None = "zh-hans") -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"用户{user_id}"}
        if language:
            user["language_code"] = language
        return user

    @staticmethod
    def chat(chat_id: int, kind: str = "private") -> dict[str, Any]:
        return {"id": chat_id, "type": kind, **({"title": "群"} if kind != "private" else {})}

    def message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_type: str = "private",
        edited: bool = False,
        language: str | None = "zh-hans",
        **content: Any,
    ) -> dict[str, Any]:
        chat_id = user_id if chat_type == "private" else -1000000000000 - user_id
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type),
            "from": self.user(user_id, language),
            **content,
        }
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if edited:
            msg["edit_date"] = int(time.time())
            return {"update_id": next(self._update_ids), "edited_message": msg}
        return {"update_id": next(self._update_ids), "message": msg}

    def callback(
        self,
        user_id: int,
        data: str,
        message: dict[str, Any] | None = None,
        *,
        chat_type: str = "private",
        language: str | None = "zh-hans",
    ) -> dict[str, Any]:
        chat_id = user_id if chat_type == "private" else -1000000000000 - user_id
        origin = message or {
            "message_id": 1,
            "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type),
            "from": BOT_USER,
            "text": "…",
        }
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._callback_ids)),
                "from": self.user(user_id, language),
                "chat_instance": str(chat_id),
                "data": data,
                "message": origin,
            },
        }

    def sticker(self, user_id: int) -> dict[str, Any]:
        return self.message(
            user_id,
            sticker={
                "file_id": "stk",
                "file_unique_id": "stk1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            },
        )

    def document(
        self,
        user_id: int,
        file_id: str,
        file_name: str,
        file_size: int | None,
        mime_type: str = "application/octet-stream",
    ) -> dict[str, Any]:
        document: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
        }
        if file_size is not None:
            document["file_size"] = file_size
        return self.message(user_id, document=document)

    def my_chat_member(self, user_id: int, status: str) -> dict[str, Any]:
        """Telegram's report that the user blocked the bot ("kicked") or unblocked it ("member")."""
        old = "member" if status == "kicked" else "kicked"
        member = {"user": BOT_USER, "status": status}
        if status == "kicked":
            member["until_date"] = 0
        return {
            "update_id": next(self._update_ids),
            "my_chat_member": {
                "chat": self.chat(user_id),
                "from": self.user(user_id),
                "date": int(time.time()),
                "old_chat_member": {"user": BOT_USER, "status": old, **({"until_date": 0} if old == "kicked" else {})},
                "new_chat_member": member,
            },
        }

    def photo(self, user_id: int) -> dict[str, Any]:
        return self.message(user_id, photo=[{"file_id": "ph", "file_unique_id": "ph1", "width": 90, "height": 90}])


async def feed(application: Application[Any, Any, Any, Any, Any, Any], data: dict[str, Any]) -> None:
    """Deliver one update (as Telegram's JSON) to the application and wait until it is handled."""
    await application.process_update(Update.de_json(data, application.bot))
