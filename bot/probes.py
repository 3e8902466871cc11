"""The monitoring routes every server process serves: `/healthz`, `/readyz`, `/metrics`.

Shared by `sellerbot webhook` (`bot.webhook`) and `sellerbot worker` (`bot.worker`), so a load
balancer and Prometheus see both kinds of process alike. Readiness fails from the moment the
process begins to stop, so nothing new is sent its way while it finishes.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from bot.app import Application
from bot.health import Readiness
from bot.metrics import CONTENT_TYPE, Metrics
from bot.settings import HEALTH_PATH, METRICS_PATH, READY_PATH

__all__ = ["Probes"]


class Probes:
    """The three routes for one `Application` built with `Metrics`."""

    def __init__(self, app: Application, stopping: Callable[[], bool]) -> None:
        if app.metrics is None:
            raise ValueError("the probes serve metrics: build the app with Metrics()")
        self.app = app
        self.metrics: Metrics = app.metrics
        self.readiness = Readiness(app.engine, app.redis)
        self._stopping = stopping

    def add_routes(self, web_app: web.Application) -> None:
        web_app.router.add_get(HEALTH_PATH, self.health)
        web_app.router.add_get(READY_PATH, self.ready)
        web_app.router.add_get(METRICS_PATH, self.metrics_page)

    async def health(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "alive"})

    async def ready(self, request: web.Request) -> web.StreamResponse:
        checks = await self.readiness.check()
        stopping = self._stopping()
        ready = not stopping and all(check.ok for check in checks)
        body = {
            "ready": ready,
            "stopping": stopping,
            "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
        }
        return web.json_response(body, status=200 if ready else 503)

    async def metrics_page(self, request: web.Request) -> web.StreamResponse:
        await self.metrics.refresh_outbox(self.app.uow_factory, self.app.clock)
        return web.Response(body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE})
