"""Making an offer on a return case, or countering the other side's, from the case card:
resolution -> amount (when it is not simply all or nothing) -> who pays return postage, the
warehouse the goods go back to and the days to ship them (only when they travel back) ->
summary (edit any part) -> sent; the other side is told through the outbox.

Declared on the conversation engine; the rules are `domain.drafts.OfferDraft`'s and, when it
is sent, the case's own (`domain.services.returns.propose_offer` / `counter_offer`).
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router

from domain.drafts import OfferDraft
from domain.returns.rules import PostagePayer, Resolution
from domain.services import return_offers, return_views, returns
from handlers.conversations import Conversation, FormControls, Step, Turn, entry, register
from handlers.responder import Button, Keyboard
from handlers.return_callbacks import CaseAct, CaseButton, OfferForm, OfferFormAction
from handlers.return_leg import finish_with_case

OfferTurn = Turn[OfferDraft]
CONTROLS = FormControls.of(OfferForm)
# The usual answers to "how many days to ship it back" (any 1-30 may be typed).
DAY_CHOICES = (7, 10, 14)


def _terms(draft: OfferDraft) -> dict[str, Any]:
    """The terms as `returns.terms` shows them (the warehouse as the form knows it)."""
    address = draft.address(draft.warehouse_id)
    returning = draft.return_applies
    return {
        "resolution": draft.resolution.value if draft.resolution else "refund_full",
        "amount": draft.amount,
        "currency": draft.currency,
        "payer": (draft.payer or draft.default_payer).value if returning else None,
        "days": (draft.days or draft.default_days) if returning else None,
        "warehouse": address.name if address else None,
        "address": address.city if address else None,
        "address_country": address.country if address else None,
    }


# ----- steps -----


def resolutions(turn: OfferTurn, draft: OfferDraft) -> Keyboard:
    return CONTROLS.choices(OfferFormAction.RESOLUTION, Resolution, "return_resolution.")


async def resolution_chosen(turn: OfferTurn, draft: OfferDraft, data: OfferForm) -> None:
    await turn.advance(draft.with_resolution(data.value))


def everything(turn: OfferTurn, draft: OfferDraft) -> Keyboard:
    if not draft.may_take_everything:
        return []
    label = Button(
        label="return_offer.everything",
        params={
            "amount": turn.ctx.responder.renderer.money(
                draft.paid, draft.currency, turn.ctx.responder.locale
            )
        },
        callback=CONTROLS.data(OfferFormAction.EVERYTHING),
    )
    return [[label]]


async def everything_chosen(turn: OfferTurn, draft: OfferDraft, data: OfferForm) -> None:
    await turn.advance(draft.with_everything())


def payers(turn: OfferTurn, draft: OfferDraft) -> Keyboard:
    return CONTROLS.choices(OfferFormAction.PAYER, PostagePayer, "return_postage.")


async def payer_chosen(turn: OfferTurn, draft: OfferDraft, data: OfferForm) -> None:
    await turn.advance(draft.with_payer(data.value))


async def ask_warehouse(turn: OfferTurn, draft: OfferDraft) -> None:
    buttons: list[list[Button]] = [
        [
            Button(
                text=f"{address.name} · {address.city}",
                callback=CONTROLS.data(OfferFormAction.WAREHOUSE, str(address.warehouse_id)),
            )
        ]
        for address in draft.addresses
    ]
    if draft.may_leave_warehouse:
        buttons.append(
            [
                Button(
                    label="return_offer.store_chooses",
                    callback=CONTROLS.data(OfferFormAction.WAREHOUSE),
                )
            ]
        )
    suggested = draft.addresses[0] if draft.addresses else None
    turn.ctx.responder.reply(
        "return_offer.ask_warehouse",
        count=len(draft.addresses),
        suggested=suggested.name if suggested else None,
        local=bool(suggested and suggested.local_returns),
        buyer=draft.may_leave_warehouse,
        keyboard=[*buttons, turn.navigation],
    )


async def warehouse_chosen(turn: OfferTurn, draft: OfferDraft, data: OfferForm) -> None:
    chosen = draft.with_warehouse(data.value) if data.value else draft.without_warehouse()
    await turn.advance(chosen)


def days(turn: OfferTurn, draft: OfferDraft) -> Keyboard:
    return [
        [
            Button(
                label="return_offer.days",
                params={"count": count},
                callback=CONTROLS.data(OfferFormAction.DAYS, str(count)),
            )
            for count in DAY_CHOICES
        ]
    ]


async def days_chosen(turn: OfferTurn, draft: OfferDraft, data: OfferForm) -> None:
    await turn.advance(draft.with_days(data.value))


async def ask_summary(turn: OfferTurn, draft: OfferDraft) -> None:
    def edit(target: str) -> Button:
        return Button(
            label=f"return_offer.edit_{target}",
            callback=CONTROLS.data(OfferFormAction.EDIT, target),
        )

    edits = [edit("resolution")]
    if draft.amount_applies:
        edits.append(edit("amount"))
    if draft.return_applies:
        edits.append(edit("return"))
    turn.ctx.responder.reply(
        "return_offer.summary",
        case=returns.case_number(draft.case_id),
        counter=draft.counter,
        paid=draft.paid,
        terms=_terms(draft),
        keyboard=[
            [Button(label="return_offer.submit", callback=CONTROLS.data(OfferFormAction.SUBMIT))],
            edits,
            turn.navigation,
        ],
    )


async def submit(turn: OfferTurn, draft: OfferDraft, data: Any) -> None:
    """Send it; the case checks the terms, the warehouse and its turn once more."""
    place = returns.counter_offer if draft.counter else returns.propose_offer
    offer = await place(
        turn.ctx.user_id,
        draft.case_id,
        draft.side,
        draft.terms(),
        turn.ctx.uow,
        turn.ctx.config.return_deadlines,
    )
    zone = await return_views.time_zone_of(
        turn.ctx.user_id, draft.case_id, draft.side, turn.ctx.uow
    )
    await finish_with_case(
        turn,
        "return_offer.sent",
        draft.case_id,
        draft.side,
        respond_by=offer.respond_by,
        time_zone=zone,
    )


async def _amount_applies(turn: OfferTurn, draft: OfferDraft) -> bool:
    return draft.amount_applies


async def _return_applies(turn: OfferTurn, draft: OfferDraft) -> bool:
    return draft.return_applies


CONVERSATION: Conversation[OfferDraft] = Conversation(
    name="return_offer",
    state_group="ReturnOfferConversation",
    draft=OfferDraft.from_data,
    controls=CONTROLS,
    edits={
        # Another resolution changes what follows it: everything is asked again.
        "resolution": ["resolution", "amount", "payer", "warehouse", "days"],
        "amount": ["amount"],
        "return": ["payer", "warehouse", "days"],
    },
    steps=[
        Step(
            "resolution",
            prompt="return_offer.ask_resolution",
            params=lambda turn, draft: {
                "case": returns.case_number(draft.case_id),
                "counter": draft.counter,
                "paid": draft.paid,
                "currency": draft.currency,
            },
            keyboard=resolutions,
            presses=[CONTROLS.press(OfferFormAction.RESOLUTION, resolution_chosen)],
        ),
        Step(
            "amount",
            prompt="return_offer.ask_amount",
            params=lambda turn, draft: {"paid": draft.paid, "currency": draft.currency},
            keyboard=everything,
            parse=OfferDraft.with_amount,
            presses=[CONTROLS.press(OfferFormAction.EVERYTHING, everything_chosen)],
            applies=_amount_applies,
        ),
        Step(
            "payer",
            prompt="return_offer.ask_payer",
            params=lambda turn, draft: {"default": draft.default_payer.value},
            keyboard=payers,
            presses=[CONTROLS.press(OfferFormAction.PAYER, payer_chosen)],
            applies=_return_applies,
        ),
        Step(
            "warehouse",
            ask=ask_warehouse,
            presses=[CONTROLS.press(OfferFormAction.WAREHOUSE, warehouse_chosen)],
            applies=_return_applies,
        ),
        Step(
            "days",
            prompt="return_offer.ask_days",
            params=lambda turn, draft: {"default": draft.default_days},
            keyboard=days,
            parse=OfferDraft.with_days,
            presses=[CONTROLS.press(OfferFormAction.DAYS, days_chosen)],
            applies=_return_applies,
        ),
        Step(
            "summary",
            ask=ask_summary,
            presses=[CONTROLS.press(OfferFormAction.SUBMIT, submit)],
        ),
    ],
)


async def _first_draft(turn: OfferTurn, callback_data: CaseAct) -> OfferDraft:
    """Make an offer or counter one: the service checks the caller's side and turn first."""
    start = await return_offers.start(
        turn.ctx.user_id,
        callback_data.case_id,
        callback_data.side,
        callback_data.action == CaseButton.COUNTER,
        turn.ctx.uow,
        turn.ctx.config.return_deadlines,
    )
    return OfferDraft(
        case_id=start.case_id,
        side=start.side,
        counter=start.counter,
        currency=start.currency,
        paid=start.paid,
        addresses=start.addresses,
        default_payer=start.default_payer,
        default_days=start.default_days,
    )


begin = entry(CONVERSATION, _first_draft)


def build_router() -> Router:
    """A new router: the entries (before any state's handlers) and the conversation."""
    router = Router(name=__name__)
    router.callback_query.register(
        begin, CaseAct.filter(F.action.in_({CaseButton.PROPOSE, CaseButton.COUNTER}))
    )
    register(CONVERSATION, router)
    return router
