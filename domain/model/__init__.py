"""Entities and value objects, mapped with SQLAlchemy 2 declarative classes.

They hold rules (state machines, validation) and do no I/O themselves.
"""

from domain.model.base import Base
from domain.model.infrastructure import (
    AuditEntry,
    BlockedRecipient,
    ConversationState,
    Notification,
    NotificationStatus,
    ProcessedUpdate,
)
from domain.model.sellers import Seller, TelegramUser

__all__ = [
    "AuditEntry",
    "Base",
    "BlockedRecipient",
    "ConversationState",
    "Notification",
    "NotificationStatus",
    "ProcessedUpdate",
    "Seller",
    "TelegramUser",
]
