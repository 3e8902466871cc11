"""A return case's card for either side — the seller's from /returns, the buyer's from their
order card — with the buttons the case allows that side now, and the one-press answers: accept
(the seller names the warehouse of a buyer's return first), decline, and escalating to a
platform dispute after a confirmation. Offers are `handlers.return_offer`; the return parcel,
receipt and refund `handlers.return_leg`.

Every press carries the case id and the side: client input, checked by the service against the
caller each time, so a forged press on someone else's case reads "not found".
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any

from aiogram import Router
from aiogram.types import CallbackQuery

from domain.errors import ConflictError
from domain.returns.rules import Action, CaseStatus, Side
from domain.services import (
    return_confirmations,
    return_notices,
    return_offers,
    return_views,
    returns,
)
from handlers.buyer.callbacks import BuyerAction, BuyerCase, BuyerCaseAction, BuyerOrder
from handlers.context import UpdateContext
from handlers.keyboards import single_button, yes_or_no
from handlers.menus import register_presses
from handlers.responder import Button, Keyboard, Responder
from handlers.return_callbacks import CaseAct, CaseButton, ReturnAction, ReturnMenu

OFFER_CHANGED = "returns.offer_changed"

# Which button each allowed action gets, in the order the card shows them.
ACTION_BUTTONS: tuple[tuple[Action, CaseButton], ...] = (
    (Action.ACCEPT_OFFER, CaseButton.ACCEPT),
    (Action.COUNTER_OFFER, CaseButton.COUNTER),
    (Action.DECLINE_OFFER, CaseButton.DECLINE),
    (Action.PROPOSE_OFFER, CaseButton.PROPOSE),
    (Action.RECORD_RETURN_TRACKING, CaseButton.TRACKING),
    (Action.CONFIRM_RECEIPT, CaseButton.RECEIPT),
    (Action.RECORD_REFUND, CaseButton.REFUND),
    (Action.RESOLVE, CaseButton.RESOLVE),
    (Action.DECLINE_CASE, CaseButton.DECLINE_CASE),
    (Action.ESCALATE, CaseButton.ESCALATE),
)


# The buttons that answer the open offer: each names it, so a press on an old card is refused
# once another offer is on the table (the service checks).
ANSWERS = frozenset({CaseButton.ACCEPT, CaseButton.DECLINE})


def act(button: CaseButton, case_id: int, side: Side, value: int = 0, offer_id: int = 0) -> CaseAct:
    return CaseAct(action=button, case_id=case_id, side=side, value=value, offer_id=offer_id)


def action_label(action: str, *, request: bool) -> str:
    """A case action's button label. While the case is `requested`, the open offer is the
    buyer's own request, not an offer: declining it says so."""
    if request and action == Action.DECLINE_OFFER:
        return "return_action.decline_request"
    return f"return_action.{action}"


def case_keyboard(card: return_views.CaseCard, back: Keyboard = ()) -> Keyboard:
    """Drawn from `allowed_actions(side)`: a button the case would refuse is never shown."""
    case, side = card.case, card.side
    offer_id = (card.open_offer.id or 0) if card.open_offer else 0
    request = case.status is CaseStatus.REQUESTED
    rows: list[list[Button]] = [
        [
            Button(
                label=action_label(action, request=request),
                callback=act(button, case.id, side, offer_id=offer_id if button in ANSWERS else 0),
            )
        ]
        for action, button in ACTION_BUTTONS
        if action in card.actions
    ]
    transcript = act(CaseButton.TRANSCRIPT, case.id, side)
    rows.append([Button(label="returns.transcript_button", callback=transcript)])
    if case.evidence:
        files = act(CaseButton.EVIDENCE, case.id, side)
        count = {"count": len(case.evidence)}
        rows.append([Button(label="returns.evidence_button", params=count, callback=files)])
    if side is Side.BUYER and Action.WITHDRAW in card.actions:
        withdraw = BuyerCase(action=BuyerCaseAction.WITHDRAW, case_id=case.id)
        rows.append([Button(label="return_action.withdraw", callback=withdraw)])
    return [*rows, *back]


def notice_keyboard(params: Mapping[str, Any]) -> Keyboard:
    """The buttons stored with a case notice (`return_notices.notice_buttons`), made the case
    card's own presses: the same handlers check the caller, the case and the offer each time."""
    stored = params.get(return_notices.BUTTONS)
    if not isinstance(stored, dict):
        return []  # queued before notices carried buttons, or a notice without any
    case_id, side = int(stored["case_id"]), Side(stored["side"])
    offer_id = int(stored.get("offer_id") or 0)
    buttons = dict(ACTION_BUTTONS)
    rows: list[list[Button]] = []
    for action in stored["actions"]:
        if action == return_notices.OPEN_CASE:
            opening = act(CaseButton.OPEN, case_id, side)
            rows.append([Button(label="returns.open_case", callback=opening)])
            continue
        button = buttons[Action(action)]
        named = offer_id if button in ANSWERS else 0
        press = act(button, case_id, side, offer_id=named)
        # Stored before notices said whether it is the request: "offer", as they said then.
        label = action_label(action, request=bool(stored.get("request")))
        rows.append([Button(label=label, callback=press)])
    return rows


def back_row(card: return_views.CaseCard) -> list[Button]:
    if card.side is Side.SELLER:
        menu = ReturnMenu(action=ReturnAction.LIST)
        return [Button(label="returns.back_to_list", callback=menu)]
    order = BuyerOrder(action=BuyerAction.OPEN, order_id=card.case.order_id)
    return [Button(label="buyer.back_to_order", callback=order)]


def show_card(
    card: return_views.CaseCard, responder: Responder, back: list[Button] | None = None
) -> None:
    case, offer = card.case, card.open_offer
    common: dict[str, Any] = {
        "case": returns.case_number(case.id),
        "order_number": card.order_number,
        "status": case.status.value,
        "reason": case.reason.value,
        "comment": case.comment,
        "wanted": case.wanted.value,
        "paid": case.paid,
        "currency": case.currency,
        "items": card.items,
        "evidence": len(case.evidence),
        "offer_side": offer.side.value if offer else None,
        "offer_resolution": offer.resolution.value if offer else None,
        "offer_amount": offer.amount if offer else None,
        "offer_respond_by": offer.respond_by if offer else None,
        "offer_terms": card.offer_terms,
        "waiting_on": card.waiting_on.value if card.waiting_on else None,
        "replacement": card.replacement_number,
        # How the platform decided the case's dispute, once an operator recorded it.
        "outcome": case.dispute_outcome.value if case.dispute_outcome else None,
        "outcome_refund": case.dispute_refund,
        "time_zone": card.time_zone,
        "agreed": card.agreed,
        "timeline": [
            {"at": step.at, "side": step.side.value if step.side else None, "action": step.action}
            for step in card.timeline
        ],
    }
    keyboard = case_keyboard(card, [back or back_row(card)])
    if card.side is Side.SELLER:
        responder.reply(
            "returns.card", out_of_policy=list(case.out_of_policy), keyboard=keyboard, **common
        )
    else:
        responder.reply("returns.buyer_card", store=card.store_name, keyboard=keyboard, **common)


async def card_of(ctx: UpdateContext, pressed: CaseAct) -> return_views.CaseCard:
    """The pressed case's card, as the caller's side sees it (the service checks it is theirs)."""
    return await return_views.case_card(ctx.user_id, pressed.case_id, pressed.side, ctx.uow)


async def refresh(query: CallbackQuery, data: CaseAct, ctx: UpdateContext) -> None:
    """After an answer: the pressed card loses its buttons, the case is shown as it is now."""
    ctx.responder.remove_pressed_buttons(query)
    show_card(await card_of(ctx, data), ctx.responder)


async def open_pressed(query: CallbackQuery, callback_data: CaseAct, ctx: UpdateContext) -> None:
    card = await card_of(ctx, callback_data)
    show_card(card, ctx.responder)


async def _unless_offer_changed(
    answer: Awaitable[None], query: CallbackQuery, data: CaseAct, ctx: UpdateContext
) -> None:
    """Run an answer to the open offer; pressed on a card whose offer is no longer the open
    one, nothing was done and the case is shown as it is now, to answer what is on the table."""
    try:
        await answer
    except ConflictError as error:
        if error.key != OFFER_CHANGED:
            raise
        ctx.responder.answer_callback(query.id, OFFER_CHANGED, alert=True)
        await refresh(query, data, ctx)


async def accept_pressed(query: CallbackQuery, callback_data: CaseAct, ctx: UpdateContext) -> None:
    await _unless_offer_changed(_accept(query, callback_data, ctx), query, callback_data, ctx)


async def _accept(query: CallbackQuery, callback_data: CaseAct, ctx: UpdateContext) -> None:
    user_id, case_id, side = ctx.user_id, callback_data.case_id, callback_data.side
    offer_id = callback_data.offer_id
    if not callback_data.value:
        # A buyer's return that left the warehouse to the store: the seller names it first.
        choices = await return_offers.warehouses_to_name(
            user_id, case_id, side, ctx.uow, offer_id=offer_id
        )
        if choices is not None:
            ctx.responder.reply(
                "returns.choose_warehouse",
                case=returns.case_number(case_id),
                count=len(choices),
                keyboard=[
                    [
                        Button(
                            text=f"{address.name} · {address.city}",
                            callback=act(
                                CaseButton.ACCEPT, case_id, side, address.warehouse_id, offer_id
                            ),
                        )
                    ]
                    for address in choices
                ],
            )
            return
    # The warehouse id is client input too: the service takes only the seller's verified ones.
    await returns.accept_offer(
        user_id,
        case_id,
        side,
        ctx.uow,
        ctx.config.return_deadlines,
        warehouse_id=callback_data.value or None,
        offer_id=offer_id,
    )
    ctx.responder.answer_callback(query.id, "returns.accepted")
    await refresh(query, callback_data, ctx)


async def decline_pressed(query: CallbackQuery, callback_data: CaseAct, ctx: UpdateContext) -> None:
    await _unless_offer_changed(_decline(query, callback_data, ctx), query, callback_data, ctx)


async def _decline(query: CallbackQuery, callback_data: CaseAct, ctx: UpdateContext) -> None:
    await returns.decline_offer(
        ctx.user_id,
        callback_data.case_id,
        callback_data.side,
        ctx.uow,
        ctx.config.return_deadlines,
        offer_id=callback_data.offer_id,
    )
    ctx.responder.answer_callback(query.id, "returns.declined")
    await refresh(query, callback_data, ctx)


async def escalate_pressed(
    query: CallbackQuery, callback_data: CaseAct, ctx: UpdateContext
) -> None:
    """Ask first: a dispute freezes the case for good. The yes carries the question's token,
    so only this question, recently, escalates."""
    case_id, side = callback_data.case_id, callback_data.side
    token = await return_confirmations.ask_to_escalate(ctx.user_id, case_id, side, ctx.uow)
    ctx.responder.reply(
        "returns.confirm_escalate",
        case=returns.case_number(case_id),
        keyboard=yes_or_no(
            lambda button: act(button, case_id, side, token),
            yes=("returns.escalate_yes", CaseButton.ESCALATE_YES),
            no=("returns.escalate_no", CaseButton.KEEP),
        ),
    )


async def escalate_confirmed(
    query: CallbackQuery, callback_data: CaseAct, ctx: UpdateContext
) -> None:
    case = await return_confirmations.escalate_on_confirmation(
        ctx.user_id,
        callback_data.case_id,
        callback_data.side,
        callback_data.value,
        ctx.uow,
        ctx.config.return_deadlines,
    )
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply(
        "returns.escalated",
        case=returns.case_number(case.id),
        keyboard=single_button(
            "returns.transcript_button", act(CaseButton.TRANSCRIPT, case.id, callback_data.side)
        ),
    )


async def escalate_kept(query: CallbackQuery, callback_data: CaseAct, ctx: UpdateContext) -> None:
    # Voids only the question this "no" was drawn with: an older prompt's "no" leaves a newer
    # prompt's "yes" valid (the case goes on either way, so the reply is the same).
    await return_confirmations.keep(
        ctx.user_id, return_confirmations.ESCALATE, callback_data.value, ctx.uow
    )
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply("returns.escalate_kept")


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    register_presses(
        router,
        CaseAct,
        {
            CaseButton.OPEN: open_pressed,
            CaseButton.ACCEPT: accept_pressed,
            CaseButton.DECLINE: decline_pressed,
            CaseButton.ESCALATE: escalate_pressed,
            CaseButton.ESCALATE_YES: escalate_confirmed,
            CaseButton.KEEP: escalate_kept,
        },
    )
    return router
