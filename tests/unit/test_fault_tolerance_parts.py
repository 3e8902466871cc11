"""The small parts the fault-injection tests rely on, each on its own: the per-user isolation
that forgets idle users, the flood counter's bounded memory of warnings, the send buckets'
fallback while Redis is unreachable, and conversation writes held until the commit."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.event_isolation import ForgetfulEventIsolation
from bot.fsm_storage import AfterCommitStorage, discard_pending_writes, writes_after_commit
from bot.middlewares import NOTICE_INTERVAL_SECONDS, MemoryFloodCounter
from notifications.rate_limit_fallback import RedisRateLimiterWithFallback
from notifications.rate_limits import InProcessRateLimiter, RateLimits


def _key(user_id: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user_id, user_id=user_id)


async def test_isolation_keeps_one_users_updates_in_turn_and_forgets_idle_users() -> None:
    isolation = ForgetfulEventIsolation()
    order: list[str] = []

    async def update(name: str, hold: float) -> None:
        async with isolation.lock(_key(1)):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    await asyncio.gather(update("a", 0.02), update("b", 0))
    assert order == ["a in", "a out", "b in", "b out"]
    for user_id in range(1000):
        async with isolation.lock(_key(user_id)):
            pass
    assert isolation.users_in_flight == 0


async def test_the_flood_counter_forgets_warnings_older_than_the_interval() -> None:
    now = [0.0]
    counter = MemoryFloodCounter(10, clock=lambda: now[0])
    for user_id in range(10_001):
        assert await counter.may_warn(user_id)
    now[0] += NOTICE_INTERVAL_SECONDS + 1
    assert await counter.may_warn(99_999)
    assert len(counter._warned) == 1


class _RedisGone:
    """The shared buckets while Redis refuses connections (or answers, once `back`)."""

    def __init__(self) -> None:
        self.back = False
        self.calls = 0

    async def acquire(self, chat_id: int | None, *, bulk: bool = False) -> None:
        self.calls += 1
        if not self.back:
            raise RedisConnectionError("Connection refused")


async def test_sends_use_local_buckets_while_redis_is_unreachable_then_shared_ones() -> None:
    now = [0.0]
    shared = _RedisGone()
    limiter = RedisRateLimiterWithFallback(
        shared,  # type: ignore[arg-type]
        InProcessRateLimiter(RateLimits(chat_interval=0)),
        retry_after=5.0,
        clock=lambda: now[0],
    )
    await limiter.acquire(7)
    assert limiter.degraded and shared.calls == 1
    await limiter.acquire(7)  # within the interval Redis is not asked again
    assert shared.calls == 1
    now[0] += 6
    shared.back = True
    await limiter.acquire(7)
    assert not limiter.degraded and shared.calls == 2


async def test_conversation_writes_wait_for_the_commit_and_vanish_with_a_rollback() -> None:
    inner = MemoryStorage()
    storage = AfterCommitStorage(inner)
    key = _key(5)

    async with writes_after_commit(storage):
        await storage.set_state(key, "Form:name")
        await storage.set_data(key, {"draft": 1})
        assert await storage.get_state(key) == "Form:name"  # the update reads its own writes
        assert await inner.get_state(key) is None  # nobody else does yet
    assert await inner.get_state(key) == "Form:name"
    assert await inner.get_data(key) == {"draft": 1}

    async with writes_after_commit(storage):
        await storage.set_state(key, "Form:country")
        discard_pending_writes()  # the handler failed: rolled back
    assert await inner.get_state(key) == "Form:name"

    async def failed_commit() -> None:
        async with writes_after_commit(storage):
            await storage.set_state(key, "Form:country")
            raise ConnectionError("the commit failed")

    with pytest.raises(ConnectionError):
        await failed_commit()
    assert await inner.get_state(key) == "Form:name"
