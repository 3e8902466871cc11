"""The shipping document conversation: lines to ship -> declared value -> weight -> dimensions
-> goods characteristics -> warehouse -> logistics comparison and method -> carrier -> tracking
number -> parcel photo (above the configured order value) -> summary with compliance findings
-> confirm -> the printable PDF and the buyer's link.

Started from the order card's button (`ShipOrder`) or with `/ship <order number>`, and declared
on the conversation engine (`handlers.conversations`), so Back, Cancel, a restart and /start
work as in every conversation. The draft is `domain.drafts.ShippingDraft` (which steps apply);
every answer is checked by `domain.services.shipping` (steps, confirming).
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import CommandObject
from aiogram.types import Message

from domain.drafts import ShippingDraft
from domain.services.shipping import steps
from handlers.command_filters import any_case_command
from handlers.conversations import Conversation, Expect, Step, Turn, conversation_router
from handlers.conversations.routing import entry
from handlers.seller import shipping_steps, shipping_summary
from handlers.seller.shipping_steps import CONTROLS
from handlers.shipping_callbacks import ShipOrder, ShippingFormAction


def _text_step(name: str, parse: Any, **more: Any) -> Step[ShippingDraft]:
    return Step(name, prompt=f"shipping.ask_{name}", parse=parse, **more)


CONVERSATION: Conversation[ShippingDraft] = Conversation(
    name="shipping_document",
    state_group="ShippingDocumentForm",
    draft=ShippingDraft.from_data,
    controls=CONTROLS,
    steps=[
        Step(
            "lines",
            ask=shipping_steps.ask_lines,
            on_text=shipping_steps.line_quantity,
            presses=[
                CONTROLS.press(ShippingFormAction.EDIT_LINE, shipping_steps.line_chosen),
                CONTROLS.press(ShippingFormAction.LINES_DONE, shipping_steps.lines_done),
            ],
            expects=Expect.BUTTONS,
        ),
        Step(
            "declared_value",
            prompt="shipping.ask_declared_value",
            params=shipping_steps.declared_value_params,
            on_text=shipping_steps.declared_value_typed,
            keyboard=shipping_steps.keep_value,
            presses=[CONTROLS.press(ShippingFormAction.KEEP_VALUE, shipping_steps.keep_going)],
        ),
        _text_step("weight", steps.set_weight),
        _text_step("dimensions", steps.set_dimensions),
        Step(
            "goods",
            prompt="shipping.ask_goods",
            keyboard=shipping_steps.goods,
            presses=[
                CONTROLS.press(ShippingFormAction.TOGGLE_GOODS, shipping_steps.goods_toggled),
                CONTROLS.press(ShippingFormAction.GOODS_DONE, shipping_steps.keep_going),
            ],
        ),
        Step(
            "warehouse",
            ask=shipping_steps.ask_warehouse,
            presses=[CONTROLS.press(ShippingFormAction.WAREHOUSE, shipping_steps.warehouse_chosen)],
        ),
        Step(
            "method",
            ask=shipping_steps.ask_method,
            presses=[CONTROLS.press(ShippingFormAction.METHOD, shipping_steps.method_chosen)],
        ),
        _text_step("carrier", steps.set_carrier),
        Step(
            "tracking",
            prompt="shipping.ask_tracking",
            on_text=shipping_steps.tracking_typed,
            presses=[
                CONTROLS.press(
                    ShippingFormAction.ACK_TRACKING, shipping_steps.tracking_acknowledged
                )
            ],
        ),
        Step(
            "photo",
            ask=shipping_steps.ask_photo,
            applies=shipping_steps.photo_applies,
            on_file=shipping_steps.photo_received,
            file_filter=F.photo,
            reminder="shipping.expecting_photo",
        ),
        Step(
            "summary",
            ask=shipping_summary.ask_summary,
            presses=[
                CONTROLS.press(
                    {ShippingFormAction.CONFIRM, ShippingFormAction.ACK_WARNINGS},
                    shipping_summary.confirm,
                )
            ],
        ),
    ],
)


async def _draft_of_card(turn: Turn[ShippingDraft], callback_data: ShipOrder) -> ShippingDraft:
    return await steps.start_document(turn.ctx.user_id, callback_data.order_id, turn.ctx.uow)


async def _draft_of_command(turn: Turn[ShippingDraft], message: Message) -> ShippingDraft:
    command: CommandObject = turn.extra["command"]
    return await steps.start_document_by_number(turn.ctx.user_id, command.args or "", turn.ctx.uow)


# The order card's "Ship" button, and /ship <order number>.
start_from_card = entry(CONVERSATION, _draft_of_card)
start_from_command = entry(CONVERSATION, _draft_of_command)


def build_command_router() -> Router:
    """/ship and the card's button: tried with the other commands, before any conversation's
    steps, so /ship works in the middle of another conversation."""
    router = Router(name=f"{__name__}.commands")
    router.callback_query.register(start_from_card, ShipOrder.filter())
    router.message.register(start_from_command, any_case_command("ship"))
    return router


def build_router() -> Router:
    """The conversation's steps, among the other conversations."""
    return conversation_router(__name__, CONVERSATION)
