"""The return leg, from the case card: the buyer enters the return tracking number (checked
like any other, check digits included; again to correct it), the seller confirms receipt with
an inspection note and optional photos, then records the refund (amount, reference) and the
case is resolved. Each side is told through the outbox (`domain.services.return_notices`).

Three small conversations on the engine over `domain.drafts.ReturnLegDraft`; each starts only
when the case allows the caller's side that action, and the service checks it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.types import Message

from domain.drafts import ReturnLegDraft
from domain.model import ReturnCase
from domain.returns.rules import MAX_EVIDENCE_PER_SIDE, Action, Side
from domain.services import return_offers, returns
from handlers.conversations import Conversation, FormControls, Step, Turn, entry, register
from handlers.keyboards import single_button
from handlers.responder import Keyboard
from handlers.return_callbacks import CaseAct, CaseButton, LegForm, LegFormAction

LegTurn = Turn[ReturnLegDraft]
CONTROLS = FormControls.of(LegForm)


def case_button(case_id: int, side: Side) -> Keyboard:
    back = CaseAct(action=CaseButton.OPEN, case_id=case_id, side=side)
    return single_button("return_offer.back_to_case", back)


async def finish_with_case(
    turn: Turn[Any], template: str, case_id: int, side: Side, **params: Any
) -> None:
    """End the form and say `template`, with a button back to the case's card."""
    await turn.finish()
    turn.ctx.responder.reply(
        template,
        case=returns.case_number(case_id),
        keyboard=case_button(case_id, side),
        **params,
    )


# A return leg's service: (caller, case id, the form's answers..., unit of work, deadline rules).
CaseService = Callable[..., Awaitable[ReturnCase]]


async def act_on_case(
    turn: Turn[ReturnLegDraft], draft: ReturnLegDraft, service: CaseService, *answers: Any
) -> ReturnCase:
    """Hand the form's `answers` about its case to `service`, as the caller."""
    ctx = turn.ctx
    return await service(ctx.user_id, draft.case_id, *answers, ctx.uow, ctx.config.return_deadlines)


def case_param(turn: Turn[ReturnLegDraft], draft: ReturnLegDraft) -> dict[str, Any]:
    """The case's number, which every form's question names."""
    return {"case": returns.case_number(draft.case_id)}


def ask_summary(
    turn: LegTurn, draft: ReturnLegDraft, template: str, submit: str, **params: Any
) -> None:
    """A form's summary: `template` about the case, then `submit` and the navigation."""
    turn.ctx.responder.reply(
        template,
        **case_param(turn, draft),
        **params,
        keyboard=[*CONTROLS.single_button(submit, LegFormAction.SUBMIT), turn.navigation],
    )


def leg_form(
    name: str, state_group: str, *steps: Step[ReturnLegDraft]
) -> Conversation[ReturnLegDraft]:
    """A conversation over the case's `ReturnLegDraft`, on the forms' shared buttons."""
    return Conversation(
        name=name,
        state_group=state_group,
        draft=ReturnLegDraft.from_data,
        controls=CONTROLS,
        steps=steps,
    )


# ----- the buyer's return tracking number -----


async def tracking_typed(turn: LegTurn, draft: ReturnLegDraft, text: str) -> None:
    case = await act_on_case(turn, draft, returns.record_return_tracking, text, None)
    await finish_with_case(
        turn,
        "return_leg.tracking_saved",
        case.id,
        Side.BUYER,
        tracking_number=case.return_tracking_number,
    )


TRACKING = leg_form(
    "return_tracking",
    "ReturnTrackingConversation",
    Step("number", prompt="return_leg.ask_tracking", params=case_param, on_text=tracking_typed),
)

# ----- the seller's receipt -----


async def note_skipped(turn: LegTurn, draft: ReturnLegDraft, data: Any) -> None:
    await turn.advance(draft.without_note())


async def ask_photos(turn: LegTurn, draft: ReturnLegDraft) -> None:
    turn.ctx.responder.reply(
        "return_leg.ask_photos",
        count=len(draft.photos),
        max=MAX_EVIDENCE_PER_SIDE,
        keyboard=[
            *CONTROLS.single_button("return_request.evidence_done", LegFormAction.PHOTOS_DONE),
            turn.navigation,
        ],
    )


async def photo_received(turn: LegTurn, draft: ReturnLegDraft, message: Message) -> None:
    assert message.photo
    biggest = message.photo[-1]
    await turn.stay(draft.with_photo(biggest.file_id, biggest.file_unique_id))


async def photos_done(turn: LegTurn, draft: ReturnLegDraft, data: Any) -> None:
    await turn.advance(draft)


async def ask_receipt_summary(turn: LegTurn, draft: ReturnLegDraft) -> None:
    ask_summary(
        turn,
        draft,
        "return_leg.receipt_summary",
        "return_leg.confirm_receipt",
        note=draft.note,
        photos=len(draft.photos),
    )


async def receipt_submitted(turn: LegTurn, draft: ReturnLegDraft, data: Any) -> None:
    case = await act_on_case(turn, draft, returns.confirm_receipt, draft.note, draft.evidence)
    # The next step is the case's: an exchange is resolved (the replacement ships), else refunded.
    resolve = Action.RESOLVE in case.allowed_actions(Side.SELLER)
    await finish_with_case(turn, "return_leg.received", case.id, Side.SELLER, resolve=resolve)


RECEIPT = leg_form(
    "return_receipt",
    "ReturnReceiptConversation",
    Step(
        "note",
        prompt="return_leg.ask_note",
        params=case_param,
        parse=ReturnLegDraft.with_note,
        **CONTROLS.offer("return_request.skip_comment", LegFormAction.SKIP, note_skipped),
    ),
    Step(
        "photos",
        ask=ask_photos,
        on_file=photo_received,
        file_filter=F.photo,
        presses=[CONTROLS.press(LegFormAction.PHOTOS_DONE, photos_done)],
        reminder="return_request.evidence_reminder",
    ),
    Step(
        "summary",
        ask=ask_receipt_summary,
        presses=[CONTROLS.press(LegFormAction.SUBMIT, receipt_submitted)],
    ),
)

# ----- the seller's refund -----


def agreed_amount(turn: LegTurn, draft: ReturnLegDraft) -> Keyboard:
    if draft.agreed is None:
        return []
    renderer, locale = turn.ctx.responder.renderer, turn.ctx.responder.locale
    amount = renderer.money(draft.agreed, draft.currency, locale)
    return CONTROLS.single_button(
        "return_leg.agreed_amount", LegFormAction.AGREED_AMOUNT, amount=amount
    )


async def agreed_chosen(turn: LegTurn, draft: ReturnLegDraft, data: Any) -> None:
    await turn.advance(draft.with_agreed_amount())


async def reference_skipped(turn: LegTurn, draft: ReturnLegDraft, data: Any) -> None:
    await turn.advance(draft.without_reference())


async def ask_refund_summary(turn: LegTurn, draft: ReturnLegDraft) -> None:
    ask_summary(
        turn,
        draft,
        "return_leg.refund_summary",
        "return_leg.record_refund",
        amount=draft.amount,
        currency=draft.currency,
        reference=draft.reference,
    )


async def refund_submitted(turn: LegTurn, draft: ReturnLegDraft, data: Any) -> None:
    case = await act_on_case(turn, draft, returns.record_refund, draft.amount, draft.reference)
    await finish_with_case(turn, "return_leg.refunded", case.id, Side.SELLER)


REFUND = leg_form(
    "return_refund",
    "ReturnRefundConversation",
    Step(
        "amount",
        prompt="return_leg.ask_refund",
        params=lambda turn, draft: {
            **case_param(turn, draft),
            "paid": draft.paid,
            "agreed": draft.agreed,
            "currency": draft.currency,
        },
        keyboard=agreed_amount,
        parse=ReturnLegDraft.with_amount,
        presses=[CONTROLS.press(LegFormAction.AGREED_AMOUNT, agreed_chosen)],
    ),
    Step(
        "reference",
        prompt="return_leg.ask_reference",
        parse=ReturnLegDraft.with_reference,
        **CONTROLS.offer("return_request.skip_comment", LegFormAction.SKIP, reference_skipped),
    ),
    Step(
        "summary",
        ask=ask_refund_summary,
        presses=[CONTROLS.press(LegFormAction.SUBMIT, refund_submitted)],
    ),
)

# The card's button -> the form it starts and the action the case must allow.
Entries = dict[CaseButton, tuple[Conversation[ReturnLegDraft], Action]]
CONVERSATIONS = (TRACKING, RECEIPT, REFUND)
ENTRIES: Entries = {
    CaseButton.TRACKING: (TRACKING, Action.RECORD_RETURN_TRACKING),
    CaseButton.RECEIPT: (RECEIPT, Action.CONFIRM_RECEIPT),
    CaseButton.REFUND: (REFUND, Action.RECORD_REFUND),
}


def first_draft(action: Action) -> Callable[[LegTurn, CaseAct], Awaitable[ReturnLegDraft]]:
    """The draft of a form about `action`, made once the caller is the side the case allows
    it now (the service that finishes the form checks again)."""

    async def make(turn: LegTurn, callback_data: CaseAct) -> ReturnLegDraft:
        case = await return_offers.case_allowing(
            turn.ctx.user_id, callback_data.case_id, callback_data.side, action, turn.ctx.uow
        )
        pays = case.agreed_resolution is not None and case.agreed_resolution.pays_money
        return ReturnLegDraft(
            case_id=case.id,
            currency=case.currency,
            paid=case.paid,
            agreed=case.agreed_amount if pays else None,
        )

    return make


def forms_router(name: str, entries: Entries) -> Router:
    """A new router: each card button starts its form (before any state's handlers), then the
    forms themselves."""
    router = Router(name=name)
    for pressed, (conversation, action) in entries.items():
        router.callback_query.register(
            entry(conversation, first_draft(action)), CaseAct.filter(F.action == pressed)
        )
    for conversation, _ in entries.values():
        register(conversation, router)
    return router


def build_router() -> Router:
    return forms_router(__name__, ENTRIES)
