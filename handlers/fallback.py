"""Last resort: anything no other handler took gets a helpful answer instead of silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.state import StatesGroup
from aiogram.types import CallbackQuery, Message

from handlers import return_closing, return_leg, return_offer
from handlers.buyer import return_request
from handlers.context import UpdateContext
from handlers.operator import disputes
from handlers.operator.review import ReviewNote
from handlers.seller import (
    new_order,
    registration,
    return_policy,
    shipping,
    warehouse_registration,
)
from handlers.seller.logistics_settings import RateCardUpload
from handlers.seller.order_redelivery import RefundCancellation
from handlers.seller.orders import OrderCancellation
from handlers.seller.warehouse_changes import WarehouseChange

# Each conversation, by the name its pop-up uses to tell the user where they are.
CONVERSATIONS: dict[str, type[StatesGroup]] = {
    registration.CONVERSATION.name: registration.CONVERSATION.states,
    warehouse_registration.CONVERSATION.name: warehouse_registration.CONVERSATION.states,
    "warehouse_change": WarehouseChange,
    new_order.CONVERSATION.name: new_order.CONVERSATION.states,
    "order_cancellation": OrderCancellation,
    "order_refund": RefundCancellation,
    shipping.CONVERSATION.name: shipping.CONVERSATION.states,
    "rate_card_upload": RateCardUpload,
    "review_note": ReviewNote,
    return_request.CONVERSATION.name: return_request.CONVERSATION.states,
    return_offer.CONVERSATION.name: return_offer.CONVERSATION.states,
    **{leg.name: leg.states for leg in return_leg.CONVERSATIONS},
    **{step.name: step.states for step in return_closing.CONVERSATIONS},
    return_policy.CONVERSATION.name: return_policy.CONVERSATION.states,
    disputes.CONVERSATION.name: disputes.CONVERSATION.states,
}


def conversation_of(state: str | None) -> str | None:
    """Which conversation the user is in, by its FSM state (None outside any)."""
    if state is None:
        return None
    return next((name for name, group in CONVERSATIONS.items() if state in group), None)


async def stale_button(query: CallbackQuery, ctx: UpdateContext) -> None:
    # Old buttons, buttons of a finished conversation, or forged callback data. In the middle
    # of a conversation, say how to go on with it: "Send /start" would only confuse.
    assert query.id
    conversation = conversation_of(await ctx.state.get_state())
    if conversation is None:
        ctx.responder.answer_callback(query.id, "errors.stale_button", alert=True)
    else:
        ctx.responder.answer_callback(
            query.id, "errors.stale_button_in_conversation", alert=True, conversation=conversation
        )


async def not_understood(message: Message, ctx: UpdateContext) -> None:
    ctx.responder.reply("common.not_understood")


async def file_not_expected(message: Message, ctx: UpdateContext) -> None:
    """A document outside every conversation that is not an order file: a seller hears where
    files go, anyone else where a return's files go."""
    seller = await ctx.uow.sellers.by_telegram_user(ctx.user_id)
    ctx.responder.reply("common.file_not_expected", seller=seller is not None)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.callback_query.register(stale_button)
    router.message.register(file_not_expected, StateFilter(None), F.document)
    router.message.register(not_understood)
    return router
