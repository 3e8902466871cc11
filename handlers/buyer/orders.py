"""The buyer's commands and buttons: /orders, /track, /stop, the order card's timeline, mute,
unmute and help. Sellers who also buy see their seller lists under /orders, with a button to
the orders they buy."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from domain.services import buyers
from handlers.buyer.callbacks import BuyerAction, BuyerOrder
from handlers.buyer.views import edit_card, show_card, show_list
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.keyboards import single_button
from handlers.menus import register_presses


async def buyer_only(message: Message, ctx: UpdateContext) -> bool:
    """/orders is the seller lists for sellers (and the "register first" answer for people
    who are neither); a buyer who does not sell gets their purchases."""
    if await ctx.uow.sellers.by_telegram_user(ctx.user_id) is not None:
        return False
    return await buyers.is_buyer(ctx.user_id, ctx.uow)


async def orders_command(message: Message, ctx: UpdateContext) -> None:
    orders, total = await buyers.orders_of_buyer(ctx.user_id, ctx.uow)
    show_list(orders, total, 0, ctx.responder)


async def track_command(message: Message, ctx: UpdateContext) -> None:
    orders, total = await buyers.orders_of_buyer(ctx.user_id, ctx.uow)
    if len(orders) == 1:
        await _timeline(ctx, orders[0].order_id)
        return
    show_list(
        orders, total, 0, ctx.responder, action=BuyerAction.TIMELINE, template="buyer.track_choose"
    )


async def stop_command(message: Message, ctx: UpdateContext) -> None:
    await buyers.stop_all(ctx.user_id, ctx.uow)
    ctx.responder.reply("buyer.stopped")


async def _timeline(ctx: UpdateContext, order_id: int) -> None:
    view, events = await buyers.timeline(ctx.user_id, order_id, ctx.uow)
    ctx.responder.reply(
        "buyer.timeline",
        view=view,
        events=events,
        keyboard=single_button(
            "buyer.back_to_order", BuyerOrder(action=BuyerAction.OPEN, order_id=order_id)
        ),
    )


async def list_pressed(query: CallbackQuery, callback_data: BuyerOrder, ctx: UpdateContext) -> None:
    page = max(callback_data.page, 0)
    orders, total = await buyers.orders_of_buyer(ctx.user_id, ctx.uow, page=page)
    show_list(orders, total, page, ctx.responder)


async def open_pressed(query: CallbackQuery, callback_data: BuyerOrder, ctx: UpdateContext) -> None:
    show_card(await buyers.order_view(ctx.user_id, callback_data.order_id, ctx.uow), ctx.responder)


async def timeline_pressed(
    query: CallbackQuery, callback_data: BuyerOrder, ctx: UpdateContext
) -> None:
    await _timeline(ctx, callback_data.order_id)


async def mute_pressed(query: CallbackQuery, callback_data: BuyerOrder, ctx: UpdateContext) -> None:
    muted = callback_data.action == BuyerAction.MUTE
    view = await buyers.set_muted(ctx.user_id, callback_data.order_id, muted, ctx.uow)
    ctx.responder.answer_callback(
        query.id, "buyer.muted", muted=muted, order_number=view.order_number
    )
    if query.message is not None:
        edit_card(view, query.message.message_id, ctx.responder)


async def help_pressed(query: CallbackQuery, ctx: UpdateContext) -> None:
    ctx.responder.reply("buyer.help")


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(orders_command, any_case_command("orders"), buyer_only)
    router.message.register(track_command, any_case_command("track"))
    router.message.register(stop_command, any_case_command("stop"))
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
