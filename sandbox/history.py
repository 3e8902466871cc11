"""What the sandbox keeps across restarts, so a new run continues the old one.

The bot's database outlives the emulator: it remembers the update ids it processed (to skip
redeliveries) for 48 hours. A fresh emulator that numbered updates from 1 again would have its
first messages silently skipped, so a new emulator continues above the highest id the database
remembers. That is read from the database itself rather than kept in a counter file of our own:
the database is what skips the updates, so it is the only record that cannot disagree (a
DATABASE_URL shared by two data directories, a deleted data directory, a restored backup).

The chats themselves are kept by ``sandbox.chat_log``. Where a chat has no messages to show
but the bot remembers it — a Reset that kept the database (DATABASE_URL set), or chats that were
never saved — ``remembered_chats`` says so, and the web chat tells the person instead of showing
an empty chat that the bot would answer as a conversation half-way through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum

from aiogram.fsm.storage.base import BaseStorage, StorageKey
from sqlalchemy import func, select

from domain.model import ProcessedUpdate, TelegramUser
from domain.unit_of_work import UnitOfWork

__all__ = ["Memory", "last_processed_update_id", "remembered_chats"]


class Memory(StrEnum):
    """What the bot's database holds about a private chat whose messages are not shown."""

    UNFINISHED = "unfinished"  # a conversation (registration, warehouse, ...) half-way through
    KNOWN = "known"  # the user, e.g. a registered store, but no conversation in progress


async def last_processed_update_id(uow_factory: Callable[[], UnitOfWork]) -> int:
    """The highest update id the bot's database remembers processing (0 if none)."""
    async with uow_factory() as uow:
        highest = await uow.session.scalar(select(func.max(ProcessedUpdate.update_id)))
    return int(highest or 0)


async def remembered_chats(
    uow_factory: Callable[[], UnitOfWork],
    storage: BaseStorage,
    bot_id: int,
    user_ids: Iterable[int],
) -> dict[int, Memory]:
    """For each private chat (chat id == user id) the bot remembers, what it remembers.

    The conversation state is read through the bot's FSM storage, so it is right whether that
    lives in the SQL database or in Redis.
    """
    wanted = list(user_ids)
    found: dict[int, Memory] = {}
    for user_id in wanted:
        key = StorageKey(bot_id=bot_id, chat_id=user_id, user_id=user_id)
        if await storage.get_state(key) is not None:
            found[user_id] = Memory.UNFINISHED
    async with uow_factory() as uow:
        known = await uow.session.scalars(
            select(TelegramUser.id).where(TelegramUser.id.in_(wanted))
        )
        for user_id in known:
            found.setdefault(user_id, Memory.KNOWN)
    return found
