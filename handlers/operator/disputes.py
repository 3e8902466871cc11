"""/escalated: the return cases taken to a platform dispute, for operators — those awaiting
their outcome (oldest first), and under a filter those decided — each with its transcript; and
recording how the platform decided one, a small form on the engine over
`domain.drafts.OutcomeDraft`: the outcome, the amount refunded when it was decided for the
buyer (typed, or all that was paid with one press), then a confirmation, since it cannot be
undone. Its yes carries the question's one-time token (`return_disputes.ask_to_record`): only
the latest question, within ten minutes, once, records.

Every step is checked again by the service: the operator (a forged press from anyone else is
"not allowed"), the case (a case in no dispute is "not found"), and that no outcome is recorded
yet (a second record is refused as such).
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router

from domain.drafts import OutcomeDraft
from domain.returns.rules import DisputeAction, DisputeOutcome, Side
from domain.services import return_disputes, returns
from handlers import lists
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.conversations import Conversation, FormControls, Step, Turn, entry, register
from handlers.keyboards import single_button
from handlers.menus import register_presses
from handlers.responder import Button, Keyboard
from handlers.return_callbacks import (
    CaseAct,
    CaseButton,
    DisputeMenu,
    DisputeMenuAction,
    OutcomeForm,
    OutcomeFormAction,
)

Filter = return_disputes.DisputeFilter
FILTER_ROWS = ((Filter.AWAITING, Filter.DECIDED),)
CONTROLS = FormControls.of(OutcomeForm)
OutcomeTurn = Turn[OutcomeDraft]

# ----- the lists -----


def _buttons(line: return_disputes.DisputeLine) -> list[Button]:
    """A dispute's row: its transcript, and recording its outcome while the case allows it."""
    case = returns.case_number(line.case_id)
    # The side in a transcript button is not trusted: the service looks the caller up.
    transcript = CaseAct(action=CaseButton.TRANSCRIPT, case_id=line.case_id, side=Side.SELLER)
    row = [Button(label="returns.transcript_of", params={"case": case}, callback=transcript)]
    if DisputeAction.RECORD_OUTCOME in line.actions:
        record = DisputeMenu(action=DisputeMenuAction.RECORD, case_id=line.case_id)
        row.append(Button(label="disputes.record", params={"case": case}, callback=record))
    return row


async def show_disputes(ctx: UpdateContext, listing: Filter, page: int) -> None:
    page = max(page, 0)
    found = await return_disputes.disputes(
        ctx.user_id, ctx.config.operator_ids, listing, ctx.uow, page=page
    )
    lists.reply_filtered_list(
        ctx.responder,
        "disputes",
        current=listing,
        layout=FILTER_ROWS,
        to_list=lambda option, to: DisputeMenu(
            action=DisputeMenuAction.LIST, listing=option, page=to
        ),
        items=[_buttons(line) for line in found.lines],
        total=found.total,
        page=page,
        pages=lists.page_count(found.total, return_disputes.PAGE_SIZE),
        listing=listing.value,
        elsewhere=found.elsewhere,
        cases=[
            {
                "case": returns.case_number(line.case_id),
                "number": line.order_number,
                "store": line.store_name,
                "at": line.escalated_at,
                "by": line.escalated_by.value if line.escalated_by else None,
                "outcome": line.outcome.value if line.outcome else None,
                "refund": line.refund,
                "currency": line.currency,
                "recorded_at": line.recorded_at,
            }
            for line in found.lines
        ],
    )


# ----- recording an outcome -----


def _case(draft: OutcomeDraft) -> dict[str, Any]:
    """What every question names the dispute by."""
    return {
        "case": returns.case_number(draft.case_id),
        "number": draft.order_number,
        "store": draft.store,
        "paid": draft.paid,
        "currency": draft.currency,
    }


async def first_draft(turn: OutcomeTurn, callback_data: DisputeMenu) -> OutcomeDraft:
    """The form of a case awaiting its outcome, for an operator (the service checks both)."""
    ctx = turn.ctx
    line = await return_disputes.awaiting_outcome(
        ctx.user_id, ctx.config.operator_ids, callback_data.case_id, ctx.uow
    )
    return OutcomeDraft(
        case_id=line.case_id,
        currency=line.currency,
        paid=line.paid,
        order_number=line.order_number,
        store=line.store_name,
    )


async def ask_outcome(turn: OutcomeTurn, draft: OutcomeDraft) -> None:
    choices = CONTROLS.choices(OutcomeFormAction.OUTCOME, DisputeOutcome, "disputes.outcome_")
    turn.ctx.responder.reply(
        "disputes.ask_outcome", **_case(draft), keyboard=[*choices, turn.navigation]
    )


async def outcome_chosen(turn: OutcomeTurn, draft: OutcomeDraft, data: OutcomeForm) -> None:
    await turn.advance(draft.with_outcome(data.value))


def whole_refund(turn: OutcomeTurn, draft: OutcomeDraft) -> Keyboard:
    renderer, locale = turn.ctx.responder.renderer, turn.ctx.responder.locale
    amount = renderer.money(draft.paid, draft.currency, locale)
    return CONTROLS.single_button("disputes.whole_refund", OutcomeFormAction.WHOLE, amount=amount)


async def whole_chosen(turn: OutcomeTurn, draft: OutcomeDraft, data: OutcomeForm) -> None:
    await turn.advance(draft.with_whole_refund())


async def refund_applies(turn: OutcomeTurn, draft: OutcomeDraft) -> bool:
    return draft.refund_applies


async def ask_confirmation(turn: OutcomeTurn, draft: OutcomeDraft) -> None:
    """The summary: recording is for good, so it is a question, and its yes names it (a token
    asked for each time it is shown: an earlier summary's yes no longer records)."""
    ctx = turn.ctx
    token = await return_disputes.ask_to_record(
        ctx.user_id, ctx.config.operator_ids, draft.case_id, ctx.uow
    )
    yes = CONTROLS.single_button("disputes.record_yes", OutcomeFormAction.RECORD, str(token))
    ctx.responder.reply(
        "disputes.confirm",
        **_case(draft),
        outcome=draft.command().outcome.value,
        refund=draft.refund,
        keyboard=[*yes, turn.navigation],
    )


async def record_confirmed(turn: OutcomeTurn, draft: OutcomeDraft, data: OutcomeForm) -> None:
    ctx = turn.ctx
    token = int(data.value) if data.value.isdecimal() else 0  # forged: no question has it
    recorded = draft.command()
    await return_disputes.record_on_confirmation(
        ctx.user_id, ctx.config.operator_ids, recorded, token, ctx.uow
    )
    await turn.finish()
    back = DisputeMenu(action=DisputeMenuAction.LIST, listing=Filter.AWAITING)
    ctx.responder.reply(
        "disputes.recorded",
        **_case(draft),
        outcome=recorded.outcome.value,
        refund=recorded.refund,
        keyboard=single_button("disputes.back_to_list", back),
    )


CONVERSATION: Conversation[OutcomeDraft] = Conversation(
    name="dispute_outcome",
    state_group="DisputeOutcomeConversation",
    draft=OutcomeDraft.from_data,
    controls=CONTROLS,
    steps=[
        Step(
            "outcome",
            ask=ask_outcome,
            presses=[CONTROLS.press(OutcomeFormAction.OUTCOME, outcome_chosen)],
        ),
        Step(
            "refund",
            prompt="disputes.ask_refund",
            params=lambda turn, draft: _case(draft),
            keyboard=whole_refund,
            parse=OutcomeDraft.with_refund,
            presses=[CONTROLS.press(OutcomeFormAction.WHOLE, whole_chosen)],
            applies=refund_applies,
        ),
        Step(
            "confirm",
            ask=ask_confirmation,
            presses=[CONTROLS.press(OutcomeFormAction.RECORD, record_confirmed)],
        ),
    ],
)


def build_command_router() -> Router:
    """/escalated and its lists' buttons, among the commands."""
    router = Router(name=__name__)
    router.message.register(
        lists.list_command(show_disputes, Filter.AWAITING), any_case_command("escalated")
    )
    register_presses(
        router, DisputeMenu, {DisputeMenuAction.LIST: lists.list_pressed(show_disputes)}
    )
    return router


def build_router() -> Router:
    """The form: its entry (a list's button) first, then its steps, among the conversations."""
    router = Router(name=f"{__name__}.outcome")
    router.callback_query.register(
        entry(CONVERSATION, first_draft), DisputeMenu.filter(F.action == DisputeMenuAction.RECORD)
    )
    register(CONVERSATION, router)
    return router
