"""Per-user isolation of updates in one process, forgetting users who are not being served.

aiogram's `SimpleEventIsolation` keeps an asyncio.Lock for every user it ever saw, for the
life of the process: memory that grows with every new user (its own source says a cleaner is
still to do). This one drops a user's lock as soon as nobody holds it or waits for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

from notifications.keyed_locks import KeyedLocks

__all__ = ["ForgetfulEventIsolation"]


class ForgetfulEventIsolation(BaseEventIsolation):
    def __init__(self) -> None:
        self._locks: KeyedLocks[StorageKey] = KeyedLocks()

    @property
    def users_in_flight(self) -> int:
        """How many users' locks are held or waited for now (what the process remembers)."""
        return len(self._locks)

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        async with self._locks.hold(key):
            yield

    async def close(self) -> None:
        self._locks.clear()
