"""aiogram routers, one module per feature. Thin: parse input, call a service, render, answer."""

from __future__ import annotations

from aiogram import F, Router

from handlers import (
    button_stamps,
    common,
    fallback,
    return_case,
    return_closing,
    return_leg,
    return_offer,
    return_transcript,
    returns_relay,
)
from handlers.buyer import links as buyer_links
from handlers.buyer import orders as buyer_orders
from handlers.buyer import return_request
from handlers.buyer import returns as buyer_returns
from handlers.buyer import time_zones as buyer_time_zones
from handlers.operator import compliance, disputes, review
from handlers.operator import outbox as operator_outbox
from handlers.seller import (
    logistics_settings,
    new_order,
    order_import,
    order_redelivery,
    orders,
    registration,
    return_policy,
    returns,
    shipments,
    shipping,
    warehouse_changes,
    warehouse_registration,
    warehouses,
)


def get_routers() -> list[Router]:
    """New routers, in the order they are tried; `/cancel` and commands come before states.

    Each feature module builds its router in `build_router()`, so every call gives a fresh set
    that a new Dispatcher can own (a restart in the sandbox or a test builds another one).
    """
    feature_routers = [
        # A buyer link is a /start with a payload: before common's plain /start.
        buyer_links.build_router(),
        # Commands and menus first, so they work in the middle of a conversation...
        common.build_router(),
        # The buyer's /orders (for non-sellers) before the seller's.
        buyer_orders.build_router(),
        buyer_returns.build_router(),
        buyer_time_zones.build_router(),
        warehouses.build_router(),
        warehouse_changes.build_router(),
        orders.build_router(),
        order_redelivery.build_router(),
        shipping.build_command_router(),
        shipments.build_router(),
        returns.build_router(),
        return_policy.build_command_router(),
        return_case.build_router(),
        return_transcript.build_router(),
        disputes.build_command_router(),
        returns_relay.build_command_router(),
        logistics_settings.build_router(),
        review.build_router(),
        compliance.build_router(),
        operator_outbox.build_router(),
        # ...then the conversations, which take free text in their states, and the answers
        # of the modes kept outside the engine (a reason, a new value, a file awaited).
        registration.build_router(),
        warehouse_registration.build_router(),
        warehouse_changes.build_answers_router(),
        orders.build_answers_router(),
        order_redelivery.build_answers_router(),
        logistics_settings.build_answers_router(),
        review.build_answers_router(),
        new_order.build_router(),
        shipping.build_router(),
        return_request.build_router(),
        return_offer.build_router(),
        return_leg.build_router(),
        return_closing.build_router(),
        return_policy.build_router(),
        disputes.build_router(),
        # What sellers and buyers write in a return case's thread (outside any conversation),
        # before the files and the fallback, which take what it passes on.
        returns_relay.build_router(),
        # Files sent outside any conversation (order imports) come last before the fallback.
        order_import.build_router(),
        fallback.build_router(),
    ]
    private = Router(name="private")
    # The bot talks to sellers, buyers and operators one to one.
    private.message.filter(F.chat.type == "private")
    private.callback_query.filter(F.message.chat.type == "private")
    private.edited_message.filter(F.chat.type == "private")
    # Before any filter unpacks a button's data: a conversation's buttons carry a stamp.
    private.callback_query.outer_middleware(button_stamps.ButtonStamps())
    private.include_routers(*feature_routers)
    return [private]
