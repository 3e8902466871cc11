"""Webhook delivery: the emulator POSTs queued updates to the bot, as Telegram does.

With a webhook set (``setWebhook``), every update users produce is POSTed as JSON to the URL,
with the ``X-Telegram-Bot-Api-Secret-Token`` header when a secret was given. Only a 2xx answer
confirms an update; any other status, a refused connection or a time-out leaves it queued, and
it is tried again after a growing delay (``DEFAULT_RETRY_DELAYS``, then the last delay over and
over) until it is older than ``give_up_after`` (Telegram keeps an update for 24 hours).

Up to ``max_connections`` updates are in flight at once, but never two of one chat: a chat's
next update waits until the previous one was confirmed (or given up), so one user's updates
reach the bot in the order they were sent, also across retries. The bot's own polling loop
keeps the same order, and conversations depend on it.

``deleteWebhook`` (or ``setWebhook`` with an empty URL) stops new attempts; a request already
on the wire may still confirm its update. What is still queued then goes to ``getUpdates``.

Like the rest of the sandbox, delivery never leaves the machine: a webhook on any other host
than loopback is accepted, as Telegram would accept it, but every delivery to it fails as if the
name did not resolve.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp

from sandbox.emulator.records import BotApiError, WebhookAttempt

__all__ = [
    "DEFAULT_RETRY_DELAYS",
    "SECRET_HEADER",
    "WebhookConfig",
    "WebhookDelivery",
    "check_webhook",
]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# Telegram does not publish its schedule; it retries sooner at first and then less often.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 120.0, 300.0)
DEFAULT_GIVE_UP_AFTER = 24 * 3600.0
DEFAULT_MAX_CONNECTIONS = 40
TELEGRAM_WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    has_custom_certificate: bool = False
    ip_address: str | None = None


def check_webhook(
    url: str,
    secret_token: str | None,
    max_connections: int | None,
    *,
    local: bool,
) -> WebhookConfig:
    """The webhook `setWebhook` asks for, or the BotApiError Telegram would answer.

    ``local`` accepts what a local Bot API server (``telegram-bot-api --local``) accepts: an
    ``http://`` URL on any port, which is what a test server on loopback has.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BotApiError(400, "Bad Request: bad webhook: Failed to parse the URL") from None
    if not parts.hostname:
        raise BotApiError(400, "Bad Request: bad webhook: Failed to parse the URL")
    if parts.scheme != "https" and not (local and parts.scheme == "http"):
        raise BotApiError(
            400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
        )
    if not local and port is not None and port not in TELEGRAM_WEBHOOK_PORTS:
        raise BotApiError(
            400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
        )
    if secret_token is not None and not _SECRET_TOKEN.fullmatch(secret_token):
        raise BotApiError(400, "Bad Request: secret token contains unallowed characters")
    connections = DEFAULT_MAX_CONNECTIONS if max_connections is None else max_connections
    if not 1 <= connections <= 100:
        raise BotApiError(
            400, "Bad Request: bad webhook: max_connections must be between 1 and 100"
        )
    return WebhookConfig(url, secret_token, connections)


class UpdateSource(Protocol):
    """What delivery needs from the update queue."""

    def deliverable(self) -> list[dict[str, Any]]:
        """Queued updates of the allowed types, oldest first."""

    def confirm_one(self, update_id: int) -> None:
        """Forget one update: it was delivered (or given up)."""

    def arrival(self) -> asyncio.Event:
        """An event set when the queue changes next."""


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def chat_key(update: Mapping[str, Any]) -> object:
    """Whose update this is, for keeping one chat's updates in order."""
    payload = next((v for k, v in update.items() if k != "update_id"), None)
    if isinstance(payload, Mapping):
        for holder in (payload, payload.get("message")):
            if isinstance(holder, Mapping) and isinstance(holder.get("chat"), Mapping):
                return ("chat", holder["chat"].get("id"))
        sender = payload.get("from")
        if isinstance(sender, Mapping):
            return ("user", sender.get("id"))
    return ("update", update.get("update_id"))


class WebhookDelivery:
    """The webhook currently set, and the loop that delivers the queue to it."""

    def __init__(
        self,
        source: UpdateSource,
        *,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        give_up_after: float = DEFAULT_GIVE_UP_AFTER,
        request_timeout: float = 60.0,
        notify: Callable[[], None] = lambda: None,
    ) -> None:
        if not retry_delays:
            raise ValueError("retry_delays needs at least one delay")
        self.config: WebhookConfig | None = None
        # Every delivery attempt, in the order they finished, for tests to read.
        self.attempts: list[WebhookAttempt] = []
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        # The most requests that were in flight at once (max_connections is a ceiling).
        self.peak_connections = 0
        self._source = source
        self._retry_delays = tuple(retry_delays)
        self._give_up_after = give_up_after
        self._request_timeout = request_timeout
        self._notify = notify
        self._in_flight: dict[int, object] = {}  # update id -> its chat key
        self._failures: dict[int, int] = {}
        self._retry_at: dict[int, float] = {}
        self._first_try: dict[int, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def set(self, config: WebhookConfig) -> None:
        self.config = config
        self.last_error_date = self.last_error_message = None
        # A new webhook is tried at once, not after the old one's back-off.
        self._retry_at.clear()
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.get_running_loop().create_task(self._run())
        self._wake()

    def clear(self) -> None:
        """No webhook any more; queued updates stay for getUpdates."""
        self.config = None
        self._retry_at.clear()
        self._failures.clear()
        self._first_try.clear()
        self._wake()

    async def close(self) -> None:
        self.config = None
        tasks = [*self._tasks, *([self._loop_task] if self._loop_task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._loop_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _wake(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.config is not None:
            config = self.config
            arrival, changed = self._source.arrival(), self._changed
            next_retry = self._start_due(config, loop.time())
            waits = [asyncio.ensure_future(arrival.wait()), asyncio.ensure_future(changed.wait())]
            timeout = None if next_retry is None else max(next_retry - loop.time(), 0.0)
            try:
                await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waits:
                    waiter.cancel()

    def _start_due(self, config: WebhookConfig, now: float) -> float | None:
        """Start every update that may go now; return when the next retry falls due."""
        next_retry: float | None = None
        waiting_chats = set(self._in_flight.values())
        for update in self._source.deliverable():
            if len(self._in_flight) >= config.max_connections:
                break
            update_id = int(update["update_id"])
            chat = chat_key(update)
            if update_id in self._in_flight or chat in waiting_chats:
                waiting_chats.add(chat)
                continue
            # Later updates of this chat wait behind this one, whether it goes now or later.
            waiting_chats.add(chat)
            retry_at = self._retry_at.get(update_id)
            if retry_at is not None and retry_at > now:
                next_retry = retry_at if next_retry is None else min(next_retry, retry_at)
                continue
            self._in_flight[update_id] = chat
            self.peak_connections = max(self.peak_connections, len(self._in_flight))
            task = asyncio.get_running_loop().create_task(self._deliver(config, update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return next_retry

    async def _deliver(self, config: WebhookConfig, update: dict[str, Any]) -> None:
        update_id = int(update["update_id"])
        loop = asyncio.get_running_loop()
        self._first_try.setdefault(update_id, loop.time())
        attempt = self._failures.get(update_id, 0) + 1
        status, error = await self._post(config, update)
        try:
            self.attempts.append(WebhookAttempt(update_id, attempt, status, error, time.time()))
            if error is None:
                self._forget(update_id)
                self._source.confirm_one(update_id)
                return
            self.last_error_date, self.last_error_message = int(time.time()), error
            self._failures[update_id] = attempt
            if loop.time() - self._first_try[update_id] >= self._give_up_after:
                log.info("webhook: gave up on update %s after %s attempts", update_id, attempt)
                self._forget(update_id)
                self._source.confirm_one(update_id)
                return
            delay = self._retry_delays[min(attempt - 1, len(self._retry_delays) - 1)]
            self._retry_at[update_id] = loop.time() + delay
        finally:
            self._in_flight.pop(update_id, None)
            self._wake()
            self._notify()

    def _forget(self, update_id: int) -> None:
        self._failures.pop(update_id, None)
        self._retry_at.pop(update_id, None)
        self._first_try.pop(update_id, None)

    async def _post(
        self, config: WebhookConfig, update: dict[str, Any]
    ) -> tuple[int | None, str | None]:
        """The answer's status and, unless it was 2xx, the error as getWebhookInfo words it."""
        if not is_loopback(urlsplit(config.url).hostname):
            return None, "Failed to resolve host: Name or service not known"
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if config.secret_token is not None:
            headers[SECRET_HEADER] = config.secret_token
        try:
            async with self._session.post(
                config.url,
                data=json.dumps(update),
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self._request_timeout),
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return response.status, None
                reason = response.reason or ""
                return (
                    response.status,
                    f"Wrong response from the webhook: {response.status} {reason}",
                )
        except TimeoutError:
            return None, "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return None, "Connection refused"
        except aiohttp.ClientError as error:
            return None, f"Connection failed: {type(error).__name__}"

    def info(self) -> dict[str, Any]:
        """The webhook's part of getWebhookInfo (empty when none is set)."""
        if self.config is None:
            return {}
        info: dict[str, Any] = {"max_connections": self.config.max_connections}
        if self.config.ip_address:
            info["ip_address"] = self.config.ip_address
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info
