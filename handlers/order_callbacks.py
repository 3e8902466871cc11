"""Typed callback data of the orders features. Ids and enums only; every value is untrusted
client input: an order id is re-checked against the caller (`owned_order`) on every use."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData

from domain.services.orders import lists
from handlers.callbacks import ConfirmationToken, FormFields, Page, RecordId


class OrderMenuAction(enum.StrEnum):
    LIST = "list"
    VIEW = "view"
    CONFIRM = "ok"
    CANCEL = "cancel"
    KEEP = "keep"
    # The parcel is lost or came back: send the goods again, or cancel and refund.
    SHIP_AGAIN = "again"
    REFUND = "refund"


class OrderMenu(CallbackData, prefix="ordm"):
    action: OrderMenuAction
    order_id: RecordId = 0
    listing: lists.OrderFilter = lists.OrderFilter.AWAITING
    page: Page = 0


class RefundAnswer(enum.StrEnum):
    YES = "yes"
    NO = "no"


class OrderRefund(CallbackData, prefix="ordrf"):
    """An answer to "cancel the order and refund the buyer?": `token` is the question's
    (`domain.services.confirmations`); 0 on the "keep the order" button of the reason's
    prompt, asked before any question."""

    answer: RefundAnswer
    order_id: RecordId
    token: ConfirmationToken = 0


class NewOrderAction(enum.StrEnum):
    BACK = "back"
    CANCEL = "cancel"
    CURRENCY = "cur"
    SKIP = "skip"
    ADD_LINE = "line"
    CHANGE_LINE = "chg"
    REMOVE_LINE = "rm"
    LINES_DONE = "lines"
    IN_DAYS = "days"
    EDIT = "edit"
    CREATE = "create"


class NewOrderForm(CallbackData, FormFields, prefix="nof"):
    action: NewOrderAction
