"""Repositories: the only place that knows how entities are queried. They never commit.

One module per aggregate (sellers, warehouses, orders and their shipments, parcel tracking, the
buyers following orders, background order imports, return cases) and per piece of infrastructure
(processed updates, conversation states and the audit log; the questions awaiting confirmation;
the outbox; the queries of erasure). The unit of work builds one of each per transaction. What
they share (the session, an aggregate's `add` and `get`, the rows remembered for the update's
sender) is in `base`.
"""

from __future__ import annotations

from domain.repositories.buyers import BuyerRepository
from domain.repositories.confirmations import ConfirmationRepository
from domain.repositories.infrastructure import (
    Actor,
    Audited,
    AuditLog,
    ConversationStateRepository,
    ProcessedUpdateRepository,
)
from domain.repositories.numbers_to_stop import NumbersToStopRepository
from domain.repositories.order_imports import OrderImportRepository
from domain.repositories.orders import (
    OrderRepository,
    RemindedOrder,
    ReminderGroup,
    ShipmentRepository,
)
from domain.repositories.outbox import (
    BlockedRecipientRepository,
    NotificationRepository,
    OutboxBacklog,
)
from domain.repositories.personal_data import AuditSubject, PersonalDataRepository
from domain.repositories.returns import CasesInStatus, PlannedFiring, ReturnRepository
from domain.repositories.sellers import (
    LogisticsSettingsRepository,
    SellerRepository,
    TelegramUserRepository,
)
from domain.repositories.tracking import (
    DueShipment,
    SellerContact,
    ShipmentTracking,
    TrackingRepository,
)
from domain.repositories.warehouses import WarehouseRepository

__all__ = [
    "Actor",
    "AuditLog",
    "AuditSubject",
    "Audited",
    "BlockedRecipientRepository",
    "BuyerRepository",
    "CasesInStatus",
    "ConfirmationRepository",
    "ConversationStateRepository",
    "DueShipment",
    "LogisticsSettingsRepository",
    "NotificationRepository",
    "NumbersToStopRepository",
    "OrderImportRepository",
    "OrderRepository",
    "OutboxBacklog",
    "PersonalDataRepository",
    "PlannedFiring",
    "ProcessedUpdateRepository",
    "RemindedOrder",
    "ReminderGroup",
    "ReturnRepository",
    "SellerContact",
    "SellerRepository",
    "ShipmentRepository",
    "ShipmentTracking",
    "TelegramUserRepository",
    "TrackingRepository",
    "WarehouseRepository",
]
