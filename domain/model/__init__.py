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
from domain.model.warehouses import (
    Capability,
    DocumentKind,
    Warehouse,
    WarehouseDocument,
    WarehouseKind,
    WarehouseStatus,
)

__all__ = [
    "AuditEntry",
    "Base",
    "BlockedRecipient",
    "Capability",
    "ConversationState",
    "DocumentKind",
    "Notification",
    "NotificationStatus",
    "ProcessedUpdate",
    "Seller",
    "TelegramUser",
    "Warehouse",
    "WarehouseDocument",
    "WarehouseKind",
    "WarehouseStatus",
]
