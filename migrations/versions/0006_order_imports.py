"""order imports run in the background, one at a time per seller

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from migrations import schema

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    schema.create_table(
        "order_imports",
        schema.reference("seller_id"),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        schema.choice_column(
            "status", "importstatus", "running", "done", "failed", "interrupted", length=16
        ),
        schema.moment("created_at", nullable=False),
        schema.moment("lease_until", nullable=False),
        schema.moment("finished_at", nullable=True),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("orders_imported", sa.Integer(), nullable=False),
        sa.Column("lines_imported", sa.Integer(), nullable=False),
        sa.Column("orders_existing", sa.Integer(), nullable=False),
        sa.Column("rows_skipped", sa.Integer(), nullable=False),
        schema.foreign_key("order_imports", "seller_id", "sellers", ondelete="CASCADE"),
    )
    schema.create_partial_index(
        "ix_order_imports_one_running",
        "order_imports",
        ["seller_id"],
        where="status = 'running'",
        unique=True,
    )
    op.create_index(
        "ix_order_imports_status_lease_until",
        "order_imports",
        ["status", "lease_until"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_order_imports_status_lease_until", table_name="order_imports")
    op.drop_index("ix_order_imports_one_running", table_name="order_imports")

    op.drop_table("order_imports")
