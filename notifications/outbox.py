"""The outbox dispatcher: delivers the `notifications` rows written by domain transactions.

A drain claims due rows in a short transaction (a lease marks them `sending`), renders each in
its recipient's locale, sends it through the `Sender`, and records the outcome in another short
transaction; no transaction is ever held across a call to Telegram. Chats are served
concurrently; a chat's rows go one at a time in id order. A crash between claim and outcome
leaves the row `sending` until its lease runs out, then it is claimed and sent again: the one
duplicate window Telegram's lack of idempotency keys forces on us.

Outcomes: sent -> `sent` with the Telegram message id; 403 -> the chat is recorded as blocked,
all its unsent rows `paused` (never retried, resumed by `resume_chat`) and the tracking
subscriptions of that buyer paused; a 429 longer than
the sender's patience -> back to `pending` after `retry_after`, not counted as an attempt; any
other error -> `pending` with exponential backoff, `dead` after `max_attempts`.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter

from domain.clock import Clock, utcnow
from domain.locales import resolve_locale
from domain.model import Notification, NotificationStatus
from domain.returns.threads import thread_gone
from domain.services import buyers
from domain.unit_of_work import UnitOfWork
from notifications.rate_limits import is_group_chat
from notifications.sender import RecipientBlocked, Sender
from templates.renderer import Renderer

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class DrainResult:
    """What one drain did, row by row."""

    sent: int = 0
    # Sent back to `pending` for a later attempt (backoff, or a long 429).
    retried: int = 0
    # Stopped because the recipient blocked the bot (including rows not yet claimed).
    paused: int = 0
    dead: int = 0


@dataclass(frozen=True, slots=True)
class _Claim:
    """A leased row, copied out of the claim transaction so no ORM object outlives it."""

    id: int
    chat_id: int
    template: str
    params: dict[str, Any]
    locale: str
    message_thread_id: int | None
    lease_until: datetime


class Delivery(Protocol):
    """Delivers rows of some templates itself instead of as rendered text (a return case's
    topics and relayed copies, `notifications.return_relay`)."""

    async def deliver(
        self, chat_id: int, template: str, params: dict[str, Any], locale: str
    ) -> int | None:
        """Send the row; the id of the message it showed (None: nothing left to show)."""


class _Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"
    BLOCKED = "blocked"
    LOST = "lost"  # the row is gone or no longer ours; nothing was recorded


async def resume_chat(
    uow: UnitOfWork, chat_id: int, *, wake: Callable[[], None] | None = None
) -> int:
    """Forget that `chat_id` blocked the bot and queue its paused notifications again.

    For the /start handler, inside the update's unit of work: the caller commits. Pass the
    dispatcher's `wake` to have the resumed rows sent as soon as that commit is durable.
    Returns how many notifications were resumed.
    """
    await uow.blocked_recipients.unblock(chat_id)
    resumed = await uow.notifications.resume_chat(chat_id, uow.now())
    if resumed and wake is not None:
        uow.after_commit(wake)
    return resumed


class OutboxDispatcher:
    """Delivers due notifications; `run()` is the long-lived loop, `drain()` one pass."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        sender: Sender,
        renderer: Renderer,
        *,
        default_locale: str,
        clock: Clock = utcnow,
        batch_size: int = 100,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 8,
        base_backoff: timedelta = timedelta(seconds=2),
        max_backoff: timedelta = timedelta(hours=1),
        deliveries: Mapping[str, Delivery] | None = None,
    ) -> None:
        if batch_size < 1 or max_attempts < 1 or lease <= timedelta(0):
            raise ValueError("batch_size, max_attempts and lease must be positive")
        self._uow_factory = uow_factory
        self.sender = sender
        self.renderer = renderer
        self.default_locale = default_locale
        self.clock = clock
        self.batch_size = batch_size
        self.lease = lease
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        # Template name -> the delivery that sends rows of it.
        self.deliveries: Mapping[str, Delivery] = dict(deliveries or {})
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._running = False
        self._stopped = asyncio.Event()
        # One drain at a time per process, or two drains could interleave a chat's rows.
        self._drain_lock = asyncio.Lock()

    # -- the loop -------------------------------------------------------------------------

    def wake(self) -> None:
        """Have pending rows sent now (call after committing new ones; event-loop thread only)."""
        self._wakeup.set()

    async def run(self, poll_interval: float = 5.0) -> None:
        """Drain, then wait for `wake()` or `poll_interval` (rows from other processes), repeat."""
        self._stopping = False
        self._running = True
        self._stopped.clear()
        try:
            while not self._stopping:
                # Cleared before draining, so a wake() during the drain triggers another one.
                self._wakeup.clear()
                try:
                    await self.drain()
                except Exception:
                    logger.exception("outbox drain failed; retrying in %ss", poll_interval)
                if self._stopping:
                    break
                try:
                    async with asyncio.timeout(poll_interval):
                        await self._wakeup.wait()
                except TimeoutError:
                    pass
        finally:
            self._running = False
            self._stopped.set()

    async def stop(self) -> None:
        """Stop `run()`: finish the sends in flight, hand queued rows back, and return."""
        self._stopping = True
        self._wakeup.set()
        if self._running:
            await self._stopped.wait()

    # -- one pass -------------------------------------------------------------------------

    async def drain(self) -> DrainResult:
        """Send everything that is due now; return when nothing due is left."""
        async with self._drain_lock:
            return await _Drain(self).execute()

    async def resume_chat(self, chat_id: int) -> int:
        """`resume_chat` in a unit of work of its own, committed, with the dispatcher woken."""
        async with self._uow_factory() as uow:
            resumed = await resume_chat(uow, chat_id, wake=self.wake)
            await uow.commit()
        return resumed

    async def prune_processed_updates(self, keep: timedelta = timedelta(hours=48)) -> int:
        """Scheduler job: forget inbound update ids older than `keep` (Telegram keeps 24 h)."""
        async with self._uow_factory() as uow:
            pruned = await uow.processed_updates.prune(self.clock() - keep)
            await uow.commit()
        if pruned:
            logger.info("pruned %d processed update ids", pruned)
        return pruned

    async def prune_finished(self, keep: timedelta = timedelta(days=30), batch: int = 1000) -> int:
        """Scheduler job: delete notifications sent (or dead, or paused) more than `keep` ago.

        They carry names, order numbers and tracking details; once delivered they have no use
        beyond the retention /privacy states. Deleted `batch` rows per transaction, so SQLite's
        write lock is never held for long.
        """
        pruned = 0
        while True:
            async with self._uow_factory() as uow:
                deleted = await uow.notifications.prune_finished(self.clock() - keep, batch)
                if deleted < batch and pruned + deleted:
                    uow.personal_data_deleted()  # after the last batch's commit
                await uow.commit()
            pruned += deleted
            if deleted < batch:
                break
        if pruned:
            logger.info("pruned %d finished notifications", pruned)
        return pruned

    # -- transactions ---------------------------------------------------------------------

    async def _claim(self, limit: int, result: DrainResult) -> tuple[list[_Claim], int]:
        """Lease due rows; pause those of blocked chats. Returns (rows to send, rows claimed)."""
        async with self._uow_factory() as uow:
            now = self.clock()
            rows = await uow.notifications.claim_due(now, self.lease, limit)
            if not rows:
                return [], 0
            paused = 0
            locales: dict[int, str] = {}
            blocked: set[int] = set()
            for chat_id in dict.fromkeys(row.chat_id for row in rows):
                if await uow.blocked_recipients.is_blocked(chat_id):
                    blocked.add(chat_id)
                    paused += await uow.notifications.pause_chat(chat_id)
                else:
                    locales[chat_id] = await self._chat_locale(uow, chat_id)
            claims = [
                _Claim(
                    id=row.id,
                    chat_id=row.chat_id,
                    template=row.template,
                    params=dict(row.params or {}),
                    locale=row.locale or locales[row.chat_id],
                    message_thread_id=row.message_thread_id,
                    lease_until=_lease_of(row),
                )
                for row in rows
                if row.chat_id not in blocked
            ]
            await uow.commit()
        result.paused += paused
        return claims, len(rows)

    async def _chat_locale(self, uow: UnitOfWork, chat_id: int) -> str:
        if is_group_chat(chat_id):
            return self.default_locale
        user = await uow.users.get(chat_id)
        if user is None:
            return self.default_locale
        return resolve_locale(user.locale, user.telegram_language, self.default_locale)

    async def _record_sent(self, claim: _Claim, message_id: int | None) -> _Outcome:
        async with self._uow_factory() as uow:
            row = await uow.notifications.get(claim.id)
            if row is None:  # deleted meanwhile (e.g. the user asked to be forgotten)
                return _Outcome.LOST
            # Recorded even if our lease ran out: the message did go out.
            row.status = NotificationStatus.SENT
            row.sent_at = self.clock()
            row.telegram_message_id = message_id
            row.lease_until = None
            await uow.commit()
        return _Outcome.SENT

    async def _record_blocked(self, claim: _Claim, error: RecipientBlocked) -> int:
        """Block the chat and pause every unsent row of it, this one included."""
        async with self._uow_factory() as uow:
            now = self.clock()
            row = await uow.notifications.get(claim.id)
            if row is None:
                # Deleted while it was being sent: the recipient erased their data, and
                # noting their id as a blocked chat would bring it back.
                return 0
            row.last_error = f"blocked: {error.description}"[:500]
            await uow.blocked_recipients.block(claim.chat_id, error.description or "403", now)
            paused = await uow.notifications.pause_chat(claim.chat_id)
            # A buyer who blocked the bot hears nothing more until they write again.
            await buyers.pause_for_blocked_chat(claim.chat_id, uow)
            await uow.commit()
        logger.info("recipient blocked the bot; paused %d notifications", paused)
        return paused

    async def _record_failure(
        self, claim: _Claim, error: BaseException, *, retry_after: float | None = None
    ) -> tuple[_Outcome, datetime | None]:
        """Back off (or give up on) a row that failed; `retry_after` marks a long 429."""
        async with self._uow_factory() as uow:
            now = self.clock()
            row = await uow.notifications.get(claim.id)
            if row is None or not _still_ours(row, claim):
                return _Outcome.LOST, None
            last_error = f"{type(error).__name__}: {self.sender.describe(error)}"[:1000]
            row.last_error = last_error
            row.lease_until = None
            if retry_after is not None:
                # Flood control is not the row's fault: wait it out, keep the attempt count.
                outcome = _Outcome.RETRY
                row.status = NotificationStatus.PENDING
                row.next_attempt_at = now + timedelta(seconds=retry_after)
            else:
                row.attempts += 1
                if row.attempts >= self.max_attempts:
                    outcome = _Outcome.DEAD
                    row.status = NotificationStatus.DEAD
                else:
                    outcome = _Outcome.RETRY
                    row.status = NotificationStatus.PENDING
                    row.next_attempt_at = now + self._backoff(row.attempts)
            next_attempt_at = row.next_attempt_at if outcome is _Outcome.RETRY else None
            attempts = row.attempts
            await uow.commit()
        log = logger.error if outcome is _Outcome.DEAD else logger.warning
        log("notification failed (attempt %d): %s", attempts, last_error)
        return outcome, next_attempt_at

    async def _release(self, claims: list[_Claim], not_before: datetime | None = None) -> None:
        """Hand leased rows back as `pending` (keeping their order), e.g. behind a failed one."""
        if not claims:
            return
        async with self._uow_factory() as uow:
            for claim in claims:
                row = await uow.notifications.get(claim.id)
                if row is None or not _still_ours(row, claim):
                    continue
                row.status = NotificationStatus.PENDING
                row.lease_until = None
                if not_before is not None and row.next_attempt_at < not_before:
                    row.next_attempt_at = not_before
            await uow.commit()

    def _backoff(self, attempts: int) -> timedelta:
        # In float seconds: a timedelta would overflow long before the cap applies.
        seconds = min(
            self.base_backoff.total_seconds() * 2.0 ** (attempts - 1),
            self.max_backoff.total_seconds(),
        )
        # +-25 % jitter so rows that failed together do not retry together.
        return timedelta(seconds=seconds * random.uniform(0.75, 1.25))


def _lease_of(row: Notification) -> datetime:
    assert row.lease_until is not None, "claim_due always sets a lease"
    return row.lease_until


def _still_ours(row: Notification, claim: _Claim) -> bool:
    """False when our lease expired and another worker has claimed the row since."""
    return row.status == NotificationStatus.SENDING and row.lease_until == claim.lease_until


class _Drain:
    """The state of one `drain()`: per-chat queues, one worker task per chat with rows."""

    def __init__(self, dispatcher: OutboxDispatcher) -> None:
        self.d = dispatcher
        self.result = DrainResult()
        self.queues: dict[int, deque[_Claim]] = {}
        self.workers: dict[int, asyncio.Task[None]] = {}
        self.delivering = 0
        self.progress = asyncio.Event()

    @property
    def in_flight(self) -> int:
        return self.delivering + sum(len(queue) for queue in self.queues.values())

    async def execute(self) -> DrainResult:
        d = self.d
        # Claim more once half the batch is done, so slow chats do not stall the rest.
        low_water = d.batch_size // 2
        exhausted = False
        try:
            while True:
                claimed = 0
                may_claim = not d._stopping and (
                    self.in_flight == 0 or (not exhausted and self.in_flight <= low_water)
                )
                if may_claim:
                    wanted = d.batch_size - self.in_flight
                    claims, claimed = await d._claim(wanted, self.result)
                    # Fewer than asked: nothing more is due; look again only when idle.
                    exhausted = claimed < wanted
                    for claim in claims:
                        self._enqueue(claim)
                if self.in_flight == 0:
                    if d._stopping or claimed == 0:
                        break
                    continue
                self.progress.clear()
                await self.progress.wait()
        finally:
            workers = list(self.workers.values())
            if self.in_flight:  # leaving early (cancelled or failed): do not orphan workers
                for worker in workers:
                    worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        return self.result

    def _enqueue(self, claim: _Claim) -> None:
        self.queues.setdefault(claim.chat_id, deque()).append(claim)
        if claim.chat_id not in self.workers:
            self.workers[claim.chat_id] = asyncio.create_task(
                self._serve_chat(claim.chat_id), name=f"outbox-chat-{claim.chat_id}"
            )

    async def _serve_chat(self, chat_id: int) -> None:
        queue = self.queues[chat_id]
        try:
            while queue:
                claim = queue[0]
                # Send only while half the lease is left, so the send (with the sender's own
                # retries) ends before another worker may take the row over.
                half_lease_left = self.d.clock() < claim.lease_until - self.d.lease / 2
                if self.d._stopping or not half_lease_left:
                    await self._hand_back(queue)
                    continue
                queue.popleft()
                self.delivering += 1
                try:
                    outcome, next_attempt_at = await self._deliver(claim)
                finally:
                    self.delivering -= 1
                    self.progress.set()
                if outcome is _Outcome.BLOCKED:
                    queue.clear()  # already paused in the database with the blocked row
                elif outcome is _Outcome.RETRY:
                    # Later rows wait behind the failed one, so the chat reads them in order.
                    await self._hand_back(queue, not_before=next_attempt_at)
        except Exception:
            logger.exception("an outbox chat worker failed; its leases will expire")
            queue.clear()
        finally:
            del self.workers[chat_id]
            if not queue:
                del self.queues[chat_id]
            self.progress.set()

    async def _hand_back(self, queue: deque[_Claim], not_before: datetime | None = None) -> None:
        # Taken off the queue before the await, so rows enqueued meanwhile are not lost.
        rows = list(queue)
        queue.clear()
        self.delivering += len(rows)
        try:
            await self.d._release(rows, not_before)
        finally:
            self.delivering -= len(rows)
            self.progress.set()

    async def _deliver(self, claim: _Claim) -> tuple[_Outcome, datetime | None]:
        # Every line logged while this row is sent names it.
        with structlog.contextvars.bound_contextvars(notification_id=claim.id):
            return await self._deliver_row(claim)

    async def _send_rendered(self, claim: _Claim) -> int:
        """Send the row's text; into its topic, or the main chat if the topic is gone (the
        user deleted it), rather than never."""
        d = self.d
        text = d.renderer.render(claim.template, claim.locale, **claim.params)
        try:
            messages = await d.sender.send_text(
                claim.chat_id, text, message_thread_id=claim.message_thread_id, bulk=True
            )
        except TelegramBadRequest as error:
            if claim.message_thread_id is None or not thread_gone(error.message):
                raise
            messages = await d.sender.send_text(claim.chat_id, text, bulk=True)
        # The first part's id: where the notification starts in the chat.
        return messages[0].message_id

    async def _deliver_row(self, claim: _Claim) -> tuple[_Outcome, datetime | None]:
        d = self.d
        delivery = d.deliveries.get(claim.template)
        try:
            if delivery is not None:
                message_id = await delivery.deliver(
                    claim.chat_id, claim.template, claim.params, claim.locale
                )
            else:
                message_id = await self._send_rendered(claim)
        except RecipientBlocked as error:
            self.result.paused += await d._record_blocked(claim, error)
            return _Outcome.BLOCKED, None
        except TelegramRetryAfter as error:
            outcome, next_at = await d._record_failure(
                claim, error, retry_after=float(error.retry_after)
            )
        except Exception as error:
            # Rendering and Telegram errors alike: back off, and let operators see dead rows.
            outcome, next_at = await d._record_failure(claim, error)
        else:
            outcome = await d._record_sent(claim, message_id)
            if outcome is _Outcome.SENT:
                self.result.sent += 1
            return outcome, None
        if outcome is _Outcome.RETRY:
            self.result.retried += 1
        elif outcome is _Outcome.DEAD:
            self.result.dead += 1
        return outcome, next_at
