"""One asyncio.Lock per key, kept only while someone holds it or waits for it.

A plain `dict[key, Lock]` grows with every key ever seen (every chat, every user) for the life
of the process; this one counts who holds or waits for each lock and drops it at zero. The
locks are asyncio's, so waiters for one key go in the order they came (FIFO).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

__all__ = ["KeyedLocks"]

Key = TypeVar("Key", bound=Hashable)


class KeyedLocks(Generic[Key]):
    def __init__(self) -> None:
        self._locks: dict[Key, asyncio.Lock] = {}
        # How many callers hold or wait for each lock; at zero the lock is dropped.
        self._users: dict[Key, int] = {}

    def __len__(self) -> int:
        """How many keys' locks are held or waited for now (what is remembered)."""
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: Key) -> AsyncIterator[None]:
        """Hold `key`'s lock for the block, waiting behind earlier holders of the same key."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    def clear(self) -> None:
        self._locks.clear()
        self._users.clear()
