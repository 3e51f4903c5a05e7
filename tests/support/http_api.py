"""The Bot API stand-in of tests/support/offline.py served over HTTP on 127.0.0.1: for benchmarks
whose bots run in processes of their own (benchmarks/latency.py), and for the tests of the bot's
own HTTP client (bot.telegram.http_client).

One server holds one OfflineBotAPI per bot token (`/bot<token>/<method>`, as api.telegram.org
serves them), so the bots reach it through PTB's own HTTPXRequest exactly as they reach Telegram.
Every call is answered `delay` seconds after it arrived (a Bot API that far away), except
getUpdates: a long poll that is answered at once when updates are waiting, and held until one
is pushed otherwise (an update reaches the bot as soon as the user's tap reached Telegram; only
the bot's own calls pay the distance). A side made with `validate=False` skips the checks of
texts (benchmarks: they are Telegram's work). Files named by getFile are served at
/file/bot<token>/<file_id>.

A small asyncio protocol rather than a web framework: it must not be what limits a run of
hundreds of applicants, and it runs in the same process as the driver of the run. A call whose
method is in `hold` is never answered (a Bot API that does not answer in time).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.support.offline import Call, OfflineBotAPI

# (token, method, params, ok, result, at): told after each answered call (perf_counter time)
Listener = Callable[[str, str, dict[str, Any], bool, Any, float], None]
HEAD_END = b"\r\n\r\n"


@dataclass
class BotSide:
    """One bot's side of the stand-in: its chats (an OfflineBotAPI) and its updates to deliver."""

    token: str
    api: OfflineBotAPI = field(default_factory=lambda: OfflineBotAPI(record=False, validate=False))
    headers: list[dict[str, str]] = field(default_factory=list)  # of each call, when the api records
    updates: deque[dict[str, Any]] = field(default_factory=deque)
    poll: tuple[_Connection, asyncio.TimerHandle] | None = None  # a getUpdates held until an update comes
    polls: int = 0  # getUpdates calls seen (the first tells that the bot is up)
    calls: int = 0

    def push(self, update: dict[str, Any]) -> None:
        """An update Telegram has for the bot: delivered to the held long poll at once, if any."""
        self.updates.append(update)
        if self.poll is not None:
            connection, timer = self.poll
            self.poll = None
            timer.cancel()
            connection.respond(True, list(self.updates)[:100])


class _Connection(asyncio.Protocol):
    def __init__(self, server: BotAPIServer) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:  # httpx sends one request at a time on a connection; be safe with more
            end = self.buffer.find(HEAD_END)
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            path = head[0].split(" ")[1]
            self.server.request(self, path, headers, body)

    def respond_raw(self, status: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(
                b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: keep-alive\r\n\r\n%s"
                % (status, len(payload), payload)
            )

    def respond(self, ok: bool, result: Any, status: int = 200) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if ok:
            payload = json.dumps({"ok": True, "result": result}).encode()
        else:
            payload = json.dumps({"ok": False, "error_code": status, "description": result}).encode()
        self.transport.write(
            b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            b"Connection: keep-alive\r\n\r\n%s" % (status, len(payload), payload)
        )


def parse_params(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A Bot API request's parameters (a JSON body; form fields, JSON-encoded where not strings, as
    PTB's HTTPXRequest sends them; or multipart with files) and its files."""
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if content_type.startswith("multipart/form-data"):
        boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
        for part in body.split(b"--" + boundary):
            head, separator, content = part.partition(HEAD_END)
            if not separator:
                continue
            content = content[:-2] if content.endswith(b"\r\n") else content
            disposition = next(
                (
                    line
                    for line in head.decode("utf-8", "replace").split("\r\n")
                    if line.lower().startswith("content-disposition")
                ),
                "",
            )
            fields = dict(piece.strip().split("=", 1) for piece in disposition.split(";")[1:] if "=" in piece)
            name = fields.get("name", "").strip('"')
            if "filename" in fields:
                files[fields["filename"].strip('"') or name] = content
            else:
                params[name] = content.decode("utf-8")
    elif content_type.startswith("application/json"):
        params = json.loads(body) if body else {}
    elif body:
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if isinstance(params.get("reply_markup"), str):
        params["reply_markup"] = json.loads(params["reply_markup"])
    return params, files


class BotAPIServer:
    """The stand-in on 127.0.0.1:<port>; `base_url` is what TELEGRAM_API_BASE_URL takes."""

    def __init__(self, delay: float, listener: Listener | None = None) -> None:
        self.delay = delay
        self.listener = listener
        self.hold: set[str] = set()
        self.sides: dict[str, BotSide] = {}
        self._server: asyncio.Server | None = None
        self.connections: set[_Connection] = set()
        self.port = 0

    def side(self, token: str, api: OfflineBotAPI | None = None) -> BotSide:
        """The side of a bot token (made on first use; `api`: its own stand-in, recording and checking)."""
        if token not in self.sides:
            self.sides[token] = BotSide(token, api) if api is not None else BotSide(token)
        return self.sides[token]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), "127.0.0.1", 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for connection in list(self.connections):
                if connection.transport is not None:
                    connection.transport.close()
            await self._server.wait_closed()

    def request(self, connection: _Connection, path: str, headers: dict[str, str], body: bytes) -> None:
        download = path.startswith("/file/bot")
        token, _, method = path.removeprefix("/file").removeprefix("/bot").partition("/")
        side = self.sides.get(token)
        if side is None:
            connection.respond(False, "Unauthorized", 401)
            return
        if side.api.record:
            side.headers.append(headers)
        if download:
            content = side.api.files.get(method.rsplit("/", 1)[-1])
            asyncio.get_running_loop().call_later(
                self.delay, connection.respond_raw, 200 if content else 404, content or b"Not Found"
            )
            return
        params, files = parse_params(headers.get("content-type", ""), body)
        side.calls += 1
        if method == "getUpdates":
            self._get_updates(side, connection, params)
            return
        if method in self.hold:
            return
        loop = asyncio.get_running_loop()
        loop.call_later(self.delay, self._answer, side, connection, method, params, files)

    def _answer(
        self, side: BotSide, connection: _Connection, method: str, params: dict[str, Any], files: dict[str, bytes]
    ) -> None:
        ok, result = side.api.answer(method, params, files)
        if side.api.record:
            side.api.calls.append(Call(method, params, files))
        if self.listener is not None:
            self.listener(side.token, method, params, ok, result, time.perf_counter())
        connection.respond(ok, result, 200 if ok else 400)

    def _get_updates(self, side: BotSide, connection: _Connection, params: dict[str, Any]) -> None:
        side.polls += 1
        offset = int(params.get("offset") or 0)
        while side.updates and side.updates[0]["update_id"] < offset:
            side.updates.popleft()
        if side.updates:
            connection.respond(True, list(side.updates)[: int(params.get("limit") or 100)])
            return
        if side.poll is not None:  # a poll superseded (Telegram answers the old one with a conflict)
            old, timer = side.poll
            timer.cancel()
            old.respond(True, [])
        timeout = float(params.get("timeout") or 0)
        timer = asyncio.get_running_loop().call_later(timeout, self._poll_timed_out, side)
        side.poll = (connection, timer)

    @staticmethod
    def _poll_timed_out(side: BotSide) -> None:
        if side.poll is not None:
            connection, _ = side.poll
            side.poll = None
            connection.respond(True, [])
