"""foundation: users, sellers, outbox, audit, conversation state

Revision ID: 0001
Revises:
Create Date: 2026-11-25 17:45:20.148843
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from migrations import schema

revision = "0001"
down_revision = None


def upgrade() -> None:
    schema.create_table(
        "audit_entries",
        schema.moment("at", nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        indexed=["at"],
    )

    op.create_table(
        "blocked_recipients",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        schema.moment("blocked_at", nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        schema.primary_key("blocked_recipients", "chat_id"),
    )
    op.create_table(
        "conversation_states",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        schema.moment("updated_at", nullable=False),
        schema.primary_key("conversation_states", "key"),
    )
    schema.create_indexes("conversation_states", "chat_id", "user_id")

    schema.create_table(
        "notifications",
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=True),
        schema.choice_column(
            "status",
            "notificationstatus",
            "pending",
            "sending",
            "sent",
            "paused",
            "dead",
            length=16,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        schema.moment("next_attempt_at", nullable=False),
        schema.moment("lease_until", nullable=True),
        schema.moment("created_at", nullable=False),
        schema.moment("sent_at", nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        schema.unique("notifications", "dedupe_key"),
        indexed=["chat_id"],
    )
    op.create_index(
        "ix_notifications_due", "notifications", ["status", "next_attempt_at"], unique=False
    )

    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        schema.moment("processed_at", nullable=False),
        schema.primary_key("processed_updates", "update_id"),
    )
    schema.create_indexes("processed_updates", "processed_at")

    op.create_table(
        "telegram_users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("telegram_language", sa.String(length=16), nullable=True),
        schema.moment("created_at", nullable=False),
        schema.moment("last_seen_at", nullable=False),
        schema.primary_key("telegram_users"),
    )
    schema.create_table(
        "sellers",
        schema.reference("telegram_user_id"),
        sa.Column("store_name", sa.String(length=64), nullable=False),
        sa.Column("home_country", sa.String(length=2), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        schema.moment("created_at", nullable=False),
        schema.foreign_key("sellers", "telegram_user_id", "telegram_users", ondelete="CASCADE"),
        schema.unique("sellers", "telegram_user_id"),
    )


def downgrade() -> None:
    op.drop_table("sellers")
    op.drop_table("telegram_users")
    schema.drop_indexes("processed_updates", "processed_at")

    op.drop_table("processed_updates")
    op.drop_index("ix_notifications_due", table_name="notifications")
    schema.drop_indexes("notifications", "chat_id")

    op.drop_table("notifications")
    schema.drop_indexes("conversation_states", "chat_id", "user_id")

    op.drop_table("conversation_states")
    op.drop_table("blocked_recipients")
    schema.drop_indexes("audit_entries", "at")

    op.drop_table("audit_entries")
