"""aiogram FSM storage in the SQL database, written through the update's unit of work.

Conversation state and the domain change of a wizard step must commit together (or not at
all), so inside an update the storage uses that update's transaction (found through a context
variable set by the unit-of-work middleware). Outside an update it uses a short transaction of
its own. Either way a half-filled conversation survives a restart.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
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

    async def _write(self, key: StorageKey, **changes: Any) -> None:
        uow = current_unit_of_work.get()
        if uow is not None:
            await uow.conversation_states.upsert(
                self.storage_key(key),
                chat_id=key.chat_id,
                user_id=key.user_id,
                now=uow.now(),
                **changes,
            )
            return
        async with self._uow_factory() as own:
            await own.conversation_states.upsert(
                self.storage_key(key),
                chat_id=key.chat_id,
                user_id=key.user_id,
                now=own.now(),
                **changes,
            )
            await own.commit()

    async def _read(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        uow = current_unit_of_work.get()
        if uow is not None:
            row = await uow.conversation_states.get(self.storage_key(key))
            return (row.state, dict(row.data or {})) if row else (None, {})
        async with self._uow_factory() as own:
            row = await own.conversation_states.get(self.storage_key(key))
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
