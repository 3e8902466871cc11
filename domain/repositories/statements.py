"""SQL statements the repositories share, in the dialect of the session's database."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """An `INSERT` in the dialect of the session's database (it has `on_conflict_do_nothing`)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table)


def insert_ignoring_conflicts(session: AsyncSession, table: Any, values: dict[str, Any]) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING`, in the dialect of the session's database."""
    return dialect_insert(session, table).values(**values).on_conflict_do_nothing()
