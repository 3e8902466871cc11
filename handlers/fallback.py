"""Last resort: anything no other handler took gets a helpful answer instead of silence."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.state import StatesGroup
from aiogram.types import CallbackQuery, Message

from handlers.context import UpdateContext
from handlers.conversations import Conversation, refuse_if_stale
from handlers.engine_conversations import ENGINE_CONVERSATIONS
from handlers.operator.review import ReviewNote
from handlers.seller.logistics_settings import RateCardUpload
from handlers.seller.order_redelivery import RefundCancellation
from handlers.seller.orders import OrderCancellation
from handlers.seller.warehouse_changes import WarehouseChange

# The conversations on the engine, by name.
ON_THE_ENGINE: dict[str, Conversation[Any]] = {
    conversation.name: conversation for conversation in ENGINE_CONVERSATIONS
}
# Each conversation, by the name its pop-up uses to tell the user where they are.
CONVERSATIONS: dict[str, type[StatesGroup]] = {
    **{name: conversation.states for name, conversation in ON_THE_ENGINE.items()},
    "warehouse_change": WarehouseChange,
    "order_cancellation": OrderCancellation,
    "order_refund": RefundCancellation,
    "rate_card_upload": RateCardUpload,
    "review_note": ReviewNote,
}


def conversation_of(state: str | None) -> str | None:
    """Which conversation the user is in, by its FSM state (None outside any)."""
    if state is None:
        return None
    return next((name for name, group in CONVERSATIONS.items() if state in group), None)


async def stale_button(
    query: CallbackQuery, ctx: UpdateContext, button_stamp: str | None = None
) -> None:
    # Old buttons, buttons of a finished conversation, or forged callback data. In the middle
    # of a conversation, say how to go on with it: "Send /start" would only confuse.
    assert query.id
    conversation = conversation_of(await ctx.state.get_state())
    engine = ON_THE_ENGINE.get(conversation or "")
    # A button a conversation drew on an earlier prompt (another step's, another run's): the
    # conversation's current step is asked again, as for its own buttons.
    stamped = engine is not None and button_stamp is not None
    if stamped and await refuse_if_stale(engine, query, ctx, button_stamp):  # type: ignore[arg-type]
        return
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
