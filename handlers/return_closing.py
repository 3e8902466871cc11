"""Closing a return case from the seller's card, each with what the buyer must be told: refusing
the whole case (a reason is required) and resolving an exchange whose goods came back (an
optional note, e.g. how the replacement travels). One-step conversations on the engine over
`domain.drafts.ReturnLegDraft`; each starts only when the case allows it, and the service
checks again.
"""

from __future__ import annotations

from typing import Any

from aiogram import Router

from domain.drafts import ReturnLegDraft
from domain.returns.rules import Action, Side
from domain.services import returns
from handlers.conversations import Step, Turn
from handlers.return_callbacks import CaseButton, LegFormAction
from handlers.return_leg import (
    CONTROLS,
    Entries,
    act_on_case,
    case_param,
    finish_with_case,
    forms_router,
    leg_form,
)

ClosingTurn = Turn[ReturnLegDraft]


async def reason_typed(turn: ClosingTurn, draft: ReturnLegDraft, text: str) -> None:
    case = await act_on_case(turn, draft, returns.decline_case, text)
    await finish_with_case(turn, "return_leg.case_declined", case.id, Side.SELLER)


async def _resolve(turn: ClosingTurn, draft: ReturnLegDraft, note: str | None) -> None:
    case = await act_on_case(turn, draft, returns.resolve, note)
    await finish_with_case(turn, "return_leg.resolved", case.id, Side.SELLER)


async def note_typed(turn: ClosingTurn, draft: ReturnLegDraft, text: str) -> None:
    await _resolve(turn, draft, text)


async def note_skipped(turn: ClosingTurn, draft: ReturnLegDraft, data: Any) -> None:
    await _resolve(turn, draft, None)


DECLINE = leg_form(
    "return_decline",
    "ReturnDeclineConversation",
    Step("reason", prompt="return_leg.ask_decline_reason", params=case_param, on_text=reason_typed),
)

RESOLVE = leg_form(
    "return_resolve",
    "ReturnResolveConversation",
    Step(
        "note",
        prompt="return_leg.ask_resolution_note",
        params=case_param,
        keyboard=lambda turn, draft: CONTROLS.single_button(
            "return_leg.resolve_now", LegFormAction.SKIP
        ),
        on_text=note_typed,
        presses=[CONTROLS.press(LegFormAction.SKIP, note_skipped)],
    ),
)

CONVERSATIONS = (DECLINE, RESOLVE)
ENTRIES: Entries = {
    CaseButton.DECLINE_CASE: (DECLINE, Action.DECLINE_CASE),
    CaseButton.RESOLVE: (RESOLVE, Action.RESOLVE),
}


def build_router() -> Router:
    return forms_router(__name__, ENTRIES)
