"""aiogram routers, one module per feature. Thin: parse input, call a service, render, answer."""

from __future__ import annotations

from aiogram import F, Router

from handlers import common, fallback
from handlers.buyer import links as buyer_links
from handlers.buyer import orders as buyer_orders
from handlers.operator import compliance, review
from handlers.operator import outbox as operator_outbox
from handlers.seller import (
    logistics_settings,
    new_order,
    order_import,
    orders,
    registration,
    shipments,
    shipping,
    warehouse_registration,
    warehouses,
)


def get_routers() -> list[Router]:
    """Every router in the order they are tried; `/cancel` and commands come before states."""
    feature_routers = [
        # A buyer link is a /start with a payload: before common's plain /start.
        buyer_links.router,
        # Commands and menus first, so they work in the middle of a conversation...
        common.router,
        # The buyer's /orders (for non-sellers) before the seller's.
        buyer_orders.router,
        warehouses.router,
        orders.router,
        shipments.router,
        logistics_settings.router,
        review.router,
        compliance.router,
        operator_outbox.router,
        # ...then the conversations, which take free text in their states.
        registration.router,
        warehouse_registration.router,
        new_order.router,
        shipping.router,
        # Files sent outside any conversation (order imports) come last before the fallback.
        order_import.router,
        fallback.router,
    ]
    for router in feature_routers:
        # Module-level routers may be attached to an earlier Dispatcher of this process
        # (a restart in the sandbox or a test); aiogram allows one parent, so release them.
        router._parent_router = None
    private = Router(name="private")
    # The bot talks to sellers, buyers and operators one to one.
    private.message.filter(F.chat.type == "private")
    private.callback_query.filter(F.message.chat.type == "private")
    private.include_routers(*feature_routers)
    return [private]
