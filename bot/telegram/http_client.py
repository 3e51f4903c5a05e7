"""The bot's HTTP client for the Bot API: PTB's BaseRequest on aiohttp instead of its default httpx.

Measured (benchmarks/latency.py; README, "Where a tap's CPU goes"): a Bot API call through PTB's
HTTPXRequest cost 1.4-2.8 CPU ms on the benchmark machine, more the more connections its pool
held (httpcore scans every pooled connection, and checks each idle socket, whenever a request
is assigned), and the Bot API calls were three quarters of the bot's CPU. The same call through
aiohttp costs about 0.2 ms. Parameters are sent as one JSON body (files as PTB's multipart form);
PTB's RequestData prepares them and BaseRequest parses the answers; failures become PTB's
exceptions as HTTPXRequest maps them (a time-out is TimedOut, any other failure to reach the Bot
API a NetworkError).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_TIMEOUT = 5.0  # read, write and connect, as HTTPXRequest's defaults
DEFAULT_POOL_TIMEOUT = 1.0
JSON_HEADERS = {"Content-Type": "application/json"}


def _seconds(value: object, default: float | None) -> float | None:
    """A timeout PTB passed (DEFAULT_NONE: not given, None: no limit) in seconds."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    return None if value is None else float(value)  # type: ignore[arg-type]


class AiohttpRequest(BaseRequest):
    """Up to `connection_pool_size` connections at once; timeouts in seconds (None: no limit); every
    request through `proxy` when one is given."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        write_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT,
        proxy: str | None = None,
    ) -> None:
        self.connection_pool_size = connection_pool_size
        self._proxy = proxy
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connection_pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # The bot's settings have already chosen the proxy (ZHICHENG_PROXY, or HTTPS_PROXY and the
                # like with NO_PROXY): it is passed here, and the environment is not read a second time.
                trust_env=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(self, read: object, write: object, connect: object, pool: object) -> aiohttp.ClientTimeout:
        read_s = _seconds(read, self._read_timeout)
        write_s = _seconds(write, self._write_timeout)
        connect_s = _seconds(connect, self._connect_timeout)
        pool_s = _seconds(pool, self._pool_timeout)
        # aiohttp's `connect` covers waiting for a pooled connection and opening it; it has no
        # write timeout of its own: a body is written within the read time of its answer.
        waiting = None if connect_s is None or pool_s is None else connect_s + pool_s
        per_read = None if read_s is None else read_s + (write_s or 0.0)
        return aiohttp.ClientTimeout(total=None, connect=waiting, sock_connect=connect_s, sock_read=per_read)

    @staticmethod
    def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str]]:
        """The body and its headers: JSON (the Bot API takes it, and it is one pass of the C
        encoder where form encoding percent-escapes every Chinese character of a long message)
        or, with files, multipart form data as PTB encodes it."""
        if request_data is None:
            return None, {}
        if not request_data.contains_files:
            return json.dumps(request_data.parameters, ensure_ascii=False).encode("utf-8"), JSON_HEADERS
        form = aiohttp.FormData(quote_fields=False)
        for name, value in request_data.json_parameters.items():
            form.add_field(name, value)
        for name, (filename, content, mimetype) in request_data.multipart_data.items():
            form.add_field(name, content, filename=filename, content_type=mimetype)
        return form, {}

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)
        try:
            body, headers = self._body(request_data)
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=self._proxy
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


async def close_requests(bot: Any) -> None:
    """Close the HTTP sessions of a Bot whose initialize() failed (a rejected token): PTB opened
    them and only closes them in shutdown(), which does nothing for a Bot never initialized. PTB
    keeps the two requests (updates, everything else) in `_request`."""
    for request in getattr(bot, "_request", ()):
        await request.shutdown()
