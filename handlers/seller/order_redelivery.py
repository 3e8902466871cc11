"""A parcel that will not reach the buyer (lost, or back at the seller's): the order card's and
the tracking alert's "Ship again" and "Cancel and refund" buttons.

"Ship again" acts at once, unasked: it ends no way out (the order waits for a new shipping
document, filled in now or from /orders, and may still be cancelled and refunded). "Cancel and refund" asks for a reason, then
asks to confirm with the reason shown; the confirming button carries the question's one-time
token. Every order id is client input, checked against the caller by the service; a button of
an order that moved on since (the parcel turned up, the seller already chose) is refused there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram import F, Router
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from domain.model import OrderAction
from domain.services import tracking_notices
from domain.services.orders import lifecycle, lists, redelivery
from handlers.context import UpdateContext
from handlers.conversations import text_answer_router
from handlers.keyboards import single_button, yes_or_no
from handlers.menus import register_presses
from handlers.order_callbacks import OrderMenu, OrderMenuAction, OrderRefund, RefundAnswer
from handlers.responder import Button, Keyboard
from handlers.seller import orders
from handlers.shipping_callbacks import ShipOrder


class RefundCancellation(StatesGroup):
    reason = State()
    # The reason was given; the question waits for its "yes" (a text sent now is a new reason).
    confirm = State()


def notice_keyboard(params: Mapping[str, Any]) -> Keyboard:
    """The buttons stored with a tracking alert about a lost or returned parcel
    (`tracking_notices.order_notice_buttons`), made the order card's own presses."""
    stored = params.get(tracking_notices.ORDER_BUTTONS)
    if not isinstance(stored, dict):
        return []  # any other alert, or one queued before alerts carried these buttons
    buttons = orders.card_buttons(int(stored["order_id"]))
    offered = set(tracking_notices.UNDELIVERABLE_ACTIONS)
    return [[buttons[OrderAction(a)] for a in stored["actions"] if a in offered]]


async def _leave_refund(ctx: UpdateContext, order_id: int) -> None:
    """Forget an unanswered cancel-and-refund of `order_id` (another order's stays asked)."""
    if await ctx.state.get_state() not in (
        RefundCancellation.reason.state,
        RefundCancellation.confirm.state,
    ):
        return
    if (await ctx.state.get_data()).get("order_id") == order_id:
        await ctx.state.clear()


# ----- ship again -----


async def ship_again_pressed(
    query: CallbackQuery, callback_data: OrderMenu, ctx: UpdateContext
) -> None:
    order, buyer_told = await redelivery.ship_again(ctx.user_id, callback_data.order_id, ctx.uow)
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply(
        "orders.shipping_again",
        number=order.number,
        buyer_told=buyer_told,
        keyboard=[
            [Button(label="shipping.start", callback=ShipOrder(order_id=order.id))],
            [
                Button(
                    label="orders.open",
                    callback=OrderMenu(
                        action=OrderMenuAction.VIEW,
                        order_id=order.id,
                        listing=lists.OrderFilter.TO_SHIP,
                    ),
                )
            ],
        ],
    )


# ----- cancel and refund -----


async def refund_pressed(
    query: CallbackQuery, callback_data: OrderMenu, ctx: UpdateContext
) -> None:
    # Asking for a reason first would only end in the same refusal.
    order = await lifecycle.order_for(
        ctx.user_id, callback_data.order_id, OrderAction.CANCEL_AND_REFUND, ctx.uow
    )
    await ctx.state.set_state(RefundCancellation.reason)
    await ctx.state.set_data({"order_id": order.id})
    ctx.responder.reply(
        "orders.ask_refund_reason",
        number=order.number,
        keyboard=single_button(
            "orders.keep", OrderRefund(answer=RefundAnswer.NO, order_id=order.id)
        ),
    )


async def refund_reason(message: Message, ctx: UpdateContext) -> None:
    """The reason (or, while the question waits, a new one): ask to confirm, showing it."""
    assert message.text is not None
    data = await ctx.state.get_data()
    order, reason, token = await redelivery.ask_to_cancel_and_refund(
        ctx.user_id, data["order_id"], message.text, ctx.uow
    )
    await ctx.state.set_state(RefundCancellation.confirm)
    await ctx.state.set_data({"order_id": order.id, "reason": reason})
    ctx.responder.reply(
        "orders.confirm_refund",
        number=order.number,
        reason=reason,
        keyboard=yes_or_no(
            lambda answer: OrderRefund(answer=answer, order_id=order.id, token=token),
            yes=("orders.refund_confirm", RefundAnswer.YES),
            no=("orders.keep", RefundAnswer.NO),
        ),
    )


async def refund_confirmed(
    query: CallbackQuery, callback_data: OrderRefund, ctx: UpdateContext
) -> None:
    data = await ctx.state.get_data()
    # The reason the question showed; none if the seller left it (then the "yes" is stale).
    reason = data.get("reason") if data.get("order_id") == callback_data.order_id else None
    order, buyer_told = await redelivery.cancel_and_refund(
        ctx.user_id, callback_data.order_id, reason, callback_data.token, ctx.uow
    )
    await ctx.state.clear()
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply(
        "orders.cancelled_refunded",
        number=order.number,
        reason=order.cancel_reason or "",
        buyer_told=buyer_told,
        keyboard=single_button("orders.back_to_list", OrderMenu(action=OrderMenuAction.LIST)),
    )


async def refund_kept(query: CallbackQuery, callback_data: OrderRefund, ctx: UpdateContext) -> None:
    order = await lifecycle.owned_order(ctx.user_id, callback_data.order_id, ctx.uow)
    await redelivery.keep(ctx.user_id, callback_data.token, ctx.uow)
    await _leave_refund(ctx, order.id)
    ctx.responder.remove_pressed_buttons(query)
    orders.show_card(ctx, order)


def build_router() -> Router:
    """The buttons, tried with the other order buttons, before any conversation."""
    router = Router(name=__name__)
    register_presses(
        router,
        OrderMenu,
        {OrderMenuAction.SHIP_AGAIN: ship_again_pressed, OrderMenuAction.REFUND: refund_pressed},
    )
    register_presses(
        router,
        OrderRefund,
        {RefundAnswer.YES: refund_confirmed, RefundAnswer.NO: refund_kept},
        field="answer",
    )
    return router


def build_answers_router() -> Router:
    """The reason typed for a cancel-and-refund (a new one while the question waits)."""
    router = text_answer_router(__name__, RefundCancellation.reason, refund_reason)
    router.message.register(refund_reason, RefundCancellation.confirm, F.text)
    return router
