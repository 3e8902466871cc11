"""Declarative base, shared column types and the constraint naming convention."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from sqlalchemy import (
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column
from sqlalchemy.types import TypeDecorator

from domain.errors import ConflictError, DomainError
from domain.roles import Role

StatusT = TypeVar("StatusT", bound=enum.StrEnum)
ActionT = TypeVar("ActionT", bound=enum.StrEnum)

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def primary_id() -> MappedColumn[int]:
    """The surrogate key every table of ours has: `id`, a BigId primary key."""
    return mapped_column(BigId, primary_key=True)


def parent_id(table: str, **options: Any) -> MappedColumn[int]:
    """The id of the row in `table` that this row belongs to: deleting that row deletes this
    one (`options`: `index`, `unique`, as for `mapped_column`)."""
    return mapped_column(BigInteger, ForeignKey(f"{table}.id", ondelete="CASCADE"), **options)


def link_id(table: str, **options: Any) -> MappedColumn[int | None]:
    """The id of a row in `table` this row points at without belonging to it: emptied when
    that row is deleted (an erased person, a removed message), this row stays."""
    return mapped_column(BigInteger, ForeignKey(f"{table}.id", ondelete="SET NULL"), **options)


def warehouse_reference(**options: Any) -> MappedColumn[Any]:
    """The warehouse goods leave from or go back to. Warehouses are archived, never deleted
    while rows point at them; the key is checked at commit, so erasing a seller (whose
    warehouses and the rows pointing at them cascade away in one statement) does not trip over
    the order in which the cascades run."""
    return mapped_column(
        BigInteger, ForeignKey("warehouses.id", deferrable=True, initially="DEFERRED"), **options
    )


def enum_column(kind: type[enum.StrEnum], length: int = 24) -> Enum:
    """A StrEnum stored as its values in a plain string column: no native enum type, so a new
    member needs no schema change beyond the length."""
    return Enum(
        kind,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index over only the rows that match the SQL condition `where`, on SQLite and
    PostgreSQL alike; unique, it allows one such row per value (one open offer per case)."""
    condition = text(where)
    return Index(name, *columns, unique=unique, sqlite_where=condition, postgresql_where=condition)


def money_amount() -> Numeric[Decimal]:
    """Every amount of money: Numeric(14, 2), twelve digits before the point."""
    return Numeric(14, 2)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime()}  # noqa: RUF012 (SQLAlchemy reads it)


class ActionsByRole(Generic[StatusT, ActionT]):
    """An aggregate whose next moves are one table, role -> status -> the actions allowed
    (`ACTIONS_BY_ROLE` of its module): handlers draw buttons from `allowed_actions`, and the
    transitions refuse through `require`, so a stale or forged button is refused when pressed.
    """

    actions_by_role: ClassVar[Mapping[Role, Mapping[Any, frozenset[Any]]]]

    if TYPE_CHECKING:
        status: Any

    def allowed_actions(self, role: Role) -> frozenset[ActionT]:
        """What `role` may do in the current status (a role or status not listed: nothing)."""
        return self.actions_by_role.get(role, {}).get(self.status, frozenset())

    def require(self, action: ActionT, role: Role) -> None:
        """Refuse, with the error the user reads, an action not allowed in this status."""
        if action not in self.allowed_actions(role):
            raise self._refusal(action)

    def _refusal(self, action: ActionT) -> DomainError:
        """The error that says why `action` cannot be done now; an aggregate names the case
        (e.g. "not confirmed yet"), anything else reads the generic "not in this state"."""
        return ConflictError()
