"""Repositories: the only place that knows how entities are queried. They never commit.

One module per aggregate (sellers, warehouses, orders and their shipments) and per piece of
infrastructure (processed updates, conversation states and the audit log; the outbox). The unit
of work builds one of each per transaction.
"""

from __future__ import annotations

from domain.repositories.infrastructure import (
    AuditLog,
    ConversationStateRepository,
    ProcessedUpdateRepository,
)
from domain.repositories.orders import OrderRepository, ShipmentRepository
from domain.repositories.outbox import BlockedRecipientRepository, NotificationRepository
from domain.repositories.sellers import (
    LogisticsSettingsRepository,
    SellerRepository,
    TelegramUserRepository,
)
from domain.repositories.warehouses import WarehouseRepository

__all__ = [
    "AuditLog",
    "BlockedRecipientRepository",
    "ConversationStateRepository",
    "LogisticsSettingsRepository",
    "NotificationRepository",
    "OrderRepository",
    "ProcessedUpdateRepository",
    "SellerRepository",
    "ShipmentRepository",
    "TelegramUserRepository",
    "WarehouseRepository",
]
