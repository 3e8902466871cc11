"""What the sandbox keeps across restarts, so a new run continues the old one.

The bot's database outlives the emulator: it remembers the update ids it processed (to skip
redeliveries) for 48 hours. A fresh emulator that numbered updates from 1 again would have its
first messages silently skipped, so a new emulator continues above the highest id the database
remembers. That is read from the database itself rather than kept in a counter file of our own:
the database is what skips the updates, so it is the only record that cannot disagree (a
DATABASE_URL shared by two data directories, a deleted data directory, a restored backup).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from domain.model import ProcessedUpdate
from domain.unit_of_work import UnitOfWork

__all__ = ["last_processed_update_id"]


async def last_processed_update_id(uow_factory: Callable[[], UnitOfWork]) -> int:
    """The highest update id the bot's database remembers processing (0 if none)."""
    async with uow_factory() as uow:
        highest = await uow.session.scalar(select(func.max(ProcessedUpdate.update_id)))
    return int(highest or 0)
