"""One pass of the outbox: per-chat workers that send, and the ledger that records in batches.

Workers never open a transaction. What a send came to (sent, failed, blocked) and the rows a
worker hands back are queued on the `Ledger`, which writes them in one transaction every
`record_interval` seconds or `record_batch` outcomes, whichever comes first, and in the same
transaction extends the lease of every row the drain still holds (queued, being sent, or sent
and not yet recorded). So the outbox uses one database connection however many chats it
serves, and a row cannot reach the end of its lease while it waits in a queue, however slow
the machine: the only way to lose a lease is to stop renewing it (the process died or hung for
longer than the lease), and then the row is not ours to send any more.

A crash loses nothing committed: a row sent but not yet recorded is still `sending` in the
database, and is sent once more when its lease runs out. Sent messages are therefore recorded
at once — the writer starts a transaction as soon as one is sent and takes everything sent
while the previous one ran (group commit) — so the duplicate window is one transaction, not
`record_interval`; failures and hand-backs wait for the batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

import structlog
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup

from domain.clock import Clock
from domain.model import NotificationStatus
from domain.returns.threads import thread_gone
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


@dataclass(slots=True)
class Claim:
    """A leased row, copied out of the claim transaction so no ORM object outlives it."""

    id: int
    chat_id: int
    template: str
    params: dict[str, Any]
    locale: str
    message_thread_id: int | None
    attempts: int
    # Moves forward with every renewal: the value the row holds in the database while ours.
    lease_until: datetime
    # Set when a renewal found the row no longer ours (or its chat blocked): never send it.
    lost: bool = False


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed send, decided by the worker: what the row becomes."""

    claim: Claim
    status: NotificationStatus  # PENDING (retry) or DEAD
    attempts: int
    next_attempt_at: datetime
    last_error: str


@dataclass(slots=True)
class Outcomes:
    """What one ledger transaction writes."""

    sent: list[tuple[Claim, int | None, datetime]] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    blocked: list[tuple[Claim, str]] = field(default_factory=list)
    released: list[tuple[list[Claim], datetime | None]] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.sent)
            + len(self.failed)
            + len(self.blocked)
            + sum(len(claims) for claims, _ in self.released)
        )

    def claims(self) -> list[Claim]:
        return [
            *(claim for claim, _, _ in self.sent),
            *(failure.claim for failure in self.failed),
            *(claim for claim, _ in self.blocked),
            *(claim for claims, _ in self.released for claim in claims),
        ]


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a ledger transaction found: rows counted, rows released due now, leases lost."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    paused: int = 0
    released_due: int = 0
    lost: frozenset[int] = frozenset()
    renewed_until: datetime | None = None
    blocked_chats: frozenset[int] = frozenset()


class Delivery(Protocol):
    """Delivers rows of some templates itself instead of as rendered text (a return case's
    topics and relayed copies, `notifications.return_relay`)."""

    async def deliver(
        self, chat_id: int, template: str, params: dict[str, Any], locale: str
    ) -> int | None:
        """Send the row; the id of the message it showed (None: nothing left to show)."""


class NoticeKeyboard(Protocol):
    """The buttons a row's params describe, as its recipient reads them (None: no buttons).
    The chat layer draws them: what a press packs is the handlers' business, not the outbox's."""

    def __call__(self, params: Mapping[str, Any], locale: str) -> InlineKeyboardMarkup | None:
        """The keyboard for a row with `params`, labelled in `locale`."""


class OutboxDispatcher(Protocol):
    """What a drain needs from `notifications.outbox.OutboxDispatcher` (which imports us)."""

    sender: Sender
    renderer: Renderer
    clock: Clock
    batch_size: int
    # The most rows of one chat a claim takes.
    per_chat: int
    # Chats whose row failed and waits for its retry: none of their rows is claimed before.
    held_back: dict[int, datetime]
    lease: timedelta
    max_attempts: int
    deliveries: Mapping[str, Delivery]
    keyboard: NoticeKeyboard | None
    record_batch: int
    record_interval: float
    _stopping: bool

    async def _claim(self, limit: int, result: DrainResult) -> tuple[list[Claim], int]: ...

    async def _record(self, outcomes: Outcomes, renewing: list[Claim]) -> Recorded: ...

    def backoff(self, attempts: int) -> timedelta: ...


class Ledger:
    """Queues outcomes and writes them, with the lease renewals, in batched transactions."""

    # After a failed transaction, the next try waits this long (the outcomes are kept).
    RETRY_DELAY = 1.0
    # Giving up at the end of a drain: the rows' leases run out and they are sent again.
    CLOSE_ATTEMPTS = 3

    def __init__(self, dispatcher: OutboxDispatcher, result: DrainResult) -> None:
        self.d = dispatcher
        self.result = result
        self.held: dict[int, Claim] = {}
        self._pending = Outcomes()
        self._wake = asyncio.Event()
        self._renewal_wanted = False
        self._closing = False
        # Callers of settle() waiting for the next transaction to commit.
        self._waiters: list[asyncio.Future[Recorded]] = []
        self._answering: list[asyncio.Future[Recorded]] = []
        self._task = asyncio.create_task(self._run(), name="outbox-ledger")

    # -- what workers and the drain call (no awaits on the database) ----------------------

    def hold(self, claim: Claim) -> bool:
        """Take a claimed row in; False if the drain holds it already (its lease ran out and
        it was claimed again: it keeps one place in its chat's queue, with the new lease)."""
        if claim.id in self.held:
            self.held[claim.id].lease_until = claim.lease_until
            return False
        self.held[claim.id] = claim
        return True

    def forget(self, claims: list[Claim]) -> None:
        """Stop renewing rows whose outcome is unknown (a worker failed): their leases expire."""
        for claim in claims:
            self.held.pop(claim.id, None)

    def sent(self, claim: Claim, message_id: int | None) -> None:
        self._pending.sent.append((claim, message_id, self.d.clock()))
        # Recorded at once (group commit: what is sent while one transaction runs goes in the
        # next), so a crash repeats only what was sent during the last transaction — about one
        # message at Telegram's rates — rather than a whole `record_interval` of them.
        self._wake.set()

    def failed(self, failure: Failure) -> None:
        self._pending.failed.append(failure)
        self._maybe_wake()

    def blocked(self, claim: Claim, description: str) -> None:
        self._pending.blocked.append((claim, description))
        self._wake.set()  # the chat's other rows must stop soon

    def release(self, claims: list[Claim], not_before: datetime | None = None) -> None:
        if claims:
            self._pending.released.append((claims, not_before))
            self._maybe_wake()

    async def renew(self) -> None:
        """Extend every held lease now (a worker found less than half of its lease left)."""
        self._renewal_wanted = True
        await self.settle()

    async def settle(self) -> Recorded:
        """Write everything queued so far; return what that transaction found."""
        if self._task.done():
            return Recorded()
        waiter: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._wake.set()
        return await waiter

    async def close(self) -> None:
        """Write what is left and stop."""
        self._closing = True
        self._wake.set()
        await asyncio.gather(self._task, return_exceptions=True)

    # -- the writer -----------------------------------------------------------------------

    def _maybe_wake(self) -> None:
        if len(self._pending) >= self.d.record_batch:
            self._wake.set()

    def _renewal_due(self) -> bool:
        if not self.held:
            return False
        earliest = min(claim.lease_until for claim in self.held.values())
        # Renewed once a quarter of the lease is used, long before a worker's half-lease check.
        return earliest - self.d.clock() < self.d.lease * 3 / 4

    async def _run(self) -> None:
        try:
            await self._write_until_closed()
        finally:
            # Whatever ended the writer (even a crash), nobody waits for it for ever.
            for waiter in [*self._answering, *self._waiters]:
                if not waiter.done():
                    waiter.set_result(Recorded())

    async def _write_until_closed(self) -> None:
        failures = 0
        while True:
            if not self._closing:
                # Write when woken (a batch is full, or closing) or every record_interval.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.d.record_interval):
                        await self._wake.wait()
            self._wake.clear()
            # Only those who asked before this point are answered by this transaction.
            waiters = self._answering = self._waiters
            self._waiters = []
            recorded = Recorded()
            renew = self._renewal_wanted or self._renewal_due()
            if self._pending or renew:
                outcomes, self._pending = self._pending, Outcomes()
                self._renewal_wanted = False
                try:
                    recorded = await self._write(outcomes, renew)
                    failures = 0
                except Exception:
                    failures += 1
                    logger.exception("recording outbox outcomes failed (try %d)", failures)
                    self._requeue(outcomes)
                    self._renewal_wanted = self._renewal_wanted or renew
                    if not (self._closing and failures >= self.CLOSE_ATTEMPTS):
                        # Answered at once, with nothing renewed: a worker waiting for a
                        # renewal hands its rows back rather than wait on a database that
                        # does not answer (and stop() never waits on it either).
                        for waiter in waiters:
                            if not waiter.done():
                                waiter.set_result(Recorded())
                        await asyncio.sleep(self.RETRY_DELAY)
                        continue
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(recorded)
            if self._closing and (not self._pending or failures >= self.CLOSE_ATTEMPTS):
                return

    def _requeue(self, outcomes: Outcomes) -> None:
        pending, self._pending = self._pending, outcomes
        self._pending.sent += pending.sent
        self._pending.failed += pending.failed
        self._pending.blocked += pending.blocked
        self._pending.released += pending.released

    async def _write(self, outcomes: Outcomes, renew: bool) -> Recorded:
        for claim in outcomes.claims():
            self.held.pop(claim.id, None)
        try:
            renewing = list(self.held.values()) if renew else []
            recorded = await self.d._record(outcomes, renewing)
        except BaseException:
            for claim in outcomes.claims():
                self.held.setdefault(claim.id, claim)
            raise
        result = self.result
        result.sent += recorded.sent
        result.retried += recorded.retried
        result.dead += recorded.dead
        result.paused += recorded.paused
        if recorded.renewed_until is not None:
            for claim in renewing:
                if claim.id not in recorded.lost:
                    claim.lease_until = recorded.renewed_until
        for claim in list(self.held.values()):
            # A blocked chat's rows were paused with the blocked one, whoever held them.
            if claim.id in recorded.lost or claim.chat_id in recorded.blocked_chats:
                claim.lost = True
                del self.held[claim.id]
        return recorded


class Drain:
    """The state of one `drain()`: per-chat queues, one worker task per chat with rows.

    Fair across chats: a claim takes at most a few rows of any chat (`claim_due`), and none of
    a chat this drain is still serving, so a chat with thousands of rows due — sent at one a
    second — holds a few places of the batch at a time, and the others' rows are claimed
    beside them instead of waiting behind them.
    """

    def __init__(self, dispatcher: OutboxDispatcher, result: DrainResult) -> None:
        self.d = dispatcher
        self.result = result
        self.ledger = Ledger(dispatcher, result)
        self.queues: dict[int, deque[Claim]] = {}
        self.workers: dict[int, asyncio.Task[None]] = {}
        # Chats this drain claims nothing more of: blocked, or their worker failed (its rows
        # wait out their leases; later rows must not overtake them).
        self.finished_chats: set[int] = set()
        self.delivering = 0
        self.progress = asyncio.Event()
        # The last claim found less than there was room for: claim again only when idle or
        # woken, not every time the batch has room.
        self.exhausted = False
        self._wakes = 0

    @property
    def in_flight(self) -> int:
        return self.delivering + sum(len(queue) for queue in self.queues.values())

    def serving(self) -> set[int]:
        """The chats a claim must pass over, so that a chat's rows go in id order: those this
        drain holds rows of (their next rows are claimed once these are done), and those
        whose failed row waits for its retry (their later rows wait with it)."""
        held_back = self.d.held_back
        now = self.d.clock()
        for chat_id in [chat_id for chat_id, until in held_back.items() if until <= now]:
            del held_back[chat_id]
        return set(self.queues) | self.finished_chats | set(held_back)

    def wake(self) -> None:
        """New rows were committed: claim them as soon as the batch has room, not only once
        the chats being served (paced at a message a second each) have finished."""
        self._wakes += 1
        self.exhausted = False
        self.progress.set()

    async def execute(self) -> DrainResult:
        d = self.d
        # Claim more once half the batch is done, so slow chats do not stall the rest.
        low_water = d.batch_size // 2
        try:
            while True:
                self.progress.clear()
                if self.in_flight == 0:
                    # Everything this drain did is written first: rows it handed back (e.g.
                    # behind a lost lease) are due again only once recorded.
                    await self.ledger.settle()
                    if d._stopping or not await self._claim_more():
                        break
                    continue
                if not (d._stopping or self.exhausted) and self.in_flight <= low_water:
                    await self._claim_more()
                await self.progress.wait()
        finally:
            workers = list(self.workers.values())
            if self.in_flight:  # leaving early (cancelled or failed): do not orphan workers
                for worker in workers:
                    worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            # Rows still queued were never sent: hand them back now rather than leave them
            # leased (a shutdown's deadline). The row being sent at the cancel stays leased:
            # it may have reached Telegram (the duplicate window).
            self.ledger.release(
                [claim for queue in self.queues.values() for claim in queue if not claim.lost]
            )
            await self.ledger.close()
        return self.result

    async def _claim_more(self) -> int:
        """Claim up to the room left in the batch; how many rows were claimed."""
        wanted = self.d.batch_size - self.in_flight
        wakes = self._wakes
        claims, claimed = await self.d._claim(wanted, self.result)
        # Fewer than asked: nothing more is due but the rows of chats being served. Rows
        # committed during the claim may have been missed: a wake meanwhile keeps it open.
        self.exhausted = claimed < wanted and wakes == self._wakes
        for claim in claims:
            self._enqueue(claim)
        return claimed

    def _enqueue(self, claim: Claim) -> None:
        if not self.ledger.hold(claim):
            return
        self.queues.setdefault(claim.chat_id, deque()).append(claim)
        if claim.chat_id not in self.workers:
            self.workers[claim.chat_id] = asyncio.create_task(
                self._serve_chat(claim.chat_id), name=f"outbox-chat-{claim.chat_id}"
            )

    async def _serve_chat(self, chat_id: int) -> None:
        queue = self.queues[chat_id]
        claim: Claim | None = None
        try:
            while queue:
                # Nothing below need wait on anything: let stop() and the others in first.
                await asyncio.sleep(0)
                claim = queue[0]
                if claim.lost:
                    queue.popleft()
                    continue
                if self.d._stopping:
                    self._hand_back(queue)
                    continue
                if not self._half_lease_left(claim):
                    # Renewed for every held row at once; the send waits for the commit.
                    await self.ledger.renew()
                    if claim.lost or not self._half_lease_left(claim):
                        # Not ours any more, or the database is not answering: send nothing
                        # on a lease that may run out during the send.
                        self._hand_back(queue)
                        continue
                queue.popleft()
                self.delivering += 1
                try:
                    outcome = await self._deliver(claim)
                finally:
                    self.delivering -= 1
                    self.progress.set()
                if outcome == "blocked":
                    queue.clear()  # paused in the database with the blocked row
                    self.finished_chats.add(chat_id)
                elif isinstance(outcome, Failure) and outcome.status is NotificationStatus.PENDING:
                    # Later rows wait behind the failed one, so the chat reads them in order:
                    # those claimed with it, and those a claim would take meanwhile.
                    self._hand_back(queue, not_before=outcome.next_attempt_at)
                    self.d.held_back[chat_id] = outcome.next_attempt_at
        except Exception:
            logger.exception("an outbox chat worker failed; its leases will expire")
            self.finished_chats.add(chat_id)
            self.ledger.forget([*queue, *([claim] if claim is not None else [])])
            queue.clear()
        finally:
            del self.workers[chat_id]
            if not queue:
                del self.queues[chat_id]
            self.progress.set()

    def _half_lease_left(self, claim: Claim) -> bool:
        # The send (with the sender's own retries) must end before another worker may take
        # the row over.
        return self.d.clock() < claim.lease_until - self.d.lease / 2

    def _hand_back(self, queue: deque[Claim], not_before: datetime | None = None) -> None:
        self.ledger.release(list(queue), not_before)
        queue.clear()
        self.progress.set()

    async def _deliver(self, claim: Claim) -> Literal["sent", "blocked"] | Failure:
        # Every line logged while this row is sent names it.
        with structlog.contextvars.bound_contextvars(notification_id=claim.id):
            return await self._deliver_row(claim)

    async def _send_rendered(self, claim: Claim) -> int:
        """Send the row's text; into its topic, or the main chat if the topic is gone (the
        user deleted it), rather than never."""
        d = self.d
        text = d.renderer.render(claim.template, claim.locale, **claim.params)
        markup = d.keyboard(claim.params, claim.locale) if d.keyboard is not None else None
        try:
            messages = await d.sender.send_text(
                claim.chat_id,
                text,
                reply_markup=markup,
                message_thread_id=claim.message_thread_id,
                bulk=True,
            )
        except TelegramBadRequest as error:
            if claim.message_thread_id is None or not thread_gone(error.message):
                raise
            messages = await d.sender.send_text(claim.chat_id, text, reply_markup=markup, bulk=True)
        # The first part's id: where the notification starts in the chat.
        return messages[0].message_id

    async def _deliver_row(self, claim: Claim) -> Literal["sent", "blocked"] | Failure:
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
            self.ledger.blocked(claim, error.description or "403")
            return "blocked"
        except TelegramRetryAfter as error:
            failure = self._failure(claim, error, retry_after=float(error.retry_after))
        except Exception as error:
            # Rendering and Telegram errors alike: back off, and let operators see dead rows.
            failure = self._failure(claim, error)
        else:
            self.ledger.sent(claim, message_id)
            return "sent"
        self.ledger.failed(failure)
        return failure

    def _failure(
        self, claim: Claim, error: BaseException, *, retry_after: float | None = None
    ) -> Failure:
        """Back off (or give up on) a row that failed; `retry_after` marks a long 429."""
        d = self.d
        now = d.clock()
        last_error = f"{type(error).__name__}: {d.sender.describe(error)}"[:1000]
        attempts = claim.attempts
        if retry_after is not None:
            # Flood control is not the row's fault: wait it out, keep the attempt count.
            status, next_at = NotificationStatus.PENDING, now + timedelta(seconds=retry_after)
        else:
            attempts += 1
            status = (
                NotificationStatus.DEAD
                if attempts >= d.max_attempts
                else NotificationStatus.PENDING
            )
            next_at = now + d.backoff(attempts)
        log = logger.error if status is NotificationStatus.DEAD else logger.warning
        log("notification failed (attempt %d): %s", attempts, last_error)
        return Failure(claim, status, attempts, next_at, last_error)
