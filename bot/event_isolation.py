"""Per-user isolation of updates in one process, forgetting users who are not being served.

aiogram's `SimpleEventIsolation` keeps an asyncio.Lock for every user it ever saw, for the
life of the process: memory that grows with every new user (its own source says a cleaner is
still to do). This one drops a user's lock as soon as nobody holds it or waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

__all__ = ["ForgetfulEventIsolation"]


class ForgetfulEventIsolation(BaseEventIsolation):
    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}
        # How many updates hold or wait for each lock; at zero the lock is dropped.
        self._users: dict[Hashable, int] = {}

    @property
    def users_in_flight(self) -> int:
        """How many users' locks are held or waited for now (what the process remembers)."""
        return len(self._locks)

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
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

    async def close(self) -> None:
        self._locks.clear()
        self._users.clear()
