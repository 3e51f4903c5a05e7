"""A Bot API emulator on 127.0.0.1: a real HTTP server answering like api.telegram.org
(via OfflineBotAPI's answers), with getUpdates served from a queue."""

from __future__ import annotations

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.support.offline import Call, OfflineBotAPI, error_code

JSON_FIELDS = {
    "reply_markup",
    "commands",
    "chat_id",
    "message_id",
    "link_preview_options",
    "offset",
    "timeout",
    "limit",
    "allowed_updates",
    "show_alert",
    "from_chat_id",
}


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # a sender's batch of concurrent requests (the default backlog is 5)
    daemon_threads = True


class BotAPIEmulator:
    def __init__(self, *, reject_token: bool = False, delays: dict[str, float] | None = None) -> None:
        """`reject_token`: answer every call 401 Unauthorized, as Telegram does for a revoked token;
        `delays`: seconds to wait before answering a method (requests in flight are in `started`)."""
        self.api = OfflineBotAPI()
        self.reject_token = reject_token
        self.delays = delays or {}
        self.started: list[str] = []
        self.pending: queue.Queue[dict[str, Any]] = queue.Queue()
        self.paths: list[str] = []
        self.lock = threading.Lock()
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                return None

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode("utf-8", "replace")
                params: dict[str, Any] = {}
                if "application/json" in self.headers.get("Content-Type", ""):  # the bot's aiohttp client
                    params = json.loads(body) if body else {}
                elif "application/x-www-form-urlencoded" in self.headers.get("Content-Type", ""):  # PTB's httpx
                    for key, values in parse_qs(body, keep_blank_values=True).items():
                        value: Any = values[0]
                        if key in JSON_FIELDS:
                            value = json.loads(value)
                        params[key] = value
                emulator.paths.append(self.path)
                method = self.path.rsplit("/", 1)[-1]
                emulator.started.append(method)
                if method in emulator.delays:
                    time.sleep(emulator.delays[method])
                if emulator.reject_token:
                    payload: dict[str, Any] = {"ok": False, "error_code": 401, "description": "Unauthorized"}
                elif method == "getUpdates":
                    try:
                        result: Any = [emulator.pending.get(timeout=0.2)]
                    except queue.Empty:
                        result = []
                    payload = {"ok": True, "result": result}
                else:
                    files = {"document": b"x"} if method in ("sendDocument", "sendPhoto") else {}
                    with emulator.lock:  # the server answers on many threads
                        ok, result = emulator.api.answer(method, params, files)
                        emulator.api.calls.append(Call(method, params))
                    payload = (
                        {"ok": ok, "result": result}
                        if ok
                        else {"ok": False, "error_code": error_code(result), "description": result}
                    )
                data = json.dumps(payload).encode()
                self.send_response(200 if payload["ok"] else int(payload["error_code"]))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def __enter__(self) -> BotAPIEmulator:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
