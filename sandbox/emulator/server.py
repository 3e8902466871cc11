"""``BotApiEmulator``: the emulator served over HTTP on loopback.

Three kinds of route, behind one middleware (``sandbox.http_safety.EmulatorGuard``: Host check,
no cross-site browser requests, the per-run secret on the side API):

    /bot<token>/<method>            the Bot API (query, JSON, url-encoded or multipart)
    /file/bot<token>/<file_path>    file downloads, at paths getFile gave out
    /_emulator/...                  the side API (``sandbox.emulator.side_api``)

What a call does is ``EmulatorCore.answer``; this module only turns HTTP into parameters and
the answer (or ``BotApiError``) into Telegram's JSON.
"""

from __future__ import annotations

import asyncio
import socket
from types import TracebackType
from typing import Self, Unpack

from aiohttp import web

from sandbox.emulator.core import DEFAULT_TOKEN, EmulatorCore, EmulatorOptions
from sandbox.emulator.params import read_params
from sandbox.emulator.records import BotApiError
from sandbox.emulator.side_api import SideApi
from sandbox.http_safety import SIDE_API_SECRET_HEADER, EmulatorGuard, allowed_hosts, new_secret
from sandbox.socket_server import SocketServer

__all__ = ["DEFAULT_TOKEN", "BotApiEmulator"]


class BotApiEmulator(EmulatorCore):
    """Fake Telegram Bot API server with chat state, limits and fault injection."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        **options: Unpack[EmulatorOptions],
    ) -> None:
        super().__init__(**options)
        self.host = host
        self.port = port
        # Seconds each Bot API call waits before it is answered (a slow network, for tests).
        self.latency = latency
        # Known only to whoever holds this object: the web chat and the tests.
        self.side_api_secret = new_secret()
        self._guard = EmulatorGuard(self.side_api_secret)
        self._side_api = SideApi(self._chats, self._events, self.user)
        self._server = SocketServer()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the loopback socket and start serving."""
        app = web.Application(
            client_max_size=60 * 1024 * 1024, middlewares=[self._guard.middleware]
        )
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._side_api.add_routes(app)
        self._events.closing = False

        def admit_own_address(sock: socket.socket) -> None:
            self._guard.hosts = allowed_hosts(self.host, sock.getsockname()[1])

        await self._server.start(
            app, socket.AF_INET, (self.host, self.port), bound=admit_own_address
        )

    async def stop(self) -> None:
        """Wake pending long polls and event streams, then shut the server down."""
        self._events.close()
        self._updates.wake()
        await self._updates.webhook.close()
        self._side_api.close()
        await self._server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — pass to ``TelegramAPIServer.from_base``."""
        return self._server.url(not_running="emulator is not running; call start() first")

    @property
    def side_api_headers(self) -> dict[str, str]:
        """The header every ``/_emulator/`` request must carry."""
        return {SIDE_API_SECRET_HEADER: self.side_api_secret}

    # -- routes -------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            params = await read_params(request)
        except BotApiError as error:
            # An unreadable body is refused before any method sees it; it is logged all the same.
            name = self.spec.canonical_name(method) or method
            self._log.record(name, {}, error.status, error.description, False)
            return web.json_response(error.to_json(), status=error.status)
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            result = await self.answer(request.match_info["token"], method, params)
        except BotApiError as error:
            return web.json_response(error.to_json(), status=error.status)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] not in self.tokens:
            return web.json_response(BotApiError(401, "Unauthorized").to_json(), status=401)
        return self._file_methods.download(request.match_info["path"])
