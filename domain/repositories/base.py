"""What every repository shares: the transaction's session, and the ways it is read."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

from sqlalchemy import ColumnElement, CursorResult, Executable, Result, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from domain.repositories.known_rows import KnownRows

RowT = TypeVar("RowT")
KeyT = TypeVar("KeyT")
SelectT = TypeVar("SelectT", bound=Select[Any])


def affected_rows(result: Result[Any]) -> int:
    """How many rows an INSERT, UPDATE or DELETE changed (the async session types the result of
    any statement as a plain `Result`, which has no `rowcount`)."""
    return int(cast(CursorResult[Any], result).rowcount)


class Repository:
    """Reads and writes through the session of one transaction; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _count(self, table: type[Any], *conditions: ColumnElement[bool]) -> int:
        """How many rows of `table` meet every one of `conditions`."""
        counted = select(func.count()).select_from(table).where(*conditions)
        return int(await self.session.scalar(counted) or 0)

    async def _rows_changed(self, statement: Executable) -> int:
        """Run an INSERT, UPDATE or DELETE; how many rows it changed."""
        return affected_rows(await self.session.execute(statement))

    async def _claim(
        self, due: Select[tuple[int]], id_column: InstrumentedAttribute[int], **lease: Any
    ) -> list[int]:
        """Claim the rows whose ids `due` selects, for one worker: `lease` (their
        `lease_until`, ...) is written on them in this transaction. On PostgreSQL rows another
        worker is claiming are skipped (`FOR UPDATE SKIP LOCKED`); on SQLite the write lock
        already serialises claims. The ids claimed, in `due`'s order."""
        if self._postgres:
            # Only `id_column`'s table is locked: `due` may rank its rows in a subquery.
            due = due.with_for_update(of=id_column.class_, skip_locked=True)
        ids = list((await self.session.execute(due)).scalars())
        if ids:
            await self.session.execute(
                update(id_column.class_).where(id_column.in_(ids)).values(**lease)
            )
        return ids

    def _locking(self, query: SelectT, of: type[Any], *, skip_locked: bool) -> SelectT:
        """`query`, locking the rows of `of` it reads until the transaction ends (PostgreSQL;
        on SQLite the write lock already serialises workers). `skip_locked`: rows another
        transaction holds are passed over (`SKIP LOCKED`) instead of waited for."""
        if not self._postgres:
            return query
        return query.with_for_update(of=of, skip_locked=skip_locked)

    @property
    def _postgres(self) -> bool:
        """Whether the session's database is PostgreSQL, where some statements differ."""
        return self.session.get_bind().dialect.name == "postgresql"


class AggregateRepository(Repository, Generic[RowT]):
    """The repository of one aggregate: its root rows are added, and read by their id."""

    root: type[RowT]

    def add(self, row: RowT) -> None:
        self.session.add(row)

    async def get(self, row_id: int) -> RowT | None:
        return await self.session.get(self.root, row_id)


class RememberingRepository(Repository):
    """A repository of rows the update's sender is read with (`KnownRows`): it answers from
    what this transaction already read, and keeps that current."""

    def __init__(self, session: AsyncSession, known: KnownRows | None = None) -> None:
        super().__init__(session)
        self._known = known if known is not None else KnownRows()

    async def _remembered(
        self, remembered: dict[KeyT, RowT | None], model: type[RowT], key: KeyT
    ) -> RowT | None:
        """The row of `model` with primary key `key` (or None), read at most once."""
        if key in remembered:
            return remembered[key]
        row = await self.session.get(model, key)
        remembered[key] = row
        return row
