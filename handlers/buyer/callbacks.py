"""Typed callback data of the buyer's screens. Ids and enums only; every order id is checked
against the caller's subscriptions on every use."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData


class BuyerAction(enum.StrEnum):
    LIST = "list"
    OPEN = "open"
    TIMELINE = "tl"
    MUTE = "mute"
    UNMUTE = "unmute"
    HELP = "help"


class BuyerOrder(CallbackData, prefix="bo"):
    action: BuyerAction
    order_id: int = 0
    page: int = 0


class TimeZoneChoice(CallbackData, prefix="btz"):
    """A zone offered by /timezone (an IANA name, checked again on use); empty: automatic."""

    zone: str = ""
