"""pending confirmations: the question a user was last asked to confirm, with its token

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:30:00.000000

A confirmation button (erasing one's data, archiving a warehouse, withdrawing or escalating a
return case) is honoured only with the token of the latest such question, before it expires.
Prompts sent before this revision carry no token: pressed, they are refused as stale.
"""

from __future__ import annotations

import sqlalchemy as sa

from migrations import schema

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    schema.create_table(
        "pending_confirmations",
        schema.reference("user_id"),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        schema.moment("expires_at", nullable=False),
        schema.foreign_key(
            "pending_confirmations", "user_id", "telegram_users", ondelete="CASCADE"
        ),
        schema.unique("pending_confirmations", "user_id", "purpose"),
    )


def downgrade() -> None:
    schema.drop_table("pending_confirmations")
