"""Typed callback data of the shipping document and logistics settings. Ids and enums only;
every value is untrusted client input and is re-checked against the caller."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData

from handlers.callbacks import FormFields, RecordId


class ShipOrder(CallbackData, prefix="ship"):
    """Start the shipping document of an order (the order card's button)."""

    order_id: RecordId


class ShippingFormAction(enum.StrEnum):
    BACK = "back"
    CANCEL = "cancel"
    EDIT_LINE = "line"
    LINES_DONE = "linesok"
    KEEP_VALUE = "keepval"
    TOGGLE_GOODS = "goods"
    GOODS_DONE = "goodsok"
    WAREHOUSE = "wh"
    METHOD = "method"
    ACK_TRACKING = "acktrk"
    ACK_WARNINGS = "ackwarn"
    CONFIRM = "confirm"


class ShippingForm(CallbackData, FormFields, prefix="shf"):
    action: ShippingFormAction


class RateCardAction(enum.StrEnum):
    RESET = "reset"
    CANCEL = "cancel"


class RateCardForm(CallbackData, prefix="rcf"):
    action: RateCardAction


class SentRateCard(CallbackData, prefix="rcs"):
    """Use as the rate card the file of an order import refused as one (its id, re-checked)."""

    import_id: int
