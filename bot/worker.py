"""`sellerbot worker`: the scheduled work, and nothing of the updates' side.

A worker runs the outbox dispatcher, the tracking poller (with the digests and refused-link
pruning), the ship-by reminders, the return deadlines, retention pruning and the provider quota
gauge (`bot.roles`). It takes no updates: no polling, no webhook, no command menus. Several
workers may run against one PostgreSQL database; each job claims its rows so none is done twice.

Its HTTP server, on WORKER_HTTP_HOST:WORKER_HTTP_PORT, serves only the monitoring routes
(`bot.probes`: `/healthz`, `/readyz`, `/metrics`); keep it on the internal network.

On SIGTERM (`bot.shutdown`): the jobs claim nothing more, the sends and job runs in flight finish
within SHUTDOWN_TIMEOUT_SECONDS, what is left is cancelled, the rows claimed and not processed
are handed back, and the process exits 0.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.app import Application
from bot.listener import Listener
from bot.probes import Probes
from bot.runner import Service, run_server
from bot.settings import Settings
from bot.shutdown import Deadline

__all__ = ["WorkerServer", "run_worker"]

log = logging.getLogger(__name__)

# The monitoring routes answer at once; a scrape still running at the stop is not waited for.
PROBE_SHUTDOWN_SECONDS = 1.0


class WorkerServer:
    """A worker process around one `Application` built with `Metrics`."""

    def __init__(self, app: Application, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._stopping = False
        self.probes = Probes(app, lambda: self._stopping)
        self._listener = Listener("the worker's server")

    def web_application(self) -> web.Application:
        web_app = web.Application()
        self.probes.add_routes(web_app)
        return web_app

    @property
    def port(self) -> int:
        return self._listener.port

    async def start(self) -> None:
        """Start the scheduled work, then listen."""
        await self.app.start(set_commands=False, polling=False, intake=False, jobs=True)
        await self._listener.start(
            self.web_application(),
            self.settings.worker_http_host,
            self.settings.worker_http_port,
            shutdown_timeout=PROBE_SHUTDOWN_SECONDS,
        )

    async def stop(self) -> None:
        """Stop the jobs gracefully (`Application.stop`), then the monitoring server."""
        self._stopping = True
        deadline = Deadline(self.settings.shutdown_timeout_seconds)
        try:
            await self.app.stop(deadline)
        finally:
            await self._listener.close()


async def run_worker(settings: Settings) -> None:
    """The scheduled work until SIGINT/SIGTERM."""
    listen = (Service.WORKER_SERVER, settings.worker_http_host, settings.worker_http_port)
    await run_server(
        settings, listen, lambda app: WorkerServer(app, settings), "worker: scheduled work"
    )
