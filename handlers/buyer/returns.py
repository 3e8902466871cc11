"""The buyer's return commands and buttons: /return (a picker of the orders that allow one),
the order card's "Return or exchange" button, both starting the request
(`handlers.buyer.return_request`), and withdrawing an open case from the order card, with a
confirmation."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from domain.services import buyer_returns, return_confirmations, returns
from handlers.buyer import return_request
from handlers.buyer.callbacks import BuyerAction, BuyerCase, BuyerCaseAction, BuyerOrder
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.keyboards import single_button, yes_or_no
from handlers.menus import register_presses
from handlers.responder import Button


async def return_command(message: Message, ctx: UpdateContext) -> None:
    orders = await buyer_returns.returnable_orders(ctx.user_id, ctx.uow)
    if not orders:
        ctx.responder.reply("return_request.no_orders")
    elif len(orders) == 1:
        await return_request.begin(ctx, orders[0].order_id)
    else:
        ctx.responder.reply(
            "return_request.choose_order",
            keyboard=[
                [
                    Button(
                        label="buyer.order_item",
                        params={"number": order.order_number, "store": order.store_name},
                        callback=BuyerOrder(action=BuyerAction.RETURN, order_id=order.order_id),
                    )
                ]
                for order in orders
            ],
        )


async def return_pressed(
    query: CallbackQuery, callback_data: BuyerOrder, ctx: UpdateContext
) -> None:
    # The order id is client input: `buyer_returns.start` checks it is the caller's.
    await return_request.begin(ctx, callback_data.order_id)


async def withdraw_pressed(
    query: CallbackQuery, callback_data: BuyerCase, ctx: UpdateContext
) -> None:
    """Ask before withdrawing: it cannot be undone. The answer carries the question's token,
    so only this question, recently, withdraws."""
    case, token = await return_confirmations.ask_to_withdraw(
        ctx.user_id, callback_data.case_id, ctx.uow
    )
    keyboard = yes_or_no(
        lambda action: BuyerCase(action=action, case_id=case.case_id, token=token),
        yes=("buyer.withdraw_confirm", BuyerCaseAction.CONFIRM_WITHDRAW),
        no=("buyer.withdraw_keep", BuyerCaseAction.KEEP),
    )
    ctx.responder.reply(
        "return_request.confirm_withdraw",
        case=returns.case_number(case.case_id),
        product=case.product,
        keyboard=keyboard,
    )


async def withdraw_confirmed(
    query: CallbackQuery, callback_data: BuyerCase, ctx: UpdateContext
) -> None:
    # The service checks the token, that the case is the caller's and may still be withdrawn.
    case = await return_confirmations.withdraw_on_confirmation(
        ctx.user_id,
        callback_data.case_id,
        callback_data.token,
        ctx.uow,
        ctx.config.return_deadlines,
    )
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply(
        "return_request.withdrawn",
        case=returns.case_number(case.id),
        keyboard=single_button(
            "buyer.back_to_order", BuyerOrder(action=BuyerAction.OPEN, order_id=case.order_id)
        ),
    )


async def withdraw_kept(query: CallbackQuery, callback_data: BuyerCase, ctx: UpdateContext) -> None:
    await return_confirmations.keep(
        ctx.user_id, return_confirmations.WITHDRAW, callback_data.token, ctx.uow
    )
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply("return_request.kept")


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(return_command, any_case_command("return"))
    register_presses(router, BuyerOrder, {BuyerAction.RETURN: return_pressed})
    register_presses(
        router,
        BuyerCase,
        {
            BuyerCaseAction.WITHDRAW: withdraw_pressed,
            BuyerCaseAction.CONFIRM_WITHDRAW: withdraw_confirmed,
            BuyerCaseAction.KEEP: withdraw_kept,
        },
    )
    return router
