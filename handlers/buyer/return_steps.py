"""The steps of the buyer's return request: what each asks and what its buttons and answers do
(declared in `handlers.buyer.return_request`). The rules are `domain.drafts.ReturnDraft`'s."""

from __future__ import annotations

from typing import Any

from aiogram.types import Message

from domain import record_ids
from domain.drafts import ReturnDraft
from domain.returns.rules import (
    MAX_EVIDENCE_PER_SIDE,
    EvidenceKind,
    Resolution,
    ReturnReason,
    Side,
)
from domain.services import return_notices, returns
from handlers.buyer.callbacks import BuyerAction, BuyerOrder, ReturnForm, ReturnFormAction
from handlers.conversations import FormControls, Turn
from handlers.keyboards import single_button
from handlers.responder import Button, Keyboard

ReturnTurn = Turn[ReturnDraft]
CONTROLS = FormControls.of(ReturnForm)
# Long product names would push the quantity out of the button.
NAME_IN_BUTTON = 32


# ----- items -----


async def ask_items(turn: ReturnTurn, draft: ReturnDraft) -> None:
    buttons: Keyboard = [
        [
            Button(
                label="return_request.line_on"
                if line.line_id in draft.quantities
                else "return_request.line_off",
                params={
                    "name": line.product_name[:NAME_IN_BUTTON],
                    "quantity": draft.quantities.get(line.line_id, 0),
                    "max": line.available,
                },
                callback=CONTROLS.data(ReturnFormAction.LINE, str(line.line_id)),
            )
        ]
        for line in draft.lines
        if line.available > 0
    ]
    done = Button(
        label="return_request.items_done", callback=CONTROLS.data(ReturnFormAction.ITEMS_DONE)
    )
    turn.ctx.responder.reply(
        "return_request.ask_items",
        order_number=draft.order_number,
        lines=[
            {
                "name": line.product_name,
                "chosen": draft.quantities.get(line.line_id, 0),
                "available": line.available,
            }
            for line in draft.lines
        ],
        window_closed=draft.window_closed,
        keyboard=[*buttons, [done], turn.navigation],
    )


async def line_pressed(turn: ReturnTurn, draft: ReturnDraft, callback_data: ReturnForm) -> None:
    # The id is client input: only the request's own lines, with something left, are taken.
    line = draft.line(record_ids.parse_record_id(callback_data.value))
    if line.available == 1:
        await turn.stay(draft.toggle_line(line.line_id))
        return
    await turn.ask_follow_up(
        draft,
        "line",
        line.line_id,
        "return_request.ask_quantity",
        name=line.product_name,
        max=line.available,
    )


async def quantity_typed(turn: ReturnTurn, draft: ReturnDraft, text: str) -> None:
    await turn.follow_up("line", lambda line_id: draft.with_quantity(int(line_id), text))


async def items_done(turn: ReturnTurn, draft: ReturnDraft, callback_data: Any) -> None:
    await turn.advance(draft.finish_items())


# ----- reason and comment -----


def reasons(turn: ReturnTurn, draft: ReturnDraft) -> Keyboard:
    return CONTROLS.choices(ReturnFormAction.REASON, ReturnReason, "return_reason.", per_row=2)


async def reason_chosen(turn: ReturnTurn, draft: ReturnDraft, callback_data: ReturnForm) -> None:
    await turn.advance(draft.with_reason(callback_data.value))


async def comment_skipped(turn: ReturnTurn, draft: ReturnDraft, callback_data: Any) -> None:
    await turn.advance(draft.without_comment())


# ----- evidence -----


def _evidence_keyboard(turn: ReturnTurn) -> Keyboard:
    done = Button(
        label="return_request.evidence_done", callback=CONTROLS.data(ReturnFormAction.EVIDENCE_DONE)
    )
    return [[done], turn.navigation]


async def ask_evidence(turn: ReturnTurn, draft: ReturnDraft) -> None:
    turn.ctx.responder.reply(
        "return_request.ask_evidence",
        count=len(draft.evidence),
        max=MAX_EVIDENCE_PER_SIDE,
        required=draft.needs_evidence,
        keyboard=_evidence_keyboard(turn),
    )


async def evidence_received(turn: ReturnTurn, draft: ReturnDraft, message: Message) -> None:
    """A photo or a video: added to the request (an album arrives as one message per file)."""
    if message.photo:
        biggest = message.photo[-1]
        draft = draft.with_evidence(EvidenceKind.PHOTO, biggest.file_id, biggest.file_unique_id)
    else:
        assert message.video is not None
        video = message.video
        draft = draft.with_evidence(
            EvidenceKind.VIDEO, video.file_id, video.file_unique_id, seconds=video.duration
        )
    await turn.save(draft)
    turn.ctx.responder.reply(
        "return_request.evidence_received",
        count=len(draft.evidence),
        max=MAX_EVIDENCE_PER_SIDE,
        keyboard=_evidence_keyboard(turn),
    )


async def evidence_done(turn: ReturnTurn, draft: ReturnDraft, callback_data: Any) -> None:
    await turn.advance(draft.finish_evidence())


# ----- resolution and amount -----


def resolutions(turn: ReturnTurn, draft: ReturnDraft) -> Keyboard:
    return CONTROLS.choices(ReturnFormAction.RESOLUTION, Resolution, "return_request.want_")


async def resolution_chosen(
    turn: ReturnTurn, draft: ReturnDraft, callback_data: ReturnForm
) -> None:
    await turn.advance(draft.with_resolution(callback_data.value))


async def amount_applies(turn: ReturnTurn, draft: ReturnDraft) -> bool:
    return draft.amount_applies


# ----- summary -----


async def ask_summary(turn: ReturnTurn, draft: ReturnDraft) -> None:
    def edit(target: str) -> Button:
        return Button(
            label=f"return_request.edit_{target}",
            callback=CONTROLS.data(ReturnFormAction.EDIT, target),
        )

    turn.ctx.responder.reply(
        "return_request.summary",
        order_number=draft.order_number,
        items=[(line.product_name, quantity) for line, quantity in draft.chosen],
        reason=draft.reason.value if draft.reason else "other",
        comment=draft.comment,
        evidence=len(draft.evidence),
        resolution=draft.resolution.value if draft.resolution else "refund_full",
        amount=draft.amount,
        paid=draft.paid,
        currency=draft.currency,
        out_of_policy=[reason.value for reason in draft.out_of_policy()],
        keyboard=[
            [
                Button(
                    label="return_request.submit", callback=CONTROLS.data(ReturnFormAction.SUBMIT)
                )
            ],
            [edit("items"), edit("reason")],
            [edit("evidence"), edit("resolution")],
            turn.navigation,
        ],
    )


async def submit(turn: ReturnTurn, draft: ReturnDraft, callback_data: Any) -> None:
    """Open the case; the service checks the order, the lines and the policy once more."""
    case = await returns.open_case(
        draft.command(turn.ctx.user_id), turn.ctx.uow, turn.ctx.config.return_deadlines
    )
    await turn.finish()
    turn.ctx.responder.reply(
        "return_request.opened",
        case=returns.case_number(case.id),
        order_number=draft.order_number,
        out_of_policy=list(case.out_of_policy),
        answer_by=case.open_offer.respond_by if case.open_offer else case.opened_at,
        time_zone=await return_notices.zone_of(case, Side.BUYER, turn.ctx.uow),
        keyboard=single_button(
            "buyer.back_to_order", BuyerOrder(action=BuyerAction.OPEN, order_id=draft.order_id)
        ),
    )
