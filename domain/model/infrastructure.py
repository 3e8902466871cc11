"""Tables that make the bot reliable rather than model the business.

`processed_updates` de-duplicates inbound updates, `notifications` is the outbox,
`audit_entries` records who did what, `conversation_states` holds the aiogram FSM,
`pending_confirmations` the questions a user was asked to confirm.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.model.base import Base, enum_column, parent_id, primary_id

# Telegram keeps an undelivered update for 24 hours; twice that covers any redelivery.
PROCESSED_UPDATE_RETENTION = timedelta(hours=48)


class ProcessedUpdate(Base):
    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    # The recipient blocked the bot; kept, never retried.
    PAUSED = "paused"
    # Gave up after the maximum number of attempts; visible to operators.
    DEAD = "dead"


class Notification(Base):
    """One message the bot sends on its own initiative (the outbox)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = primary_id()
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    # The Telegram user whose personal data the message carries when that is not the
    # recipient (a seller's store and warehouse named to operators), so erasing that user
    # finds the row by who it is about, not by searching its text.
    subject_user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    message_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    # Template name and its parameters; rendered at send time in the recipient's locale.
    template: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Explicit locale, else the recipient's stored preference, else the default.
    locale: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[NotificationStatus] = mapped_column(
        enum_column(NotificationStatus, 16),
        default=NotificationStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)


class BlockedRecipient(Base):
    """A chat that answered 403 (the user blocked the bot): nothing is sent until they return."""

    __tablename__ = "blocked_recipients"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    blocked_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))


class AuditEntry(Base):
    """Who did what, when and why; append-only, except that erasure pseudonymises it.

    When a person erases their data, their entries keep the action and the time, but
    `actor_id` / `subject_id` give way to `actor_pseudonym` / `subject_pseudonym` and personal
    details are dropped (see domain/personal_data.py).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = primary_id()
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    actor_pseudonym: Mapped[str | None] = mapped_column(String(32))
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    subject_pseudonym: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ConversationState(Base):
    """aiogram FSM state and data for one storage key (bot, chat, user, thread, destiny)."""

    __tablename__ = "conversation_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Kept apart from the key so a user's erasure request can find every row of theirs.
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class PendingConfirmation(Base):
    """The latest question a user was asked to confirm for one purpose (erasing their data,
    archiving a warehouse, …). Its buttons carry `token`; a press is honoured once, before
    `expires_at`, and only with the token of the latest question, so neither a forged press
    nor an old prompt in the chat acts for the user. Kept in the database, not in the
    conversation state: it must survive a restart whichever FSM storage runs, and commit with
    the change it allows."""

    __tablename__ = "pending_confirmations"
    __table_args__ = (UniqueConstraint("user_id", "purpose"),)

    id: Mapped[int] = primary_id()
    user_id: Mapped[int] = parent_id("telegram_users")
    purpose: Mapped[str] = mapped_column(String(32))
    # What the question was about (a warehouse, a return case); 0 when about the user.
    subject_id: Mapped[int] = mapped_column(BigInteger)
    token: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime]
