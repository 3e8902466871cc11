"""PostgreSQL restarts and a Redis that disappears, while people talk to the bot.

The bot polls the emulator in this process, on a private PostgreSQL cluster and a private
Redis (FSM storage, event isolation, flood counters and send buckets in Redis). Sixteen people
register their stores; at set moments the database is stopped and started (`pg_ctl stop -m
fast`), restarted the hard way in the middle of their conversations (`pg_ctl restart -m
immediate`), Redis is frozen for a few seconds, and Redis goes away (the server exits) and
comes back on the same port. Each person sends their message again when the bot asks them to
(or when no answer comes). What must hold:

- whoever's message failed is told to try again shortly — once, not a crash, not silence —
  and never more than once a minute;
- every update the bot answered is committed (`processed_updates`), every store registered;
- the conversations continue where they were after recovery;
- the process stays up: the polling loop is still running at the end.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Application
from domain.model import ProcessedUpdate, Seller
from sandbox.emulator import BotApiEmulator
from sandbox.users import EmulatedUser
from tests.e2e.conftest import BotRunner, make_settings
from tests.e2e.test_webhook import WebhookHarness, webhook_settings
from tests.fixtures.private_services import PrivatePostgres, PrivateRedis

UNAVAILABLE = "I can't reach my storage"
# Scaled down from production's 10 s so a frozen Redis fails an update in 2 s.
CONNECT_TIMEOUT = 2.0
ANSWER_TIMEOUT = 8.0
OUTAGE_NOTICE_INTERVAL = 60.0


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {
        "per_chat_interval": 0.1,
        # Webhook mode: a refused update is tried again every second, as Telegram would
        # (scaled down).
        "local_webhooks": True,
        "webhook_retry_delays": (0.5, 1.0),
        "webhook_timeout": 15.0,
    }


@dataclass
class Person:
    """One user registering a store, who sends a message again when it was not handled."""

    emulator: BotApiEmulator
    user: EmulatedUser
    store: str
    notices: list[float] = field(default_factory=list)
    silent: int = 0
    answered_updates: list[int] = field(default_factory=list)

    def _texts_since(self, mark: int) -> list[str]:
        return [
            activity.message.content
            for activity in self.emulator.activity[mark:]
            if activity.chat_id == self.user.chat_id
        ]

    def _last_update_id(self) -> int:
        for update in reversed(self.emulator.update_log):
            payload = update.get("message") or update.get("callback_query") or {}
            if payload.get("from", {}).get("id") == self.user.user_id:
                return int(update["update_id"])
        raise AssertionError("no update from this person")

    async def step(self, act: Callable[[], Awaitable[Any]], expect: str) -> None:
        for _ in range(15):
            mark = len(self.emulator.activity)
            await act()
            update_id = self._last_update_id()

            def outcome(mark: int = mark) -> str | None:
                texts = self._texts_since(mark)
                if any(expect in text for text in texts):
                    return "answered"
                if any(UNAVAILABLE in text for text in texts):
                    return "notice"
                return None

            await self.emulator.wait_until(lambda: outcome() is not None, ANSWER_TIMEOUT)
            result = outcome()
            if result == "answered":
                self.answered_updates.append(update_id)
                return
            if result == "notice":
                self.notices.append(time.monotonic())
            else:
                self.silent += 1
            await asyncio.sleep(0.5)  # "in a minute", scaled down
        seen = self._texts_since(0)[-6:]
        raise AssertionError(
            f"{self.user.user_id} never got {expect!r}; last messages {seen}, "
            f"pop-ups {self.user.answered_callbacks[-6:]}"
        )

    async def begin(self) -> None:
        await self.step(lambda: self.user.send("/start"), "Who are you?")
        await self.step(lambda: self.user.press("I sell on AliExpress"), "What is your store")

    async def name_the_store(self) -> None:
        await self.step(lambda: self.user.send(self.store), "Which country")

    async def finish(self) -> None:
        await self.step(lambda: self.user.press("China"), "Which language")
        await self.step(lambda: self.user.press("English"), "Please check your store details")
        await self.step(lambda: self.user.press("Create my store"), "is registered")


@pytest.fixture
async def bot_on_private_services(
    emulator: BotApiEmulator,
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
    tmp_path: Path,
) -> AsyncIterator[BotRunner]:
    url = await private_postgres.create_database("sellerbot")
    settings = make_settings(
        url,
        tmp_path,
        redis_url=private_redis.url,
        connect_timeout_seconds=CONNECT_TIMEOUT,
        send_private_chat_interval_seconds=0.15,
    )
    runner = BotRunner(emulator, settings)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


def _polling(app: Application) -> bool:
    return bool(app._tasks) and not any(task.done() for task in app._tasks)


async def test_the_bot_rides_out_postgresql_restarts_and_a_redis_outage(
    emulator: BotApiEmulator,
    bot_on_private_services: BotRunner,
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
) -> None:
    app = bot_on_private_services.app
    assert app is not None
    people = [
        Person(emulator, emulator.user(6100 + n, first_name=f"P{n}"), f"Store number {n}")
        for n in range(16)
    ]
    stopped, restarted, frozen, gone = people[0:4], people[4:8], people[8:12], people[12:16]
    figures: dict[str, Any] = {}
    started = time.monotonic()

    # Everyone is in the middle of registering a store.
    await asyncio.gather(*(person.begin() for person in people))

    # 1. PostgreSQL stopped (fast shutdown) while four people type their store's name.
    figures["pg stop -m fast (s)"] = round(await private_postgres.stop("fast"), 2)
    down = asyncio.gather(*(person.name_the_store() for person in stopped))
    await emulator.wait_until(lambda: all(person.notices for person in stopped), 20)
    figures["pg start (s)"] = round(await private_postgres.start(), 2)
    await down

    # 2. PostgreSQL restarted without a clean shutdown while four others go on registering.
    async def hard_restart() -> None:
        await asyncio.sleep(0.3)
        figures["pg restart -m immediate (s)"] = round(
            await private_postgres.restart("immediate"), 2
        )

    async def register(person: Person) -> None:
        await person.name_the_store()
        await person.finish()

    await asyncio.gather(hard_restart(), *(register(person) for person in restarted))

    # 3. Redis frozen (no answers, connections hang) while four others type their store's name.
    frozen_at = time.monotonic()
    private_redis.pause()
    down = asyncio.gather(*(person.name_the_store() for person in frozen))
    await emulator.wait_until(lambda: all(person.notices for person in frozen), 30)
    figures["notices while Redis was frozen after (s)"] = round(time.monotonic() - frozen_at, 2)
    await asyncio.sleep(1.0)
    private_redis.resume()
    figures["Redis frozen for (s)"] = round(time.monotonic() - frozen_at, 2)
    await down

    # 4. Redis gone (the server exits; connections refused) while four others type their store's
    # name, then started again on the same port from its saved data, as a restarted Redis with
    # persistence comes back.
    gone_at = time.monotonic()
    await private_redis.stop(keep_data=True)
    down = asyncio.gather(*(person.name_the_store() for person in gone))
    await emulator.wait_until(lambda: all(person.notices for person in gone), 30)
    figures["notices while Redis was gone after (s)"] = round(time.monotonic() - gone_at, 2)
    await asyncio.sleep(1.0)
    await private_redis.start()
    figures["Redis gone for (s)"] = round(time.monotonic() - gone_at, 2)
    await down

    # Everyone finishes, where they left off.
    await asyncio.gather(*(person.finish() for person in stopped + frozen + gone))
    await app.replies.drain()
    figures["total (s)"] = round(time.monotonic() - started, 1)

    assert _polling(app), "the polling loop ended"
    for person in stopped + frozen + gone:
        # Told once: their messages failed within a minute of each other.
        assert len(person.notices) == 1, (person.user.user_id, person.notices)
    for person in people:
        told = person.notices
        assert all(b - a >= OUTAGE_NOTICE_INTERVAL for a, b in itertools.pairwise(told))
    async with app.uow_factory() as uow:
        stores = set(
            (await uow.session.scalars(select(Seller.store_name))).all()  # type: ignore[arg-type]
        )
        processed = set((await uow.session.scalars(select(ProcessedUpdate.update_id))).all())
    assert stores == {person.store for person in people}
    answered = {update for person in people for update in person.answered_updates}
    assert answered <= processed, sorted(answered - processed)
    figures["notices"] = {p.user.user_id: len(p.notices) for p in people if p.notices}
    figures["unanswered without a notice"] = {p.user.user_id: p.silent for p in people if p.silent}
    figures["answered updates"] = len(answered)
    print("storage fault figures:", figures)


async def test_a_webhook_process_lets_telegram_redeliver_through_the_same_faults(
    emulator: BotApiEmulator,
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
    tmp_path: Path,
) -> None:
    """Webhook mode: an update that meets a stopped PostgreSQL, a frozen Redis or no Redis is
    answered with a non-2xx status and nothing else (no notice: Telegram will deliver it
    again), and is applied exactly once when storage is back."""
    url = await private_postgres.create_database("sellerbot")
    settings = webhook_settings(
        emulator,
        url,
        tmp_path,
        redis_url=private_redis.url,
        connect_timeout_seconds=CONNECT_TIMEOUT,
        send_private_chat_interval_seconds=0.15,
    )
    harness = WebhookHarness(emulator, settings)
    await harness.start()
    figures: dict[str, Any] = {}
    try:
        people = [
            Person(emulator, emulator.user(6200 + n, first_name=f"W{n}"), f"Hook store {n}")
            for n in range(9)
        ]
        await asyncio.gather(*(person.begin() for person in people))
        on_pg, on_redis, on_redis_gone = people[:3], people[3:6], people[6:]

        async def held_through(
            outage_starts: Callable[[], Awaitable[Any]],
            outage_ends: Callable[[], Awaitable[Any]],
            group: list[Person],
        ) -> list[int]:
            await outage_starts()
            marks = {person.user.user_id: len(emulator.activity) for person in group}
            for person in group:
                await person.user.send(person.store)
            held = [person._last_update_id() for person in group]
            await emulator.wait_until(
                lambda: all(
                    any(a.update_id == u and a.error is not None for a in emulator.webhook_attempts)
                    for u in held
                ),
                30,
            )
            await asyncio.sleep(1.5)  # a few refused redeliveries
            await outage_ends()
            for person in group:
                mark = marks[person.user.user_id]
                assert await emulator.wait_until(
                    lambda p=person, m=mark: any("Which country" in t for t in p._texts_since(m)),
                    30,
                ), person._texts_since(mark)
                assert not any(UNAVAILABLE in t for t in person._texts_since(mark))
            return held

        async def stop_pg() -> None:
            figures["pg stop -m fast (s)"] = round(await private_postgres.stop("fast"), 2)

        async def start_pg() -> None:
            figures["pg start (s)"] = round(await private_postgres.start(), 2)

        async def freeze() -> None:
            private_redis.pause()

        async def thaw() -> None:
            private_redis.resume()

        async def redis_exits() -> None:
            await private_redis.stop(keep_data=True)

        async def redis_returns() -> None:
            await private_redis.start()

        held = await held_through(stop_pg, start_pg, on_pg)
        held += await held_through(freeze, thaw, on_redis)
        held += await held_through(redis_exits, redis_returns, on_redis_gone)
        await asyncio.gather(*(person.finish() for person in people))

        refused = Counter(
            a.update_id for a in emulator.webhook_attempts if a.update_id in held and a.error
        )
        figures["refused deliveries per held update"] = sorted(refused.values())
        async with harness.uow_factory() as uow:
            processed = Counter(
                (
                    await uow.session.scalars(
                        select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id.in_(held))
                    )
                ).all()
            )
            stores = set((await uow.session.scalars(select(Seller.store_name))).all())
        assert processed == Counter(held)  # each held update applied exactly once
        assert stores == {person.store for person in people}
        for person in people:
            answers = [
                a
                for a in emulator.activity
                if a.chat_id == person.user.chat_id
                and a.kind == "sent"
                and "Which country" in a.message.content
            ]
            assert len(answers) == 1, (person.user.user_id, answers)
    finally:
        await harness.stop()
    print("webhook storage fault figures:", figures)
