"""order imports run in the background, one at a time per seller

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import domain.model.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_imports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "running",
                "done",
                "failed",
                "interrupted",
                name="importstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("orders_imported", sa.Integer(), nullable=False),
        sa.Column("lines_imported", sa.Integer(), nullable=False),
        sa.Column("orders_existing", sa.Integer(), nullable=False),
        sa.Column("rows_skipped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_order_imports_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_imports")),
    )
    with op.batch_alter_table("order_imports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_imports_one_running",
            ["seller_id"],
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )
        batch_op.create_index(
            "ix_order_imports_status_lease_until", ["status", "lease_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("order_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_order_imports_status_lease_until")
        batch_op.drop_index(
            "ix_order_imports_one_running",
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )

    op.drop_table("order_imports")
