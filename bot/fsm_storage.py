"""aiogram FSM storage in the SQL database, written through the update's unit of work.

Conversation state and the domain change of a wizard step must commit together (or not at
all), so inside an update the storage uses that update's transaction (found through a context
variable set by the unit-of-work middleware). Outside an update it uses a short transaction of
its own. Either way a half-filled conversation survives a restart.

With Redis (`AfterCommitStorage`) the state cannot join the transaction; it is written right
after the commit instead, so an update that failed leaves its conversation where it was.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey

from domain.unit_of_work import UnitOfWork

current_unit_of_work: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar(
    "current_unit_of_work", default=None
)


def _state_name(state: StateType) -> str | None:
    if isinstance(state, State):
        return state.state
    return state


class SqlStorage(BaseStorage):
    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow_factory = uow_factory
        self._keys = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    def storage_key(self, key: StorageKey) -> str:
        """The row key of a conversation (`conversation_states.key`)."""
        return self._keys.build(key)

    @contextlib.asynccontextmanager
    async def _unit_of_work(self, *, writes: bool) -> AsyncIterator[UnitOfWork]:
        """The update's unit of work inside an update (the update commits it, with the step's
        domain change); outside one, a short one of the storage's own, committed if it
        `writes`."""
        uow = current_unit_of_work.get()
        if uow is not None:
            yield uow
            return
        async with self._uow_factory() as own:
            yield own
            if writes:
                await own.commit()

    async def _write(self, key: StorageKey, **changes: Any) -> None:
        async with self._unit_of_work(writes=True) as uow:
            await uow.conversation_states.upsert(
                self.storage_key(key),
                chat_id=key.chat_id,
                user_id=key.user_id,
                now=uow.now(),
                **changes,
            )

    async def _read(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        async with self._unit_of_work(writes=False) as uow:
            row = await uow.conversation_states.get(self.storage_key(key))
            return (row.state, dict(row.data or {})) if row else (None, {})

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._write(key, state=_state_name(state), set_state=True)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._read(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=dict(data), set_data=True)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await self._read(key))[1]

    async def close(self) -> None:
        return None


@dataclass
class PendingWrites:
    """The conversation changes of one update, held until its transaction commits."""

    states: dict[StorageKey, str | None] = field(default_factory=dict)
    data: dict[StorageKey, dict[str, Any]] = field(default_factory=dict)

    def discard(self) -> None:
        self.states.clear()
        self.data.clear()


_pending_writes: contextvars.ContextVar[PendingWrites | None] = contextvars.ContextVar(
    "pending_conversation_writes", default=None
)


def discard_pending_writes() -> None:
    """The update's transaction was rolled back: its conversation changes go with it."""
    pending = _pending_writes.get()
    if pending is not None:
        pending.discard()


@contextlib.asynccontextmanager
async def writes_after_commit(storage: BaseStorage | None) -> AsyncIterator[None]:
    """Around an update's unit of work: with an `AfterCommitStorage`, the conversation writes
    made inside are held and applied when the block ends without an error, after the commit
    in it. Any other storage is written as it goes (the SQL one joins the transaction)."""
    if not isinstance(storage, AfterCommitStorage):
        yield
        return
    with storage.deferring() as pending:
        yield
        await storage.apply(pending)


class AfterCommitStorage(BaseStorage):
    """Another storage (Redis) that an update writes only once its transaction committed.

    Redis cannot join the database's transaction. Written at once, a step's new state
    outlived a rolled-back or failed commit: the user, told that nothing was saved, sent
    their answer again and the conversation had already moved on ("no country called <the
    store's name>"). Held back until the commit, a failed update leaves the conversation where
    it was. Within the update, reads see its own writes. What remains is the reverse gap: a
    commit followed by a Redis failure leaves the step's state behind the database.
    """

    def __init__(self, inner: BaseStorage) -> None:
        self.inner = inner

    @contextlib.contextmanager
    def deferring(self) -> Iterator[PendingWrites]:
        pending = PendingWrites()
        token = _pending_writes.set(pending)
        try:
            yield pending
        finally:
            _pending_writes.reset(token)

    async def apply(self, pending: PendingWrites) -> None:
        for key, state in pending.states.items():
            await self.inner.set_state(key, state)
        for key, data in pending.data.items():
            await self.inner.set_data(key, data)
        pending.discard()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        pending = _pending_writes.get()
        if pending is None:
            await self.inner.set_state(key, state)
        else:
            pending.states[key] = _state_name(state)

    async def get_state(self, key: StorageKey) -> str | None:
        pending = _pending_writes.get()
        if pending is not None and key in pending.states:
            return pending.states[key]
        return await self.inner.get_state(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        pending = _pending_writes.get()
        if pending is None:
            await self.inner.set_data(key, data)
        else:
            pending.data[key] = dict(data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        pending = _pending_writes.get()
        if pending is not None and key in pending.data:
            return dict(pending.data[key])
        return await self.inner.get_data(key)

    async def close(self) -> None:
        await self.inner.close()
