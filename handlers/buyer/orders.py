"""The buyer's commands and buttons: /orders, /track, /stop, the order card's timeline, mute,
unmute and help. Sellers who also buy see their seller lists under /orders, with a button to
the orders they buy."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, User

from domain.services import buyers
from domain.unit_of_work import UnitOfWork
from handlers.buyer.callbacks import BuyerAction, BuyerOrder
from handlers.buyer.views import edit_card, show_card, show_list
from handlers.menus import register_presses
from handlers.responder import Button, Responder


async def buyer_only(message: Message, event_from_user: User, uow: UnitOfWork) -> bool:
    """/orders is the seller lists for sellers (and the "register first" answer for people
    who are neither); a buyer who does not sell gets their purchases."""
    if await uow.sellers.by_telegram_user(event_from_user.id) is not None:
        return False
    return await buyers.is_buyer(event_from_user.id, uow)


async def orders_command(
    message: Message, event_from_user: User, uow: UnitOfWork, responder: Responder
) -> None:
    orders, total = await buyers.orders_of_buyer(event_from_user.id, uow)
    show_list(orders, total, 0, responder)


async def track_command(
    message: Message, event_from_user: User, uow: UnitOfWork, responder: Responder
) -> None:
    orders, total = await buyers.orders_of_buyer(event_from_user.id, uow)
    if len(orders) == 1:
        await _timeline(event_from_user.id, orders[0].order_id, uow, responder)
        return
    show_list(
        orders, total, 0, responder, action=BuyerAction.TIMELINE, template="buyer.track_choose"
    )


async def stop_command(
    message: Message, event_from_user: User, uow: UnitOfWork, responder: Responder
) -> None:
    await buyers.stop_all(event_from_user.id, uow)
    responder.reply("buyer.stopped")


async def _timeline(user_id: int, order_id: int, uow: UnitOfWork, responder: Responder) -> None:
    view, events = await buyers.timeline(user_id, order_id, uow)
    responder.reply(
        "buyer.timeline",
        view=view,
        events=events,
        keyboard=[
            [
                Button(
                    label="buyer.back_to_order",
                    callback=BuyerOrder(action=BuyerAction.OPEN, order_id=order_id),
                )
            ]
        ],
    )


async def list_pressed(
    query: CallbackQuery,
    callback_data: BuyerOrder,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    page = max(callback_data.page, 0)
    orders, total = await buyers.orders_of_buyer(event_from_user.id, uow, page=page)
    show_list(orders, total, page, responder)


async def open_pressed(
    query: CallbackQuery,
    callback_data: BuyerOrder,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    show_card(await buyers.order_view(event_from_user.id, callback_data.order_id, uow), responder)


async def timeline_pressed(
    query: CallbackQuery,
    callback_data: BuyerOrder,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    await _timeline(event_from_user.id, callback_data.order_id, uow, responder)


async def mute_pressed(
    query: CallbackQuery,
    callback_data: BuyerOrder,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    muted = callback_data.action == BuyerAction.MUTE
    view = await buyers.set_muted(event_from_user.id, callback_data.order_id, muted, uow)
    responder.answer_callback(query.id, "buyer.muted", muted=muted, order_number=view.order_number)
    if query.message is not None:
        edit_card(view, query.message.message_id, responder)


async def help_pressed(query: CallbackQuery, responder: Responder) -> None:
    responder.reply("buyer.help")


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(orders_command, Command("orders"), buyer_only)
    router.message.register(track_command, Command("track"))
    router.message.register(stop_command, Command("stop"))
    register_presses(
        router,
        BuyerOrder,
        {
            BuyerAction.LIST: list_pressed,
            BuyerAction.OPEN: open_pressed,
            BuyerAction.TIMELINE: timeline_pressed,
            BuyerAction.MUTE: mute_pressed,
            BuyerAction.UNMUTE: mute_pressed,
            BuyerAction.HELP: help_pressed,
        },
    )
    return router
