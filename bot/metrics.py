"""Prometheus metrics of one bot process, and the hooks that feed them.

`Metrics` owns a registry of its own (several applications in one test process never share a
series) and these series, served at `/metrics` by the webhook server (docs/deploy.md lists them):

- `sellerbot_updates_total{type,outcome}` and `sellerbot_update_handling_seconds{type}`:
  every update the webhook received, by what became of it (`UpdateOutcome`);
- `sellerbot_webhook_refused_total{reason}`: requests refused before any update ran
  (`unauthorized`, `too_large`, `not_an_update`);
- `sellerbot_outbox_due`, `sellerbot_outbox_oldest_due_age_seconds`, `sellerbot_outbox_deferred`,
  `sellerbot_outbox_dead`: the outbox's depth, read from the database at each scrape;
- `sellerbot_telegram_sends_total{method,result}`: every call through the rate-limited sender,
  by Telegram's answer (`ok`, `429`, `403`, `400`, ..., `5xx`, `network`);
- `sellerbot_tracking_poll_pass_seconds`: how long each pass of the tracking poller took;
- `sellerbot_tracking_provider_errors_total{provider,operation,error}`: provider calls that
  failed as a whole;
- `sellerbot_tracking_quota_remaining{provider}`, `sellerbot_tracking_quota_used_today{provider}`:
  the provider's registration quota, as it last answered (`refresh_quota`, hourly).

Nothing here changes what it measures: the sender and the tracking provider are wrapped, not
edited, and the middlewares only name an update's outcome (`note_update_outcome`), which is a
no-op unless `Metrics.observe_update` is watching (polling mode does not).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from aiogram import exceptions as telegram
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from domain.clock import Clock
from domain.tracking import BatchOutcome, FetchOutcome, Quota, TrackedNumber
from domain.unit_of_work import UnitOfWork
from notifications.sender import TelegramClient
from notifications.tracking.provider import TrackingProvider, TrackingProviderError

__all__ = ["CONTENT_TYPE", "Metrics", "UpdateOutcome", "note_update_outcome"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# The exposition format `render` writes.
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds. An update is mostly one short transaction; a pass of the poller is many batches.
UPDATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
POLL_PASS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
# A scrape must answer even when the database does not.
OUTBOX_QUERY_TIMEOUT = 2.0


class UpdateOutcome(StrEnum):
    PROCESSED = "processed"  # committed
    REJECTED = "rejected"  # a domain error: rolled back, the user told why, recorded as processed
    ERROR = "error"  # the handler failed: rolled back, the user got an apology, recorded
    DUPLICATE = "duplicate"  # processed before (a redelivery); skipped
    THROTTLED = "throttled"  # over the user's flood limit; dropped
    FAILED = "failed"  # nothing committed; the webhook answered non-2xx, Telegram redelivers


@dataclass(slots=True)
class _OutcomeNote:
    outcome: UpdateOutcome | None = None


_current_outcome: ContextVar[_OutcomeNote | None] = ContextVar("update_outcome", default=None)


def note_update_outcome(outcome: UpdateOutcome) -> None:
    """Say what became of the update being handled (middlewares call this)."""
    note = _current_outcome.get()
    if note is not None:
        note.outcome = outcome


# How a Telegram call ended, by the aiogram error it raised; the first match counts
# (TelegramEntityTooLarge is a TelegramNetworkError, so it must come first).
_TELEGRAM_RESULTS: tuple[tuple[type[Exception], str], ...] = (
    (telegram.TelegramRetryAfter, "429"),
    (telegram.TelegramForbiddenError, "403"),
    (telegram.TelegramUnauthorizedError, "401"),
    (telegram.TelegramNotFound, "404"),
    (telegram.TelegramConflictError, "409"),
    (telegram.TelegramEntityTooLarge, "413"),
    (telegram.TelegramBadRequest, "400"),
    (telegram.TelegramServerError, "5xx"),
    (telegram.TelegramNetworkError, "network"),
)


def _telegram_result(error: BaseException | None) -> str:
    if error is None:
        return "ok"
    return next((result for kind, result in _TELEGRAM_RESULTS if isinstance(error, kind)), "other")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = self._counter(
            "sellerbot_updates",
            "Telegram updates received, by type and by what became of them",
            ["type", "outcome"],
        )
        self.webhook_refused = self._counter(
            "sellerbot_webhook_refused",
            "Requests to the webhook path refused before any update ran, by reason",
            ["reason"],
        )
        self.update_seconds = self._histogram(
            "sellerbot_update_handling_seconds",
            "Time from receiving an update to its commit (or failure)",
            ["type"],
            buckets=UPDATE_BUCKETS,
        )
        self.outbox_due = self._gauge(
            "sellerbot_outbox_due", "Outbox notifications due now (pending or being sent)"
        )
        self.outbox_oldest_due_age = self._gauge(
            "sellerbot_outbox_oldest_due_age_seconds",
            "How long the oldest due outbox notification has been waiting (0 when none)",
        )
        self.outbox_deferred = self._gauge(
            "sellerbot_outbox_deferred",
            "Outbox notifications held for later (quiet hours, retry backoff)",
        )
        self.outbox_dead = self._gauge(
            "sellerbot_outbox_dead",
            "Outbox notifications given up on (shown to operators in /outbox)",
        )
        self.sends = self._counter(
            "sellerbot_telegram_sends",
            "Calls to Telegram through the rate-limited sender, by method and answer",
            ["method", "result"],
        )
        self.poll_pass_seconds = self._histogram(
            "sellerbot_tracking_poll_pass_seconds",
            "Duration of one pass of the tracking poller",
            buckets=POLL_PASS_BUCKETS,
        )
        self.provider_errors = self._counter(
            "sellerbot_tracking_provider_errors",
            "Tracking provider calls that failed as a whole",
            ["provider", "operation", "error"],
        )

        self.quota_remaining = self._gauge(
            "sellerbot_tracking_quota_remaining",
            "Registrations the tracking provider account has left",
            ["provider"],
        )
        self.quota_used_today = self._gauge(
            "sellerbot_tracking_quota_used_today",
            "Registrations used today, when the provider counts them",
            ["provider"],
        )

    def _counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        return Counter(name, documentation, labels, registry=self.registry)

    def _gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(name, documentation, labels, registry=self.registry)

    def _histogram(
        self, name: str, documentation: str, labels: Sequence[str] = (), *, buckets: Sequence[float]
    ) -> Histogram:
        return Histogram(name, documentation, labels, buckets=buckets, registry=self.registry)

    # -- updates -------------------------------------------------------------------------------

    async def observe_update(self, update: Update, process: Callable[[], Awaitable[T]]) -> T:
        """Run `process` (the dispatcher on `update`), counting its outcome and its time."""
        try:
            kind = update.event_type
        except UpdateTypeLookupError:  # a type newer than aiogram; the dispatcher skips it
            kind = "unknown"
        note = _OutcomeNote()
        token = _current_outcome.set(note)
        started = time.perf_counter()
        outcome = UpdateOutcome.FAILED
        try:
            result = await process()
            outcome = note.outcome or UpdateOutcome.PROCESSED
            return result
        finally:
            _current_outcome.reset(token)
            self.update_seconds.labels(kind).observe(time.perf_counter() - started)
            self.updates.labels(kind, outcome.value).inc()

    # -- wrappers ------------------------------------------------------------------------------

    def telegram_client(self, bot: TelegramClient) -> TelegramClient:
        return _MeteredTelegramClient(bot, self.sends)

    def tracking_provider(self, provider: TrackingProvider) -> TrackingProvider:
        return _MeteredTrackingProvider(provider, self.provider_errors)

    def timed_poll_pass(self, tick: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
        async def timed() -> T:
            with self.poll_pass_seconds.time():
                return await tick()

        return timed

    # -- at scrape time ------------------------------------------------------------------------

    async def refresh_outbox(self, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
        """Read the outbox's depth now; on a database error the last values stay."""
        try:
            async with asyncio.timeout(OUTBOX_QUERY_TIMEOUT), uow_factory() as uow:
                now = clock()
                backlog = await uow.notifications.backlog(now)
        except Exception as error:
            log.warning("metrics: could not read the outbox: %s", type(error).__name__)
            return
        self.outbox_due.set(backlog.due)
        self.outbox_deferred.set(backlog.deferred)
        self.outbox_dead.set(backlog.dead)
        oldest = backlog.oldest_due_at
        self.outbox_oldest_due_age.set(max((now - oldest).total_seconds(), 0.0) if oldest else 0)

    async def refresh_quota(self, provider: TrackingProvider) -> None:
        """Ask the provider for its quota (a failure is counted as a provider error)."""
        try:
            quota = await provider.quota()
        except Exception as error:
            log.warning("metrics: could not read the tracking quota: %s", type(error).__name__)
            return
        self.quota_remaining.labels(provider.name).set(quota.remaining)
        if quota.used_today is not None:
            self.quota_used_today.labels(provider.name).set(quota.used_today)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _MeteredTelegramClient:
    """The bot as the sender calls it, counting each call by Telegram's answer."""

    def __init__(self, bot: TelegramClient, sends: Counter) -> None:
        self._bot = bot
        self._sends = sends

    async def __call__(self, method: TelegramMethod[T], request_timeout: int | None = None) -> T:
        name = method.__api_method__
        try:
            result = await self._bot(method, request_timeout)
        except Exception as error:
            self._sends.labels(name, _telegram_result(error)).inc()
            raise
        self._sends.labels(name, "ok").inc()
        return result

    def __getattr__(self, name: str) -> Any:
        # The sender reads `token` to keep it out of error texts.
        return getattr(self._bot, name)


class _MeteredTrackingProvider:
    """A tracking provider whose failed calls are counted; everything else passes through."""

    def __init__(self, provider: TrackingProvider, errors: Counter) -> None:
        self._provider = provider
        self._errors = errors

    @property
    def name(self) -> str:
        return self._provider.name

    async def _counted(self, operation: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except TrackingProviderError as error:
            self._errors.labels(self.name, operation, type(error).__name__).inc()
            raise
        except Exception:
            self._errors.labels(self.name, operation, "unexpected").inc()
            raise

    async def register(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        return await self._counted("register", self._provider.register(numbers))

    async def fetch(self, numbers: Sequence[TrackedNumber]) -> FetchOutcome:
        return await self._counted("fetch", self._provider.fetch(numbers))

    async def stop(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        return await self._counted("stop", self._provider.stop(numbers))

    async def retrack(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        return await self._counted("retrack", self._provider.retrack(numbers))

    async def change_carrier(self, number: TrackedNumber, new_carrier: str) -> BatchOutcome:
        return await self._counted(
            "change_carrier", self._provider.change_carrier(number, new_carrier)
        )

    async def quota(self) -> Quota:
        return await self._counted("quota", self._provider.quota())

    async def close(self) -> None:
        await self._provider.close()
