"""aiogram routers, one module per feature. Thin: parse input, call a service, render, answer."""

from __future__ import annotations

from aiogram import F, Router

from handlers import common, fallback
from handlers.seller import registration


def get_routers() -> list[Router]:
    """Every router in the order they are tried; `/cancel` and commands come before states."""
    private = Router(name="private")
    # The bot talks to sellers, buyers and operators one to one.
    private.message.filter(F.chat.type == "private")
    private.callback_query.filter(F.message.chat.type == "private")
    private.include_routers(common.router, registration.router, fallback.router)
    return [private]
