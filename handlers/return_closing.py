"""Closing a return case from the seller's card, each with what the buyer must be told: refusing
the whole case (a reason is required) and resolving an exchange whose goods came back (an
optional note, e.g. how the replacement travels). One-step conversations on the engine over
`domain.drafts.ReturnLegDraft`; each starts only when the case allows it, and the service
checks again.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router

from domain.drafts import ReturnLegDraft
from domain.returns.rules import Action, Side
from domain.services import returns
from handlers.conversations import Conversation, Press, Step, Turn, register
from handlers.return_callbacks import CaseButton, LegForm, LegFormAction
from handlers.return_leg import CONTROLS, button, finish_with_case, register_entries

ClosingTurn = Turn[ReturnLegDraft]


async def reason_typed(turn: ClosingTurn, draft: ReturnLegDraft, text: str) -> None:
    case = await returns.decline_case(
        turn.ctx.user_id, draft.case_id, text, turn.ctx.uow, turn.ctx.config.return_deadlines
    )
    await finish_with_case(turn, "return_leg.case_declined", case.id, Side.SELLER)


async def _resolve(turn: ClosingTurn, draft: ReturnLegDraft, note: str | None) -> None:
    case = await returns.resolve(
        turn.ctx.user_id, draft.case_id, note, turn.ctx.uow, turn.ctx.config.return_deadlines
    )
    await finish_with_case(turn, "return_leg.resolved", case.id, Side.SELLER)


async def note_typed(turn: ClosingTurn, draft: ReturnLegDraft, text: str) -> None:
    await _resolve(turn, draft, text)


async def note_skipped(turn: ClosingTurn, draft: ReturnLegDraft, data: Any) -> None:
    await _resolve(turn, draft, None)


DECLINE: Conversation[ReturnLegDraft] = Conversation(
    name="return_decline",
    state_group="ReturnDeclineConversation",
    draft=ReturnLegDraft.from_data,
    controls=CONTROLS,
    steps=[
        Step(
            "reason",
            prompt="return_leg.ask_decline_reason",
            params=lambda turn, draft: {"case": returns.case_number(draft.case_id)},
            on_text=reason_typed,
        )
    ],
)

RESOLVE: Conversation[ReturnLegDraft] = Conversation(
    name="return_resolve",
    state_group="ReturnResolveConversation",
    draft=ReturnLegDraft.from_data,
    controls=CONTROLS,
    steps=[
        Step(
            "note",
            prompt="return_leg.ask_resolution_note",
            params=lambda turn, draft: {"case": returns.case_number(draft.case_id)},
            keyboard=lambda turn, draft: button("return_leg.resolve_now", LegFormAction.SKIP),
            on_text=note_typed,
            presses=[Press(LegForm.filter(F.action == LegFormAction.SKIP), note_skipped)],
        )
    ],
)

CONVERSATIONS = (DECLINE, RESOLVE)
ENTRIES: dict[CaseButton, tuple[Conversation[ReturnLegDraft], Action]] = {
    CaseButton.DECLINE_CASE: (DECLINE, Action.DECLINE_CASE),
    CaseButton.RESOLVE: (RESOLVE, Action.RESOLVE),
}


def build_router() -> Router:
    """A new router: the entries (before any state's handlers), then the conversations."""
    router = Router(name=__name__)
    register_entries(router, ENTRIES)
    for conversation in CONVERSATIONS:
        register(conversation, router)
    return router
