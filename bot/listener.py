"""The HTTP server of a `sellerbot webhook` or `sellerbot worker` process (`bot.webhook`,
`bot.worker`): one aiohttp application on one address, from `start` until `close`."""

from __future__ import annotations

from aiohttp import web

__all__ = ["Listener"]


class Listener:
    def __init__(self, name: str) -> None:
        # How the error names this server when it is asked its port before it listens.
        self._name = name
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        if self._runner is None or not self._runner.addresses:
            raise RuntimeError(f"{self._name} is not listening")
        return int(self._runner.addresses[0][1])

    async def start(
        self, web_app: web.Application, host: str, port: int, *, shutdown_timeout: float
    ) -> None:
        """Listen on host:port; signals are the process's (`bot.shutdown`), not aiohttp's."""
        self._runner = web.AppRunner(
            web_app, handle_signals=False, access_log=None, shutdown_timeout=shutdown_timeout
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()

    async def close(self) -> None:
        """Stop listening, then wait for the requests still running, cancelling what is left
        after the shutdown timeout."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
