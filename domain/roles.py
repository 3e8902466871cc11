"""Who a Telegram user is to the bot: what /start greets them with and what /help explains."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    OPERATOR = "operator"  # listed in the operator ids of the configuration
    SELLER = "seller"  # has registered a store
    BUYER = "buyer"  # follows an order through a seller's buyer link
    GUEST = "guest"  # anyone else
