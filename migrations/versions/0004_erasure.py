"""erasure: audit pseudonyms, outbox rows by data subject, audit look-up indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:00:00.000000

`notifications.subject_user_id` names the Telegram user a message is about when that is not its
recipient (operators told about a seller's warehouse). Existing rows are filled in from the
warehouse or order their parameters name, so erasing a seller finds rows written before this
revision too.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

BACKFILL_BATCH = 1000

_notifications = sa.table(
    "notifications",
    sa.column("id", sa.BigInteger),
    sa.column("chat_id", sa.BigInteger),
    sa.column("params", sa.JSON),
    sa.column("subject_user_id", sa.BigInteger),
)
_sellers = sa.table(
    "sellers", sa.column("id", sa.BigInteger), sa.column("telegram_user_id", sa.BigInteger)
)
_warehouses = sa.table(
    "warehouses", sa.column("id", sa.BigInteger), sa.column("seller_id", sa.BigInteger)
)
_orders = sa.table("orders", sa.column("id", sa.BigInteger), sa.column("seller_id", sa.BigInteger))


def upgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_pseudonym", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("subject_pseudonym", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_entries_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(
            "ix_audit_entries_subject", ["subject_type", "subject_id"], unique=False
        )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_user_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_notifications_subject_user_id"), ["subject_user_id"], unique=False
        )

    _backfill_notification_subjects(op.get_bind())


def _owners(connection: sa.Connection, table: Any, ids: set[int]) -> dict[int, int]:
    """The Telegram user owning each warehouse or order id (through its seller)."""
    if not ids:
        return {}
    rows = connection.execute(
        sa.select(table.c.id, _sellers.c.telegram_user_id)
        .join(_sellers, _sellers.c.id == table.c.seller_id)
        .where(table.c.id.in_(sorted(ids)))
    )
    return {int(row_id): int(user_id) for row_id, user_id in rows}


def _int_param(params: Any, name: str) -> int | None:
    value = params.get(name) if isinstance(params, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _backfill_notification_subjects(connection: sa.Connection) -> None:
    last_id = 0
    while True:
        batch = connection.execute(
            sa.select(_notifications.c.id, _notifications.c.chat_id, _notifications.c.params)
            .where(_notifications.c.id > last_id)
            .order_by(_notifications.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not batch:
            return
        last_id = batch[-1].id
        warehouse_owners = _owners(
            connection,
            _warehouses,
            {w for row in batch if (w := _int_param(row.params, "warehouse_id")) is not None},
        )
        order_owners = _owners(
            connection,
            _orders,
            {o for row in batch if (o := _int_param(row.params, "order_id")) is not None},
        )
        for row in batch:
            warehouse_id = _int_param(row.params, "warehouse_id")
            order_id = _int_param(row.params, "order_id")
            owner = (
                warehouse_owners.get(warehouse_id)
                if warehouse_id is not None
                else order_owners.get(order_id)
                if order_id is not None
                else None
            )
            if owner is not None and owner != row.chat_id:
                connection.execute(
                    sa.update(_notifications)
                    .where(_notifications.c.id == row.id)
                    .values(subject_user_id=owner)
                )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_subject_user_id"))
        batch_op.drop_column("subject_user_id")

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_subject")
        batch_op.drop_index(batch_op.f("ix_audit_entries_actor_id"))
        batch_op.drop_column("subject_pseudonym")
        batch_op.drop_column("actor_pseudonym")
