"""Columns, constraints and indexes that every revision writes the same way.

They render exactly what autogenerate wrote out by hand before: constraint and index names follow
the metadata's naming convention (`op.f` marks them as final), ids are BIGINT on PostgreSQL and
INTEGER on SQLite (where only INTEGER PRIMARY KEY autoincrements), times are timezone-aware UTC.
A revision's schema must never change once released, so these helpers only ever gain options.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations
from sqlalchemy.schema import SchemaItem

from domain.model.base import UtcDateTime


def surrogate_id() -> sa.Column[Any]:
    """The autoincrementing `id` primary-key column."""
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def moment(name: str, *, nullable: bool) -> sa.Column[Any]:
    """A point in time, stored as UTC."""
    return sa.Column(name, UtcDateTime(timezone=True), nullable=nullable)


def choice(name: str, *values: str, **length: int) -> sa.Enum:
    """An enumeration stored as a string checked by the application, not a database type.

    `length` is passed only when given: without it SQLAlchemy sizes the column to the longest value.
    """
    return sa.Enum(*values, name=name, native_enum=False, **length)


def choice_column(
    name: str, enum: str, *values: str, nullable: bool = False, **length: int
) -> sa.Column[Any]:
    """A column holding one of `values`, stored as `choice` says."""
    return sa.Column(name, choice(enum, *values, **length), nullable=nullable)


def reference(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A column holding another row's `id` (declare its key with `foreign_key`)."""
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def money(name: str, *, nullable: bool) -> sa.Column[Any]:
    """An amount in a currency named by another column."""
    return sa.Column(name, sa.Numeric(precision=14, scale=2), nullable=nullable)


def primary_key(table: str, column: str = "id") -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(column, name=op.f(f"pk_{table}"))


def foreign_key(
    table: str, column: str, target: str, *, ondelete: str | None = None, deferred: bool = False
) -> sa.ForeignKeyConstraint:
    """`table.column` referencing `target.id`.

    A deferred key is checked at commit, so rows pointing at each other can be written in any order.
    """
    timing: dict[str, Any] = {"initially": "DEFERRED", "deferrable": True} if deferred else {}
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
        **timing,
    )


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def create_table(name: str, *elements: SchemaItem, indexed: Sequence[str] = ()) -> None:
    """A table whose first column is the `surrogate_id` primary key, then `elements`;
    `indexed` columns get a plain index each (`create_indexes`)."""
    op.create_table(name, surrogate_id(), *elements, primary_key(name))
    create_indexes(name, *indexed)


def drop_table(name: str, indexed: Sequence[str] = ()) -> None:
    """Undo `create_table` (indexes the revision added later are dropped before)."""
    drop_indexes(name, *indexed)
    op.drop_table(name)


def create_indexes(table: str, *columns: str) -> None:
    """One plain index per column, named `ix_<table>_<column>` as the naming convention does."""
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def drop_indexes(table: str, *columns: str) -> None:
    """Undo `create_indexes`, newest first."""
    for column in reversed(columns):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)


def create_partial_index(
    name: str, table: str, columns: list[str], *, where: str, unique: bool
) -> None:
    """An index over the rows matching `where` only, on both PostgreSQL and SQLite."""
    op.create_index(
        name,
        table,
        columns,
        unique=unique,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def add_reference(
    batch: BatchOperations,
    table: str,
    column: str,
    target: str,
    *,
    ondelete: str,
    index: Literal["plain", "unique"] | None = None,
) -> None:
    """A nullable `reference` column added to an existing `table` (inside its batch), with its
    foreign key to `target.id` and, if asked, an index on it."""
    batch.add_column(reference(column, nullable=True))
    if index is not None:
        batch.create_index(batch.f(f"ix_{table}_{column}"), [column], unique=index == "unique")
    batch.create_foreign_key(
        batch.f(f"fk_{table}_{column}_{target}"), target, [column], ["id"], ondelete=ondelete
    )


def drop_reference(
    batch: BatchOperations, table: str, column: str, target: str, *, indexed: bool
) -> None:
    """Undo `add_reference`."""
    batch.drop_constraint(batch.f(f"fk_{table}_{column}_{target}"), type_="foreignkey")
    if indexed:
        batch.drop_index(batch.f(f"ix_{table}_{column}"))
    batch.drop_column(column)
