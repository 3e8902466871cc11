"""Typed callback data of the seller's shipments and operators' outbox. Ids and enums only;
every id is re-checked against the caller on every use."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData

from domain.services import shipments
from handlers.callbacks import Page, RecordId


class ShipmentAction(enum.StrEnum):
    LIST = "list"
    VIEW = "view"
    OF_ORDER = "order"
    NEW_LINK = "link"


class ShipmentMenu(CallbackData, prefix="shm"):
    action: ShipmentAction
    shipment_id: RecordId = 0
    order_id: RecordId = 0
    listing: shipments.ShipmentFilter = shipments.ShipmentFilter.MOVING
    page: Page = 0


class OutboxAction(CallbackData, prefix="obx"):
    retry_all: bool = True
