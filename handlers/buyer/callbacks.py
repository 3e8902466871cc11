"""Typed callback data of the buyer's screens. Ids and enums only; every order id is checked
against the caller's subscriptions on every use."""

from __future__ import annotations

import enum
from typing import Self

from aiogram.filters.callback_data import CallbackData

from handlers.callbacks import ConfirmationToken, FormFields, Page, RecordId, with_last_field_zero


class BuyerAction(enum.StrEnum):
    LIST = "list"
    OPEN = "open"
    TIMELINE = "tl"
    MUTE = "mute"
    UNMUTE = "unmute"
    HELP = "help"
    RETURN = "ret"  # start a return request about the order


class BuyerOrder(CallbackData, prefix="bo"):
    action: BuyerAction
    order_id: RecordId = 0
    page: Page = 0


class TimeZoneChoice(CallbackData, prefix="btz"):
    """A zone offered by /timezone (an IANA name, checked again on use); empty: automatic."""

    zone: str = ""


class ReturnFormAction(enum.StrEnum):
    """The buttons of the buyer's return request (`handlers.buyer.return_request`)."""

    BACK = "back"
    CANCEL = "cancel"
    EDIT = "edit"
    LINE = "line"  # value: an order line id, checked against the request's own lines
    ITEMS_DONE = "items"
    REASON = "reason"  # value: a ReturnReason
    SKIP_COMMENT = "nocom"
    EVIDENCE_DONE = "ev"
    RESOLUTION = "res"  # value: a Resolution
    SUBMIT = "send"


class ReturnForm(CallbackData, FormFields, prefix="rtb"):
    action: ReturnFormAction


class BuyerCaseAction(enum.StrEnum):
    WITHDRAW = "wd"  # asks to confirm
    CONFIRM_WITHDRAW = "wdy"
    KEEP = "keep"


class BuyerCase(CallbackData, prefix="bcs"):
    """A button about one of the buyer's return cases; the case id is checked on every use."""

    action: BuyerCaseAction
    case_id: RecordId
    token: ConfirmationToken = 0  # withdrawing's confirmation

    @classmethod
    def unpack(cls, value: str) -> Self:
        return super().unpack(with_last_field_zero(cls, value))
