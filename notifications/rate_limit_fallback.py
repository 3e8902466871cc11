"""The send buckets in Redis, with this process's own buckets while Redis cannot be reached.

When Redis is down, an update fails before its handler and its sender is told to try again
shortly — a message that itself passes the rate limiter. With the buckets only in Redis that
notice could not be sent, and users met silence for as long as Redis was away. Without Redis
the processes cannot share one budget, so each falls back to its own buckets (the per-chat
interval still holds for the chats it serves); after `retry_after` seconds Redis is asked
again, so a Redis that stops answering costs one time-out per interval, not one per send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError

from notifications.rate_limits import InProcessRateLimiter, RateLimits, RedisRateLimiter

__all__ = ["RedisRateLimiterWithFallback"]

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_RETRY_AFTER_SECONDS = 5.0


class RedisRateLimiterWithFallback:
    def __init__(
        self,
        shared: RedisRateLimiter,
        local: InProcessRateLimiter,
        *,
        retry_after: float = DEFAULT_RETRY_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shared = shared
        self.local = local
        self._retry_after = retry_after
        self._clock = clock
        self._local_until: float | None = None

    @property
    def limits(self) -> RateLimits:
        return self.shared.limits

    @property
    def degraded(self) -> bool:
        """True while sends use this process's own buckets."""
        return self._local_until is not None and self._clock() < self._local_until

    async def _either(
        self, shared: Callable[[], Awaitable[T]], local: Callable[[], Awaitable[T]]
    ) -> T:
        if self.degraded:
            return await local()
        try:
            result = await shared()
        except (RedisError, OSError) as error:
            if self._local_until is None:
                log.warning(
                    "Redis unreachable for the send buckets (%s): this process uses its own "
                    "until it answers again",
                    type(error).__name__,
                )
            self._local_until = self._clock() + self._retry_after
            return await local()
        if self._local_until is not None:
            log.info("Redis answers again: the send buckets are shared again")
            self._local_until = None
        return result

    async def acquire(self, chat_id: int | None, *, bulk: bool = False) -> None:
        await self._either(
            lambda: self.shared.acquire(chat_id, bulk=bulk),
            lambda: self.local.acquire(chat_id, bulk=bulk),
        )

    async def answered(self, chat_id: int) -> None:
        await self._either(
            lambda: self.shared.answered(chat_id), lambda: self.local.answered(chat_id)
        )

    async def pause_chat(self, chat_id: int, seconds: float) -> None:
        await self._either(
            lambda: self.shared.pause_chat(chat_id, seconds),
            lambda: self.local.pause_chat(chat_id, seconds),
        )

    async def pause_global(self, seconds: float) -> None:
        await self._either(
            lambda: self.shared.pause_global(seconds), lambda: self.local.pause_global(seconds)
        )
