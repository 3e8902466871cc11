"""`sellerbot webhook`: Telegram's updates by webhook, on one aiohttp server with the rest.

Routes (docs/deploy.md):

    POST <path of WEBHOOK_URL>   Telegram's updates
    POST /tracking/17track       17TRACK's pushes (with TRACKING_PROVIDER=17track and a key)
    GET  /healthz                liveness: the process answers
    GET  /readyz                 readiness: database reachable, migrations current, Redis
    GET  /metrics                Prometheus metrics (`bot.metrics`)

An update is accepted only with the secret Telegram was given in `setWebhook`, compared in
constant time; without it the answer is 401 and the body is not even read. An accepted update
runs through the dispatcher (the same middlewares as polling: one transaction, de-duplication
by `processed_updates`), and the answer is 200 only once its transaction committed. If it did
not (the commit failed, the database went away), the answer is 500 and Telegram delivers the
update again later; the de-duplication makes that harmless once it has committed.

`WebhookServer.start` starts the application's update side (and, with RUN_JOBS_IN_WEBHOOK, the
scheduled work; never polling), listens, and then registers the webhook with Telegram: the URL,
the secret, the update types the handlers use and `max_connections`. `stop` answers 503 to any
update that arrives from then on (Telegram delivers it again, to this URL's next process),
removes the webhook (unless WEBHOOK_DELETE_ON_STOP is false, for several processes behind one
URL), stops listening, lets the updates in flight commit within SHUTDOWN_TIMEOUT_SECONDS, then
stops the application within what is left of it.
"""

from __future__ import annotations

import hmac
import logging
import time

from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.app import Application
from bot.listener import Listener
from bot.metrics import Metrics
from bot.probes import Probes
from bot.settings import Settings
from bot.shutdown import Deadline
from notifications.tracking.poller import PUSH_PATH
from notifications.tracking.seventeen_track_push import MAX_PUSH_BYTES, make_push_handler

__all__ = ["MAX_UPDATE_BYTES", "SECRET_HEADER", "WebhookServer"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# Refused requests are counted in the metrics; the log says so at most this often, so whoever
# probes the URL cannot flood the log.
REFUSAL_LOG_INTERVAL_SECONDS = 60.0
# An update is a few kB; a message with a long text and entities stays far below this.
MAX_UPDATE_BYTES = 1024 * 1024


class WebhookServer:
    """The webhook process's HTTP side, around one `Application` built with `Metrics`."""

    def __init__(
        self,
        app: Application,
        settings: Settings,
        *,
        shutdown_timeout: float | None = None,
    ) -> None:
        if app.metrics is None:
            raise ValueError("the webhook server serves metrics: build the app with Metrics()")
        if settings.webhook_url is None or settings.webhook_secret is None:
            raise ValueError("the webhook server needs WEBHOOK_URL and WEBHOOK_SECRET")
        self.app = app
        self.metrics: Metrics = app.metrics
        self.settings = settings
        self.probes = Probes(app, lambda: self._stopping)
        self.readiness = self.probes.readiness
        self._url = settings.webhook_url
        self._secret = settings.webhook_secret.get_secret_value()
        self._secret_bytes = self._secret.encode("ascii")
        self._shutdown_timeout = (
            settings.shutdown_timeout_seconds if shutdown_timeout is None else shutdown_timeout
        )
        self._listener = Listener("the webhook server")
        self._stopping = False
        self._webhook_set = False
        self._refusals_unlogged = 0
        self._refusal_logged_at = -REFUSAL_LOG_INTERVAL_SECONDS

    # -- the HTTP application ------------------------------------------------------------------

    def web_application(self) -> web.Application:
        # The largest body any route takes is a 17TRACK push; each route bounds its own.
        web_app = web.Application(client_max_size=max(MAX_PUSH_BYTES, MAX_UPDATE_BYTES) + 1024)
        web_app.router.add_post(self.settings.webhook_path, self.receive_update)
        self.probes.add_routes(web_app)
        key = self.settings.tracking_api_key
        if self.settings.tracking_provider == "17track" and key is not None:
            push = make_push_handler(
                key.get_secret_value(),
                self.app.tracking.record_push,
                unknown_codes=self.app.tracking.unknown_codes,
            )
            web_app.router.add_route("*", PUSH_PATH, push)
        return web_app

    def _authentic(self, request: web.Request) -> bool:
        presented = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        return hmac.compare_digest(presented, self._secret_bytes)

    async def receive_update(self, request: web.Request) -> web.StreamResponse:
        if not self._authentic(request):
            # Not read, not parsed, not logged with anything it carried.
            self._refused("unauthorized")
            return web.Response(status=401, text="unauthorized")
        if self._stopping:
            # Not started once the shutdown began: Telegram keeps the update and delivers it
            # again (to another process, or to this one after its restart).
            return web.Response(status=503, text="stopping", headers={"Retry-After": "1"})
        if request.content_length is not None and request.content_length > MAX_UPDATE_BYTES:
            self._refused("too_large")
            return web.Response(status=413, text="too large")
        body = await request.read()
        if len(body) > MAX_UPDATE_BYTES:
            self._refused("too_large")
            return web.Response(status=413, text="too large")
        try:
            update = Update.model_validate_json(body, context={"bot": self.app.bot})
        except ValidationError:
            self._refused("not_an_update")
            return web.Response(status=400, text="not an update")
        bot, dispatcher = self.app.bot, self.app.dispatcher
        try:
            await self.metrics.observe_update(update, lambda: dispatcher.feed_update(bot, update))
        except Exception:
            # Nothing of it committed: Telegram keeps the update and delivers it again.
            log.exception("webhook: update %s failed; Telegram will redeliver it", update.update_id)
            return web.Response(status=500, text="try again")
        return web.Response(status=200)

    def _refused(self, reason: str) -> None:
        self.metrics.webhook_refused.labels(reason).inc()
        self._refusals_unlogged += 1
        now = time.monotonic()
        if now - self._refusal_logged_at >= REFUSAL_LOG_INTERVAL_SECONDS:
            log.warning(
                "webhook: refused %d request(s) (latest: %s) since the last report",
                self._refusals_unlogged,
                reason,
            )
            self._refusals_unlogged = 0
            self._refusal_logged_at = now

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._listener.port

    async def start(self) -> None:
        """Start background work, listen, then ask Telegram to post updates here."""
        await self.app.start(polling=False, jobs=self.settings.run_jobs_in_webhook)
        if self.settings.run_jobs_in_webhook:
            log.info("scheduled work (outbox, tracking, reminders) runs here too")
        else:
            log.info(
                "scheduled work (outbox, tracking, reminders) runs in `sellerbot worker`; "
                "set RUN_JOBS_IN_WEBHOOK=true to run it here"
            )
        await self._listener.start(
            self.web_application(),
            self.settings.webhook_host,
            self.settings.webhook_port,
            shutdown_timeout=self._shutdown_timeout,
        )
        allowed = self.app.dispatcher.resolve_used_update_types()
        await self.app.bot.set_webhook(
            url=self._url,
            secret_token=self._secret,
            allowed_updates=allowed,
            max_connections=self.settings.webhook_max_connections,
        )
        self._webhook_set = True
        log.info(
            "receiving updates by webhook at %s (%s, up to %d connections)",
            self.settings.webhook_path,
            ", ".join(allowed),
            self.settings.webhook_max_connections,
        )

    async def stop(self) -> None:
        """Refuse new updates, remove the webhook, finish the requests in flight, stop the
        application; all within SHUTDOWN_TIMEOUT_SECONDS."""
        self._stopping = True
        deadline = Deadline(self._shutdown_timeout)
        # With RUN_JOBS_IN_WEBHOOK the jobs finish their batch while the requests drain.
        self.app.jobs.close()
        if self._webhook_set and self.settings.webhook_delete_on_stop:
            try:
                await self.app.bot.delete_webhook(drop_pending_updates=False)
            except Exception as error:  # pending updates stay with Telegram either way
                log.warning("could not remove the webhook: %s", type(error).__name__)
        self._webhook_set = False
        # The handlers still running each commit or roll back as a whole.
        await self._listener.close()
        await self.app.stop(deadline)
