"""Issuing the buyer's deep link for an order; only the token's hash is stored. The rules of
opening one are in `domain.buyer_links` and `domain.services.buyers`."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from domain.model import BuyerLink, Order
from domain.unit_of_work import UnitOfWork

BUYER_LINK_TTL = timedelta(days=120)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


async def issue_buyer_link(order: Order, uow: UnitOfWork) -> str:
    """A fresh single-use token for the buyer's deep link (192 bits, 32 characters of
    A-Za-z0-9_-, fits Telegram's 64-character start parameter). Only its hash is stored;
    unused older links of the order stop working."""
    now = uow.now()
    await uow.orders.revoke_buyer_links(order.id, now)
    token = secrets.token_urlsafe(24)
    uow.orders.add_buyer_link(
        BuyerLink(
            order_id=order.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + BUYER_LINK_TTL,
        )
    )
    await uow.flush()
    return token
