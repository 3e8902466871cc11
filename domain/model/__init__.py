"""Entities and value objects, mapped with SQLAlchemy 2 declarative classes.

They hold rules (state machines, validation) and do no I/O themselves.
"""

from domain.model.base import Base
from domain.model.infrastructure import (
    PROCESSED_UPDATE_RETENTION,
    AuditEntry,
    BlockedRecipient,
    ConversationState,
    Notification,
    NotificationStatus,
    PendingConfirmation,
    ProcessedUpdate,
)
from domain.model.order_imports import ImportStatus, OrderImport
from domain.model.orders import (
    OPEN_ORDER_STATUSES,
    REMINDER_COLUMNS,
    REMINDERS_RECORDED_WITH,
    SHIPPED_STATUSES,
    TO_SHIP_STATUSES,
    TRACKING_PROBLEM_STATUSES,
    BudgetMode,
    BuyerLink,
    ComplianceFinding,
    FindingSeverity,
    Order,
    OrderAction,
    OrderLine,
    OrderSource,
    OrderStatus,
    ReminderKind,
    SellerLogisticsSettings,
    Shipment,
)
from domain.model.return_parts import (
    NewEvidence,
    ReturnCaseEvent,
    ReturnCaseLine,
    ReturnDeadline,
    ReturnEvidence,
    ReturnMessage,
    ReturnMessageCopy,
    ReturnOffer,
    SellerReturnPolicy,
)
from domain.model.returns import TRANSITIONS as RETURN_TRANSITIONS
from domain.model.returns import WITHDRAWABLE as WITHDRAWABLE_RETURNS
from domain.model.returns import ReturnCase
from domain.model.sellers import Seller, TelegramUser
from domain.model.tracking import (
    BuyerLinkRefusal,
    BuyerSubscription,
    NumberToStop,
    ShipmentEvent,
)
from domain.model.warehouses import (
    Capability,
    DocumentKind,
    Warehouse,
    WarehouseAction,
    WarehouseDocument,
    WarehouseKind,
    WarehouseStatus,
)

__all__ = [
    "OPEN_ORDER_STATUSES",
    "PROCESSED_UPDATE_RETENTION",
    "REMINDERS_RECORDED_WITH",
    "REMINDER_COLUMNS",
    "RETURN_TRANSITIONS",
    "SHIPPED_STATUSES",
    "TO_SHIP_STATUSES",
    "TRACKING_PROBLEM_STATUSES",
    "WITHDRAWABLE_RETURNS",
    "AuditEntry",
    "Base",
    "BlockedRecipient",
    "BudgetMode",
    "BuyerLink",
    "BuyerLinkRefusal",
    "BuyerSubscription",
    "Capability",
    "ComplianceFinding",
    "ConversationState",
    "DocumentKind",
    "FindingSeverity",
    "ImportStatus",
    "NewEvidence",
    "Notification",
    "NotificationStatus",
    "NumberToStop",
    "Order",
    "OrderAction",
    "OrderImport",
    "OrderLine",
    "OrderSource",
    "OrderStatus",
    "PendingConfirmation",
    "ProcessedUpdate",
    "ReminderKind",
    "ReturnCase",
    "ReturnCaseEvent",
    "ReturnCaseLine",
    "ReturnDeadline",
    "ReturnEvidence",
    "ReturnMessage",
    "ReturnMessageCopy",
    "ReturnOffer",
    "Seller",
    "SellerLogisticsSettings",
    "SellerReturnPolicy",
    "Shipment",
    "ShipmentEvent",
    "TelegramUser",
    "Warehouse",
    "WarehouseAction",
    "WarehouseDocument",
    "WarehouseKind",
    "WarehouseStatus",
]
