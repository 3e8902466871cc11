"""The outbox dispatcher: delivers the `notifications` rows written by domain transactions.

A drain claims due rows in a short transaction (a lease marks them `sending`), renders each in
its recipient's locale, sends it through the `Sender`, and records the outcomes
(`notifications/outbox_drain.py`: a ledger writes a sent message at once, together with
whatever else was sent meanwhile, other outcomes every `record_interval` seconds or
`record_batch` outcomes, and renews the leases of the rows still queued); no transaction is
ever held across a call to Telegram, and the outbox never uses more than one database
connection at a time, however many chats it serves. Chats are served concurrently; a chat's
rows go one at a time in id order, and a claim takes only a few of any chat's rows (every
chat's first before anyone's second), so one chat's backlog never holds the others back. A
crash between send and record leaves the row `sending`
until its lease runs out, then it is claimed and sent again: the one duplicate window
Telegram's lack of idempotency keys forces on us.

Outcomes: sent -> `sent` with the Telegram message id; 403 -> the chat is recorded as blocked,
all its unsent rows `paused` (never retried, resumed by `resume_chat`) and the tracking
subscriptions of that buyer paused; a 429 longer than
the sender's patience -> back to `pending` after `retry_after`, not counted as an attempt; any
other error -> `pending` with exponential backoff, `dead` after `max_attempts`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from domain.clock import Clock, utcnow
from domain.locales import resolve_locale
from domain.model import Notification, NotificationStatus
from domain.repositories.outbox import CLAIM_PER_CHAT, SentRecord
from domain.services import buyers
from domain.unit_of_work import UnitOfWork
from notifications.outbox_drain import (
    Claim,
    Delivery,
    Drain,
    DrainResult,
    NoticeKeyboard,
    Outcomes,
    Recorded,
)
from notifications.rate_limits import is_group_chat
from notifications.sender import Sender
from templates.renderer import Renderer

logger = logging.getLogger(__name__)

__all__ = ["Delivery", "DrainResult", "OutboxDispatcher", "resume_chat"]


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
        per_chat: int = CLAIM_PER_CHAT,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 8,
        base_backoff: timedelta = timedelta(seconds=2),
        max_backoff: timedelta = timedelta(hours=1),
        record_batch: int = 100,
        record_interval: float = 0.5,
        deliveries: Mapping[str, Delivery] | None = None,
        keyboard: NoticeKeyboard | None = None,
    ) -> None:
        if batch_size < 1 or per_chat < 1 or max_attempts < 1 or lease <= timedelta(0):
            raise ValueError("batch_size, per_chat, max_attempts and lease must be positive")
        if record_batch < 1 or record_interval <= 0:
            raise ValueError("record_batch and record_interval must be positive")
        self._uow_factory = uow_factory
        self.sender = sender
        self.renderer = renderer
        self.default_locale = default_locale
        self.clock = clock
        self.batch_size = batch_size
        # A claim takes at most this many rows of one chat, so one chat's backlog never fills
        # the batch other chats' notifications wait behind.
        self.per_chat = per_chat
        # Chat -> when its failed row is retried; until then no row of it is claimed here.
        self.held_back: dict[int, datetime] = {}
        self.lease = lease
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        # Outcomes are written together, at least this often and at most this many at once.
        self.record_batch = record_batch
        self.record_interval = record_interval
        # Template name -> the delivery that sends rows of it.
        self.deliveries: Mapping[str, Delivery] = dict(deliveries or {})
        # The buttons a row's params carry (a return case notice's answers), drawn at send time.
        self.keyboard = keyboard
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._running = False
        self._stopped = asyncio.Event()
        # One drain at a time per process, or two drains could interleave a chat's rows.
        self._drain_lock = asyncio.Lock()
        # The drain running now, if any: what it serves, and what to wake.
        self._drain: Drain | None = None
        # The claim and the ledger take turns: one pooled connection for the whole outbox,
        # and on SQLite no outbox transaction ever waits for another one's write lock.
        self._database_turn = asyncio.Lock()

    # -- the loop -------------------------------------------------------------------------

    def wake(self) -> None:
        """Have pending rows sent now (call after committing new ones; event-loop thread only)."""
        self._wakeup.set()
        if self._drain is not None:
            self._drain.wake()

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
            self._drain = Drain(self, DrainResult())
            try:
                return await self._drain.execute()
            finally:
                self._drain = None

    async def resume_chat(self, chat_id: int) -> int:
        """`resume_chat` in a unit of work of its own, committed, with the dispatcher woken."""
        async with self._uow_factory() as uow:
            resumed = await resume_chat(uow, chat_id, wake=self.wake)
            await uow.commit()
        return resumed

    async def prune_processed_updates(self, keep: timedelta = timedelta(hours=48)) -> int:
        """Scheduler job: forget inbound update ids older than `keep` (Telegram keeps 24 h),
        and the questions to confirm that expired unanswered (they still name a user); the
        update ids pruned."""
        async with self._uow_factory() as uow:
            pruned = await uow.processed_updates.prune(self.clock() - keep)
            expired = await uow.confirmations.prune_expired(self.clock())
            await uow.commit()
        if pruned or expired:
            logger.info("pruned %d processed update ids, %d expired confirmations", pruned, expired)
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

    async def _claim(self, limit: int, result: DrainResult) -> tuple[list[Claim], int]:
        """Lease due rows; pause those of blocked chats. Returns (rows to send, rows claimed)."""
        async with self._database_turn, self._uow_factory() as uow:
            now = self.clock()
            rows = await uow.notifications.claim_due(
                now,
                self.lease,
                limit,
                per_chat=self.per_chat,
                skip_chats=self._drain.serving() if self._drain is not None else (),
            )
            if not rows:
                return [], 0
            chat_ids = list(dict.fromkeys(row.chat_id for row in rows))
            # One query each for the whole batch, not two per chat: SQLite's write lock is
            # held from the first statement of this transaction.
            blocked = await uow.blocked_recipients.blocked_among(chat_ids)
            paused = 0
            for chat_id in blocked:
                paused += await uow.notifications.pause_chat(chat_id)
            languages = await uow.notifications.recipient_languages(
                [chat_id for chat_id in chat_ids if chat_id not in blocked]
            )
            claims = [
                Claim(
                    id=row.id,
                    chat_id=row.chat_id,
                    template=row.template,
                    params=dict(row.params or {}),
                    locale=row.locale or self._chat_locale(row.chat_id, languages),
                    message_thread_id=row.message_thread_id,
                    attempts=row.attempts,
                    lease_until=_lease_of(row),
                )
                for row in rows
                if row.chat_id not in blocked
            ]
            await uow.commit()
        result.paused += paused
        return claims, len(rows)

    def _chat_locale(
        self, chat_id: int, languages: dict[int, tuple[str | None, str | None]]
    ) -> str:
        if is_group_chat(chat_id) or chat_id not in languages:
            return self.default_locale
        chosen, telegram_language = languages[chat_id]
        return resolve_locale(chosen, telegram_language, self.default_locale)

    async def _record(self, outcomes: Outcomes, renewing: list[Claim]) -> Recorded:
        """Write a batch of outcomes and renew the leases of `renewing`, in one transaction."""
        async with self._database_turn, self._uow_factory() as uow:
            now = self.clock()
            repository = uow.notifications
            sent = await repository.record_sent(
                [SentRecord(claim.id, message_id, at) for claim, message_id, at in outcomes.sent]
            )
            retried = dead = 0
            for failure in outcomes.failed:
                if await repository.record_failure(
                    failure.claim.id,
                    failure.claim.lease_until,
                    status=failure.status,
                    attempts=failure.attempts,
                    next_attempt_at=failure.next_attempt_at,
                    last_error=failure.last_error,
                ):
                    dead += failure.status is NotificationStatus.DEAD
                    retried += failure.status is NotificationStatus.PENDING
            paused = 0
            blocked_chats: set[int] = set()
            for claim, description in outcomes.blocked:
                paused += await self._record_blocked(uow, claim, description, now)
                blocked_chats.add(claim.chat_id)
            released_due = 0
            for claims, not_before in outcomes.released:
                by_lease: dict[datetime, list[int]] = {}
                for claim in claims:
                    by_lease.setdefault(claim.lease_until, []).append(claim.id)
                for lease_until, ids in by_lease.items():
                    released = await repository.release(ids, lease_until, not_before)
                    if not_before is None or not_before <= now:
                        released_due += released
            renewed_until = now + self.lease if renewing else None
            lost: set[int] = set()
            if renewed_until is not None:
                by_lease = {}
                for claim in renewing:
                    by_lease.setdefault(claim.lease_until, []).append(claim.id)
                for lease_until, ids in by_lease.items():
                    kept = await repository.renew_leases(ids, lease_until, renewed_until)
                    lost.update(set(ids) - kept)
            await uow.commit()
        if paused:
            logger.info("recipients blocked the bot; paused %d notifications", paused)
        if lost:
            logger.warning("%d leased notifications are no longer this drain's", len(lost))
        return Recorded(
            sent=len(sent),
            retried=retried,
            dead=dead,
            paused=paused,
            released_due=released_due,
            lost=frozenset(lost),
            renewed_until=renewed_until,
            blocked_chats=frozenset(blocked_chats),
        )

    async def _record_blocked(
        self, uow: UnitOfWork, claim: Claim, description: str, now: datetime
    ) -> int:
        """Block the chat and pause every unsent row of it, this one included."""
        row = await uow.notifications.get(claim.id)
        if row is None:
            # Deleted while it was being sent: the recipient erased their data, and noting
            # their id as a blocked chat would bring it back.
            return 0
        row.last_error = f"blocked: {description}"[:500]
        await uow.blocked_recipients.block(claim.chat_id, description, now)
        paused = await uow.notifications.pause_chat(claim.chat_id)
        # A buyer who blocked the bot hears nothing more until they write again.
        await buyers.pause_for_blocked_chat(claim.chat_id, uow)
        return paused

    def backoff(self, attempts: int) -> timedelta:
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
