"""The buyer asks for a return or an exchange: from the order card's button or /return (a
picker of the orders that allow one), items and quantities -> reason -> comment (optional) ->
photos or a short video -> the resolution wanted -> the amount (partial refunds) -> summary
(edit any part) -> the case is opened and the seller alerted.

Declared on the conversation engine (`handlers.conversations`); the steps are in
`handlers.buyer.return_steps`, the rules on `domain.drafts.ReturnDraft`. Nothing is stored
before the summary is sent: the case is opened in the transaction that ends the conversation.
"""

from __future__ import annotations

from aiogram import F, Router

from domain.drafts import ReturnDraft
from domain.services import buyer_returns
from handlers.buyer import return_steps as steps
from handlers.buyer.callbacks import ReturnFormAction
from handlers.buyer.return_steps import CONTROLS
from handlers.context import UpdateContext
from handlers.conversations import Conversation, Expect, Step, Turn, conversation_router

CONVERSATION: Conversation[ReturnDraft] = Conversation(
    name="return_request",
    state_group="ReturnRequestConversation",
    draft=ReturnDraft.from_data,
    controls=CONTROLS,
    edits={
        # Other items change what was paid: the resolution and its amount are asked again.
        "items": ["items", "resolution", "amount"],
        # Another reason may need a photo it did not: the evidence step comes again.
        "reason": ["reason", "comment", "evidence"],
        "evidence": ["evidence"],
        "resolution": ["resolution", "amount"],
    },
    on_edit=ReturnDraft.for_edit,
    steps=[
        Step(
            "items",
            ask=steps.ask_items,
            on_text=steps.quantity_typed,
            presses=[
                CONTROLS.press(ReturnFormAction.LINE, steps.line_pressed),
                CONTROLS.press(ReturnFormAction.ITEMS_DONE, steps.items_done),
            ],
            expects=Expect.BUTTONS,
        ),
        Step(
            "reason",
            prompt="return_request.ask_reason",
            keyboard=steps.reasons,
            presses=[CONTROLS.press(ReturnFormAction.REASON, steps.reason_chosen)],
        ),
        Step(
            "comment",
            prompt="return_request.ask_comment",
            parse=ReturnDraft.with_comment,
            **CONTROLS.offer(
                "return_request.skip_comment", ReturnFormAction.SKIP_COMMENT, steps.comment_skipped
            ),
        ),
        Step(
            "evidence",
            ask=steps.ask_evidence,
            on_file=steps.evidence_received,
            file_filter=F.photo | F.video,
            presses=[CONTROLS.press(ReturnFormAction.EVIDENCE_DONE, steps.evidence_done)],
            reminder="return_request.evidence_reminder",
        ),
        Step(
            "resolution",
            prompt="return_request.ask_resolution",
            params=lambda turn, draft: {"paid": draft.paid, "currency": draft.currency},
            keyboard=steps.resolutions,
            presses=[CONTROLS.press(ReturnFormAction.RESOLUTION, steps.resolution_chosen)],
        ),
        Step(
            "amount",
            prompt="return_request.ask_amount",
            params=lambda turn, draft: {"paid": draft.paid, "currency": draft.currency},
            parse=ReturnDraft.with_amount,
            applies=steps.amount_applies,
        ),
        Step(
            "summary",
            ask=steps.ask_summary,
            presses=[CONTROLS.press(ReturnFormAction.SUBMIT, steps.submit)],
        ),
    ],
)


async def begin(ctx: UpdateContext, order_id: int) -> None:
    """Start the request about one of the buyer's orders (checked: theirs, and returnable)."""
    start = await buyer_returns.start(ctx.user_id, order_id, ctx.uow)
    await Turn(CONVERSATION, ctx).begin(ReturnDraft.start(start))


def build_router() -> Router:
    """A new router with the conversation's handlers (its entries are in
    `handlers.buyer.returns`, with the commands)."""
    return conversation_router(__name__, CONVERSATION)
