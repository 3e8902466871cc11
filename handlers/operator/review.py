"""/review: operators go through warehouse submissions, oldest first, and decide.

Every action re-checks the operator role in the domain service, so a forged callback from anyone
else gets "not allowed" and changes nothing. The decision buttons are the warehouse's own
answer to what an operator may do in its status (`Warehouse.allowed_actions`), and name the
warehouse as the card showed it (`Warehouse.revision`): a seller's edit, new documents or a
resubmission since (even one committed while the decision was being written), and the decision
is refused and the card shown again as it is now.

The reason a decision needs is typed in a plain FSM state; what the operator sends there comes
among the conversations (`build_answers_router`), after every command, so /compliance or
/outbox is never taken for the reason.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from domain.errors import ConflictError, InvalidInput
from domain.model import WarehouseAction, WarehouseStatus
from domain.model.warehouses import DECISIONS_NEEDING_NOTE, REVIEW_DECISIONS, WAREHOUSE_CHANGED
from domain.roles import Role
from domain.services import warehouses
from handlers.callbacks import ReviewAction, ReviewStep
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.conversations import text_answer_router
from handlers.lists import page_count, paging_row
from handlers.menus import register_presses
from handlers.responder import Button, Keyboard, Responder


class ReviewNote(StatesGroup):
    text = State()


def _review(
    step: ReviewStep, warehouse_id: int = 0, decision: str = "", page: int = 0, shown: int = 0
) -> ReviewAction:
    return ReviewAction(
        step=step, warehouse_id=warehouse_id, decision=decision, page=page, shown=shown
    )


async def _show_list(ctx: UpdateContext, status: WarehouseStatus, page: int) -> None:
    page = max(page, 0)
    items, total = await warehouses.review_list(
        ctx.user_id, status, page, ctx.config.operator_ids, ctx.uow
    )
    step = ReviewStep.QUEUE if status == WarehouseStatus.PENDING_REVIEW else ReviewStep.VERIFIED
    rows: Keyboard = [
        [
            Button(
                label="review.item",
                params={"id": w.id, "name": w.name, "country": w.country},
                callback=_review(ReviewStep.OPEN, w.id),
            )
        ]
        for w in items
    ]
    paging = paging_row(
        page,
        page_count(total, warehouses.REVIEW_PAGE_SIZE),
        lambda to: _review(step, page=to),
    )
    other = ReviewStep.VERIFIED if step == ReviewStep.QUEUE else ReviewStep.QUEUE
    ctx.responder.reply(
        "review.queue" if step == ReviewStep.QUEUE else "review.verified",
        total=total,
        keyboard=[
            *rows,
            paging,
            [Button(label=f"review.show_{other.value}", callback=_review(other))],
        ],
    )


def _tell_decided(name: str, decision: WarehouseAction, responder: Responder) -> None:
    responder.reply(
        "review.decided", name=name, decision=responder.label(f"review.{decision.value}")
    )


async def review_command(message: Message, ctx: UpdateContext) -> None:
    # A reason being written stays asked for, as other conversations stay open under a
    # command: the next text still completes that decision (/cancel drops it).
    await _show_list(ctx, WarehouseStatus.PENDING_REVIEW, 0)


async def list_pressed(
    query: CallbackQuery, callback_data: ReviewAction, ctx: UpdateContext
) -> None:
    status = (
        WarehouseStatus.PENDING_REVIEW
        if callback_data.step == ReviewStep.QUEUE
        else WarehouseStatus.VERIFIED
    )
    await _show_list(ctx, status, callback_data.page)


async def open_pressed(
    query: CallbackQuery, callback_data: ReviewAction, ctx: UpdateContext
) -> None:
    await _show_card(ctx, callback_data.warehouse_id)


async def _show_card(ctx: UpdateContext, warehouse_id: int) -> None:
    """The warehouse as it is now, with its documents; each decision button names this state
    (`Warehouse.revision`), so it decides only on what the operator saw."""
    warehouse, seller = await warehouses.warehouse_for_review(
        ctx.user_id, warehouse_id, ctx.config.operator_ids, ctx.uow
    )
    for document in warehouse.documents:
        ctx.responder.resend_file(
            document.telegram_file_id,
            is_photo=document.is_photo,
            caption=ctx.responder.text(
                "review.document_caption",
                kind=ctx.responder.label(f"document.{document.kind.value}"),
                file_name=document.file_name,
            ),
        )
    allowed = warehouse.allowed_actions(Role.OPERATOR)
    decisions = [decision for decision in REVIEW_DECISIONS if decision in allowed]
    buttons = [
        Button(
            label=f"review.{d.value}",
            callback=_review(ReviewStep.DECIDE, warehouse.id, d.value, shown=warehouse.revision),
        )
        for d in decisions
    ]
    ctx.responder.reply(
        "review.card",
        warehouse=warehouse,
        store_name=seller.store_name,
        home_country=seller.home_country,
        status=ctx.responder.label(f"status.{warehouse.status.value}"),
        capabilities=[ctx.responder.label(f"capability.{c}") for c in warehouse.capabilities],
        keyboard=[
            buttons[:2],
            buttons[2:],
            [Button(label="review.show_queue", callback=_review(ReviewStep.QUEUE))],
        ],
    )


async def decision_pressed(
    query: CallbackQuery, callback_data: ReviewAction, ctx: UpdateContext
) -> None:
    try:
        decision = WarehouseAction(callback_data.decision)
    except ValueError:
        raise InvalidInput("errors.invalid_choice") from None
    shown, operators = callback_data.shown, ctx.config.operator_ids
    try:
        warehouse, _ = await warehouses.warehouse_to_decide(
            ctx.user_id, callback_data.warehouse_id, decision, operators, ctx.uow, shown=shown
        )
        if decision not in DECISIONS_NEEDING_NOTE:
            await warehouses.decide(
                ctx.user_id, warehouse.id, decision, None, operators, ctx.uow, shown=shown
            )
    except ConflictError as error:
        if error.key != WAREHOUSE_CHANGED:
            raise
        ctx.responder.answer_callback(query.id, WAREHOUSE_CHANGED, alert=True)
        ctx.responder.remove_pressed_buttons(query)
        await _show_card(ctx, callback_data.warehouse_id)
        return
    if decision in DECISIONS_NEEDING_NOTE:
        await ctx.state.set_state(ReviewNote.text)
        await ctx.state.set_data(
            {"warehouse_id": warehouse.id, "decision": decision.value, "shown": shown}
        )
        ctx.responder.reply(
            f"review.ask_note_{decision.value}",
            name=warehouse.name,
            keyboard=[
                [
                    Button(
                        label="common.cancel",
                        callback=_review(ReviewStep.CANCEL_NOTE, warehouse.id),
                    )
                ]
            ],
        )
        return
    ctx.responder.remove_pressed_buttons(query)
    _tell_decided(warehouse.name, decision, ctx.responder)


async def note_given(message: Message, ctx: UpdateContext) -> None:
    assert message.text is not None
    data = await ctx.state.get_data()
    decision = WarehouseAction(data["decision"])
    try:
        warehouse = await warehouses.decide(
            ctx.user_id,
            data["warehouse_id"],
            decision,
            message.text,
            ctx.config.operator_ids,
            ctx.uow,
            # A reason asked for before the card named its state decides unchecked, as then.
            shown=data.get("shown"),
        )
    except ConflictError as error:
        if error.key != WAREHOUSE_CHANGED:
            raise
        # The seller changed it while the reason was being written: nothing is decided, and
        # the operator reads the warehouse as it is now before deciding again.
        await ctx.state.clear()
        ctx.responder.reply(WAREHOUSE_CHANGED)
        await _show_card(ctx, data["warehouse_id"])
        return
    await ctx.state.clear()
    _tell_decided(warehouse.name, decision, ctx.responder)


async def note_cancelled(
    query: CallbackQuery, callback_data: ReviewAction, ctx: UpdateContext
) -> None:
    # An older message's Cancel names another warehouse: the reason being written stays
    # asked for, and the button passes on to the fallback as stale.
    data = await ctx.state.get_data()
    if data.get("warehouse_id") != callback_data.warehouse_id:
        raise SkipHandler
    await ctx.state.clear()
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply("cancel.done")


def build_router() -> Router:
    """The command and the buttons, tried before any conversation."""
    router = Router(name=__name__)
    router.message.register(review_command, any_case_command("review"))
    register_presses(
        router,
        ReviewAction,
        {
            ReviewStep.QUEUE: list_pressed,
            ReviewStep.VERIFIED: list_pressed,
            ReviewStep.OPEN: open_pressed,
            ReviewStep.DECIDE: decision_pressed,
        },
        field="step",
    )
    register_presses(
        router,
        ReviewAction,
        {ReviewStep.CANCEL_NOTE: note_cancelled},
        ReviewNote.text,
        field="step",
    )
    return router


def build_answers_router() -> Router:
    """What the operator types when asked for a decision's reason."""
    return text_answer_router(__name__, ReviewNote.text, note_given)
