"""aiogram routers, one module per feature. Thin: parse input, call a service, render, answer."""

from __future__ import annotations

from aiogram import F, Router

from handlers import common, fallback
from handlers.operator import compliance, review
from handlers.seller import (
    logistics_settings,
    new_order,
    order_import,
    orders,
    registration,
    shipping,
    warehouse_registration,
    warehouses,
)


def get_routers() -> list[Router]:
    """Every router in the order they are tried; `/cancel` and commands come before states."""
    feature_routers = [
        # Commands and menus first, so they work in the middle of a conversation...
        common.router,
        warehouses.router,
        orders.router,
        logistics_settings.router,
        review.router,
        compliance.router,
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
