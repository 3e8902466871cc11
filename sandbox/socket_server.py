"""An aiohttp app served on a socket bound here: the emulator's and the web chat's server.

Binding the socket ourselves, rather than letting aiohttp do it, lets a caller ask for port 0
and read back the free port it got, and check the address before anyone can connect.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from aiohttp import web

__all__ = ["SocketServer"]


class SocketServer:
    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._socket: socket.socket | None = None

    def address(self) -> tuple[str, int] | None:
        """Where it listens (host, port), or None when it is not running."""
        if self._socket is None:
            return None
        host, port = self._socket.getsockname()[:2]
        return host, port

    def url(self, *, not_running: str) -> str:
        """``http://host:port`` (an IPv6 host in brackets); RuntimeError(`not_running`) when it
        is not running."""
        address = self.address()
        if address is None:
            raise RuntimeError(not_running)
        host, port = address
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    async def start(
        self,
        app: web.Application,
        family: socket.AddressFamily,
        address: tuple[Any, ...],
        *,
        bound: Callable[[socket.socket], None] | None = None,
    ) -> socket.socket:
        """Serve `app` at `address`; `bound` sees the socket once bound, before it serves."""
        # Long polls and SSE streams are woken on stop, so a short shutdown timeout suffices.
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            if bound is not None:
                bound(sock)
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner, self._socket = runner, sock
        return sock

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
