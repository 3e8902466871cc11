"""The outbox is fair across chats, on SQLite and PostgreSQL: one chat's backlog of thousands
(an import's worth of alerts, sent at one message a second) never holds another chat's
notification back by more than a few of its own messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from aiogram.methods import SendMessage
from sqlalchemy import select

from domain.model import Notification, NotificationStatus
from domain.repositories.outbox import CLAIM_PER_CHAT, SentRecord
from domain.unit_of_work import UnitOfWork
from notifications.outbox import DrainResult
from notifications.rate_limits import InProcessRateLimiter, RateLimits
from templates.renderer import Renderer
from tests.conftest import FixedClock
from tests.reliability.conftest import FakeBot, add_ping, server_error
from tests.reliability.test_outbox import make_dispatcher

UowFactory = Callable[[], UnitOfWork]
FLOODED, OTHER = 1, 2
LEASE = timedelta(seconds=60)


async def _flood(uow_factory: UowFactory, chat_id: int, count: int) -> None:
    """`count` pings for one chat, committed in one transaction (as an import's alerts are)."""
    async with uow_factory() as uow:
        now = uow.now()
        added = await uow.notifications.add_many(
            [
                {
                    "dedupe_key": f"ping:{chat_id}:{n}",
                    "chat_id": chat_id,
                    "template": "tests.ping",
                    "params": {"n": n},
                    "now": now,
                }
                for n in range(count)
            ]
        )
        assert len(added) == count
        await uow.commit()


async def _claim(
    uow_factory: UowFactory, clock: FixedClock, limit: int, skip_chats: tuple[int, ...] = ()
) -> list[tuple[int, int]]:
    """(chat, n) of the rows a claim takes, committed."""
    async with uow_factory() as uow:
        rows = await uow.notifications.claim_due(clock.now, LEASE, limit, skip_chats=skip_chats)
        claimed = [(row.chat_id, int(row.params["n"])) for row in rows]
        await uow.commit()
    return claimed


async def _record_sent(uow_factory: UowFactory, clock: FixedClock, chat_id: int) -> None:
    """Record every leased row of `chat_id` as sent (what a drain does after sending)."""
    async with uow_factory() as uow:
        leased = await uow.session.scalars(
            select(Notification.id).where(
                Notification.chat_id == chat_id,
                Notification.status == NotificationStatus.SENDING,
            )
        )
        await uow.notifications.record_sent(
            [SentRecord(row_id, None, clock.now) for row_id in leased]
        )
        await uow.commit()


async def test_a_chat_with_thousands_due_takes_a_few_places_of_a_claim(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    await _flood(uow_factory, FLOODED, 3000)
    clock.advance(seconds=1)  # the other chat's row is the newest of all
    await add_ping(uow_factory, OTHER, 0)

    first = await _claim(uow_factory, clock, limit=100)

    # The flooded chat's earliest rows, in their order, and no more than its share; and the
    # other chat's one row, although 3,000 were due before it.
    assert first == [*((FLOODED, n) for n in range(CLAIM_PER_CHAT)), (OTHER, 0)]
    # While those are leased no claim takes any of its later rows, whoever claims.
    assert await _claim(uow_factory, clock, limit=100) == []
    # Once those are sent, the next few, in order.
    await _record_sent(uow_factory, clock, FLOODED)
    second = await _claim(uow_factory, clock, limit=100)
    assert second == [(FLOODED, n) for n in range(CLAIM_PER_CHAT, 2 * CLAIM_PER_CHAT)]


async def test_a_claim_takes_every_chats_first_row_before_anyones_second(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    for chat_id in (11, 12, 13):
        await _flood(uow_factory, chat_id, 50)
    clock.advance(seconds=1)
    for chat_id in range(100, 110):
        await add_ping(uow_factory, chat_id, 0)

    claimed = await _claim(uow_factory, clock, limit=16)

    # Thirteen chats' first rows, then the three oldest chats' second ones (in due order).
    assert claimed == [
        (11, 0),
        (11, 1),
        (12, 0),
        (12, 1),
        (13, 0),
        (13, 1),
        *((chat_id, 0) for chat_id in range(100, 110)),
    ]


@pytest.mark.parametrize("woken", [True, False], ids=["woken", "polled"])
async def test_another_chats_notification_goes_out_between_a_flooded_chats_messages(
    uow_factory: UowFactory, renderer: Renderer, clock: FixedClock, woken: bool
) -> None:
    """The flooded chat is sent to at its pace (here one message each 100 ms) while a new
    notification for another chat is committed: with the commit's wake-up, or without one (a
    row another process wrote), it goes out after at most a claim's share of the flooded
    chat's messages, not after the backlog or half a batch of it."""
    bot = FakeBot()
    limiter = InProcessRateLimiter(RateLimits(global_per_second=10_000, chat_interval=0.1))
    dispatcher = make_dispatcher(uow_factory, bot, limiter, renderer, clock)
    await _flood(uow_factory, FLOODED, 2000)
    flooded_before_other: list[int] = []
    other_sent = asyncio.Event()
    started = asyncio.Event()

    def delivered(method: SendMessage) -> None:
        if method.chat_id == OTHER:
            flooded_before_other.append(len(bot.delivered[FLOODED]))
            other_sent.set()
        elif len(bot.delivered[FLOODED]) == 3:
            started.set()

    bot.after_delivery = delivered
    running = asyncio.create_task(dispatcher.run(poll_interval=60))
    try:
        await asyncio.wait_for(started.wait(), 10)
        await add_ping(uow_factory, OTHER, "news")
        if woken:
            dispatcher.wake()  # what the unit of work does once it has committed new rows
        sent_until_then = len(bot.delivered[FLOODED])
        await asyncio.wait_for(other_sent.wait(), 10)
    finally:
        await asyncio.wait_for(dispatcher.stop(), 10)
        await asyncio.wait_for(running, 10)

    assert bot.delivered[OTHER] == ["Ping news"]
    waited_behind = flooded_before_other[0] - sent_until_then
    # Woken, it is claimed at once (a stall of the machine may let one more go first);
    # otherwise once the flooded chat's claimed rows are done.
    assert waited_behind <= (2 if woken else CLAIM_PER_CHAT), waited_behind
    # The flooded chat's messages went in order, and far from all of them yet.
    flooded = bot.delivered[FLOODED]
    assert flooded == [f"Ping {n}" for n in range(len(flooded))]
    assert len(flooded) < 200


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_claiming_at_once_take_different_chats_without_waiting(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    """A second worker passes over the chats the first one is claiming (its transaction still
    open: `FOR UPDATE SKIP LOCKED` on each chat's first row) instead of waiting for them, and
    takes none of their rows: two workers sending to one chat would break its order and trip
    Telegram's per-chat limit. Once the first has committed, its chats are in flight, and
    still nobody else's."""
    for chat_id in (21, 22, 23):
        await _flood(uow_factory, chat_id, 10)
    first_done = asyncio.Event()

    async def first() -> list[tuple[int, int]]:
        async with uow_factory() as uow:
            rows = await uow.notifications.claim_due(clock.now, LEASE, 2)
            claimed = [(row.chat_id, int(row.params["n"])) for row in rows]
            await asyncio.wait_for(first_done.wait(), 10)
            await uow.commit()
        return claimed

    async def second() -> list[tuple[int, int]]:
        await asyncio.sleep(0.2)  # the first holds its chats' locks by now
        try:
            return await _claim(uow_factory, clock, limit=100)
        finally:
            first_done.set()

    taken_first, taken_second = await asyncio.gather(first(), second())

    # A batch of two rows: the two longest waiting chats' first rows.
    assert taken_first == [(21, 0), (22, 0)]
    # The other chat's share, none of the first worker's chats.
    assert taken_second == [(23, n) for n in range(CLAIM_PER_CHAT)]
    assert await _claim(uow_factory, clock, limit=100) == []


async def test_a_chats_rows_beyond_its_share_wait_behind_its_failed_row(
    uow_factory: UowFactory,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
) -> None:
    """A claim holds only a few of a chat's rows; when the first fails, the rows no claim
    took yet wait for its retry too, and the chat still reads them all in order."""
    for n in range(3 * CLAIM_PER_CHAT):
        await add_ping(uow_factory, 4, n)
    bot = FakeBot()
    bot.fail(4, server_error)
    dispatcher = make_dispatcher(uow_factory, bot, fast_limiter, renderer, clock)

    assert await dispatcher.drain() == DrainResult(retried=1)
    assert await dispatcher.drain() == DrainResult()  # still waiting for the retry
    assert bot.delivered[4] == []
    clock.advance(seconds=5)
    assert await dispatcher.drain() == DrainResult(sent=3 * CLAIM_PER_CHAT)

    assert bot.delivered[4] == [f"Ping {n}" for n in range(3 * CLAIM_PER_CHAT)]


async def test_no_worker_takes_a_chats_rows_while_its_failed_row_waits_for_the_retry(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    """The hold behind a failed row is in the database, not only in the process that failed:
    another worker (no memory of the failure) takes none of the chat's later rows either,
    while a row that is merely not due yet (a buyer's night) holds nothing back."""
    for n in range(3):
        await add_ping(uow_factory, FLOODED, n)
    async with uow_factory() as uow:
        await uow.notifications.add(
            dedupe_key="night",
            chat_id=OTHER,
            template="tests.ping",
            params={"n": 99},
            now=uow.now(),
            not_before=clock.now + timedelta(hours=8),
        )
        await uow.commit()
    await add_ping(uow_factory, OTHER, 1)
    first = await _claim(uow_factory, clock, limit=1)
    assert first == [(FLOODED, 0)]
    async with uow_factory() as uow:
        row = await uow.session.scalar(
            select(Notification).where(
                Notification.chat_id == FLOODED, Notification.status == NotificationStatus.SENDING
            )
        )
        assert row is not None and row.lease_until is not None
        assert await uow.notifications.record_failure(
            row.id,
            row.lease_until,
            status=NotificationStatus.PENDING,
            attempts=1,
            next_attempt_at=clock.now + timedelta(seconds=30),
            last_error="TelegramServerError: Bad Gateway",
        )
        await uow.commit()

    # Only the other chat's row due now; the night one waits without holding it back.
    assert await _claim(uow_factory, clock, limit=100) == [(OTHER, 1)]
    clock.advance(seconds=31)
    assert await _claim(uow_factory, clock, limit=100) == [(FLOODED, n) for n in range(3)]
