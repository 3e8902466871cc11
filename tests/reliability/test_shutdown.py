"""Graceful shutdown on SQLite and PostgreSQL: what each job does when its process stops.

Told to stop, a job finishes what it holds in hand and claims nothing more; what it claimed and
did not process is handed back at once, so a restart (or another worker) takes it without
waiting for the lease to run out. Cancelled at the deadline, it still hands back everything but
the one row whose send may have reached Telegram (the duplicate window, left leased).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram.methods import SendMessage, TelegramMethod

from bot.shutdown import Deadline, JobGate
from domain.model import NotificationStatus
from domain.tracking import BatchOutcome, FetchOutcome, TrackedNumber
from notifications.outbox import OutboxDispatcher
from notifications.rate_limits import InProcessRateLimiter
from notifications.return_deadlines import ReturnDeadlineJob
from notifications.sender import Sender
from notifications.tracking.poller import TrackingPoller
from templates.renderer import Renderer
from tests.conftest import FixedClock
from tests.reliability.conftest import FakeBot, add_ping
from tests.returns_fixtures import open_damaged, shipped_to_buyer
from tests.tracking_fixtures import ScriptedProvider, Store, UowFactory, s10

SELLER, BUYER = 6801, 6901


class HeldBot(FakeBot):
    """A fake Bot whose sends wait, once started, until the test lets them through."""

    def __init__(self) -> None:
        super().__init__()
        self.started: list[int] = []
        self.let_through = asyncio.Event()
        # Set once both test chats have a send in flight.
        self.both_started = asyncio.Event()

    async def __call__(
        self, method: TelegramMethod[Any], request_timeout: int | None = None
    ) -> Any:
        if isinstance(method, SendMessage):
            assert isinstance(method.chat_id, int)
            self.started.append(method.chat_id)
            if {1, 2} <= set(self.started):
                self.both_started.set()
            await self.let_through.wait()
        return await super().__call__(method, request_timeout)


class HeldProvider(ScriptedProvider):
    """A tracking provider whose calls wait until the test lets them through."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.let_through = asyncio.Event()

    async def _held(self) -> None:
        self.entered.set()
        await self.let_through.wait()

    async def register(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        await self._held()
        return await super().register(numbers)

    async def fetch(self, numbers: Sequence[TrackedNumber]) -> FetchOutcome:
        await self._held()
        return await super().fetch(numbers)


@dataclass(frozen=True)
class Row:
    id: int
    lease_until: datetime | None


async def _by_status(uow_factory: UowFactory) -> dict[NotificationStatus, list[Row]]:
    """The outbox's rows by status, copied out of the transaction."""
    async with uow_factory() as uow:
        return {
            status: [
                Row(row.id, row.lease_until) for row in await uow.notifications.by_status(status)
            ]
            for status in NotificationStatus
        }


async def _claimable_notifications(uow_factory: UowFactory, clock: FixedClock) -> list[int]:
    """What another worker would claim right now (no time passes: leases still run)."""
    async with uow_factory() as uow:
        rows = await uow.notifications.claim_due(clock.now, timedelta(seconds=60), 1000)
        return sorted(row.id for row in rows)  # rolled back: nothing is taken


def _outbox(
    uow_factory: UowFactory,
    bot: FakeBot,
    limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
) -> OutboxDispatcher:
    sender = Sender(bot, limiter, max_attempts=1)
    return OutboxDispatcher(uow_factory, sender, renderer, default_locale="en", clock=clock)


async def _queue_pings(uow_factory: UowFactory) -> None:
    for chat_id in (1, 2):
        for n in range(4):
            await add_ping(uow_factory, chat_id, n)


async def test_a_stopped_outbox_finishes_its_sends_and_hands_back_the_rows_it_queued(
    uow_factory: UowFactory,
    clock: FixedClock,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
) -> None:
    await _queue_pings(uow_factory)
    bot = HeldBot()
    outbox = _outbox(uow_factory, bot, fast_limiter, renderer, clock)
    running = asyncio.create_task(outbox.run(poll_interval=60))
    await asyncio.wait_for(bot.both_started.wait(), 10)  # each chat's first row is being sent
    assert sorted(bot.started) == [1, 2]

    stopping = asyncio.create_task(outbox.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # it waits for the sends in flight ...
    bot.let_through.set()
    await asyncio.wait_for(stopping, 10)
    await asyncio.wait_for(running, 10)

    rows = await _by_status(uow_factory)
    # ... which are recorded as sent; nothing else was sent, nothing is left leased.
    assert sorted(bot.delivered) == [1, 2]
    assert all(len(texts) == 1 for texts in bot.delivered.values())
    assert len(rows[NotificationStatus.SENT]) == 2
    assert rows[NotificationStatus.SENDING] == []
    pending = rows[NotificationStatus.PENDING]
    assert len(pending) == 6 and all(row.lease_until is None for row in pending)
    # Claimable at once, by a restart or by any other worker.
    assert await _claimable_notifications(uow_factory, clock) == sorted(row.id for row in pending)


async def test_an_outbox_cancelled_at_the_deadline_leaves_only_the_rows_being_sent_leased(
    uow_factory: UowFactory,
    clock: FixedClock,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
) -> None:
    await _queue_pings(uow_factory)
    bot = HeldBot()  # never lets a send through: a send that hangs past the deadline
    outbox = _outbox(uow_factory, bot, fast_limiter, renderer, clock)
    running = asyncio.create_task(outbox.run(poll_interval=60))
    await asyncio.wait_for(bot.both_started.wait(), 10)

    running.cancel()
    await asyncio.gather(running, return_exceptions=True)

    rows = await _by_status(uow_factory)
    # The two rows whose send was cut may have reached Telegram: they stay leased, and are
    # sent again when the lease runs out (the duplicate window). The six queued behind them
    # never left: back to pending, but claimed only with the cut rows ahead of them, so each
    # chat still reads its rows in order.
    leased = rows[NotificationStatus.SENDING]
    assert len(leased) == 2
    assert all(row.lease_until and row.lease_until > clock.now for row in leased)
    pending = rows[NotificationStatus.PENDING]
    assert len(pending) == 6
    assert await _claimable_notifications(uow_factory, clock) == []
    clock.advance(seconds=61)  # the cut sends' lease has run out
    assert await _claimable_notifications(uow_factory, clock) == sorted(
        row.id for row in [*leased, *pending]
    )


async def _ship(uow_factory: UowFactory, count: int) -> list[int]:
    store = await Store(uow_factory, SELLER).open()
    ids = []
    for index in range(count):
        shipped = await store.ship(f"AE-SD{index}", s10("SD", 30_000_000 + index))
        ids.append(shipped.shipment_id)
    return ids


async def _claimable_shipments(uow_factory: UowFactory, clock: FixedClock) -> list[int]:
    async with uow_factory() as uow:
        return sorted(
            due.id for due in await uow.tracking.claim_due(clock.now, timedelta(minutes=5), 100)
        )


async def test_a_stopping_tracking_tick_finishes_its_batch_and_claims_no_more(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    ids = await _ship(uow_factory, 5)
    provider = HeldProvider()
    # One claim at a time, so the batch in hand is known (two run side by side on PostgreSQL).
    poller = TrackingPoller(uow_factory, provider, clock=clock, batch_size=2, workers=1)
    gate = JobGate()
    gate.on_close(poller.stop_claiming)
    tick = asyncio.create_task(gate.guard(poller.tick)())
    await asyncio.wait_for(provider.entered.wait(), 10)

    draining = asyncio.create_task(gate.drain(Deadline(10)))
    await asyncio.sleep(0.05)
    assert not draining.done()  # the batch in hand is awaited
    provider.let_through.set()
    assert await asyncio.wait_for(draining, 10) is True
    result = tick.result()

    assert result is not None and result.claimed == 2 and result.fetched == 2
    # The three never claimed are due as they were; the two polled are not due now.
    assert await _claimable_shipments(uow_factory, clock) == sorted(ids[2:])
    # A run the scheduler starts after the close does nothing.
    assert await gate.guard(poller.tick)() is None


async def test_a_tracking_tick_cancelled_at_the_deadline_hands_its_claims_back(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    ids = await _ship(uow_factory, 5)
    provider = HeldProvider()  # never answers
    poller = TrackingPoller(uow_factory, provider, clock=clock, batch_size=2)
    gate = JobGate()
    gate.on_close(poller.stop_claiming)
    tick = asyncio.create_task(gate.guard(poller.tick)())
    await asyncio.wait_for(provider.entered.wait(), 10)

    assert await gate.drain(Deadline(0.1)) is False
    assert tick.cancelled()
    # The two claimed are claimable again now, not in five minutes.
    assert await _claimable_shipments(uow_factory, clock) == sorted(ids)


async def _due_firings(uow_factory: UowFactory, clock: FixedClock) -> list[int]:
    for index in range(3):
        store = await Store(uow_factory, SELLER + index, f"Store {index}").open()
        bought = await shipped_to_buyer(
            uow_factory, store, f"AE-SF{index}", BUYER + index, 31_000_000 + index
        )
        await open_damaged(uow_factory, bought)
    clock.advance(days=2, hours=13)  # each case's half-time reminder is due
    async with uow_factory() as uow:
        return sorted(await uow.returns.claim_due_firings(clock.now, timedelta(0), 100))


async def _claimable_firings(uow_factory: UowFactory, clock: FixedClock) -> list[int]:
    async with uow_factory() as uow:
        return sorted(await uow.returns.claim_due_firings(clock.now, timedelta(minutes=5), 100))


async def test_stopping_return_deadlines_fire_the_one_in_hand_and_hand_back_the_rest(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    due = await _due_firings(uow_factory, clock)
    assert len(due) == 3

    class StopsAfterOne(ReturnDeadlineJob):
        async def _fire(self, firing_id: int) -> int:
            self.stop_claiming()  # the shutdown arrives while the first firing runs
            return await super()._fire(firing_id)

    result = await StopsAfterOne(uow_factory).tick()

    assert result.claimed == 3 and result.fired == 1
    assert await _claimable_firings(uow_factory, clock) == due[1:]


async def test_return_deadlines_cancelled_mid_firing_hand_back_every_unfired_claim(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    due = await _due_firings(uow_factory, clock)
    started = asyncio.Event()

    class Hangs(ReturnDeadlineJob):
        async def _fire(self, firing_id: int) -> int:
            started.set()
            await asyncio.Event().wait()  # a firing stuck past the deadline
            return 0

    gate = JobGate()
    job = Hangs(uow_factory)
    gate.on_close(job.stop_claiming)
    tick = asyncio.create_task(gate.guard(job.tick)())
    await asyncio.wait_for(started.wait(), 10)

    assert await gate.drain(Deadline(0.1)) is False
    assert tick.cancelled()
    assert await _claimable_firings(uow_factory, clock) == due
