"""Changing a registered warehouse: one field at a time (a verified warehouse goes back to
review, after the seller confirms), more documents when the reviewer asks for them, and
resubmission for review. Started from the warehouse card (`handlers.seller.warehouses`).

These modes are plain FSM states, not engine conversations, routed the same way: the buttons
come with the commands, and what the seller sends in a state comes among the conversations
(`build_answers_router`), so every command still works in them (/cancel leaves).

The change waiting for that confirmation is in the conversation state, with a token its
question's yes carries: a yes on the question about an earlier change saves nothing.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from domain.errors import ConflictError, InvalidInput
from domain.model import DocumentKind, Warehouse, WarehouseAction
from domain.roles import Role
from domain.services import confirmations, warehouses
from handlers.callbacks import WarehouseMenu, WarehouseMenuAction
from handlers.context import UpdateContext
from handlers.conversations import text_answer_router
from handlers.menus import register_presses
from handlers.responder import Button, Keyboard, Responder
from handlers.seller.warehouse_documents import receive_document
from handlers.seller.warehouses import (
    on_owned_warehouse,
    show_card,
    warehouse_button,
)
from handlers.uploads import FileStepRunner

EDITABLE = [field.value for field in warehouses.EditableField]


class WarehouseChange(StatesGroup):
    value = State()
    confirm = State()
    documents = State()


def _resubmit_button(warehouse_id: int) -> Button:
    return warehouse_button("warehouse.resubmit", WarehouseMenuAction.RESUBMIT, warehouse_id)


def _cancel_button(warehouse_id: int) -> Button:
    """Leaving the change of this warehouse without saving anything more."""
    return warehouse_button("common.cancel", WarehouseMenuAction.CANCEL_CHANGE, warehouse_id)


def _resubmit(warehouse_id: int) -> Keyboard:
    """Offered with each document the reviewer asked for: sending the warehouse for review
    again, or stopping here with the documents kept (a plain "Done" beside "Send for review
    again" would read as the same thing, and leave the warehouse unsent)."""
    return [
        [_resubmit_button(warehouse_id)],
        [warehouse_button("warehouse.send_later", WarehouseMenuAction.SEND_LATER, warehouse_id)],
    ]


def ask_field(warehouse: Warehouse, responder: Responder) -> None:
    """Which field of the warehouse to change."""
    fields = [
        warehouse_button(f"field.{name}", WarehouseMenuAction.EDIT_FIELD, warehouse.id, name)
        for name in EDITABLE
    ]
    responder.reply(
        "warehouse.choose_field",
        name=warehouse.name,
        verified=warehouse.edit_needs_review,
        keyboard=[
            *(fields[i : i + 2] for i in range(0, len(fields), 2)),
            [warehouse_button("warehouse.back_to_card", WarehouseMenuAction.VIEW, warehouse.id)],
        ],
    )


async def field_pressed(
    query: CallbackQuery, callback_data: WarehouseMenu, ctx: UpdateContext
) -> None:
    if callback_data.field not in EDITABLE:
        raise InvalidInput("errors.invalid_choice")
    warehouse = await warehouses.owned_warehouse(ctx.user_id, callback_data.warehouse_id, ctx.uow)
    await ctx.state.set_state(WarehouseChange.value)
    await ctx.state.set_data({"warehouse_id": warehouse.id, "field": callback_data.field})
    ctx.responder.reply(
        "warehouse.ask_new_value",
        field=ctx.responder.label(f"field.{callback_data.field}"),
        current=getattr(warehouse, callback_data.field) or "—",
        verified=warehouse.edit_needs_review,
        keyboard=[[_cancel_button(warehouse.id)]],
    )


async def new_value(message: Message, ctx: UpdateContext) -> None:
    assert message.text is not None
    data = await ctx.state.get_data()
    warehouse = await warehouses.owned_warehouse(ctx.user_id, data["warehouse_id"], ctx.uow)
    field = warehouses.EditableField(data["field"])
    value = warehouses.clean_field(warehouse.country, field, message.text)
    if warehouse.edit_needs_review:
        # Say what saving does before it happens: orders cannot ship from it until re-approved.
        # The yes names this question, so an earlier one about another change saves nothing.
        token = confirmations.new_token()
        await ctx.state.set_state(WarehouseChange.confirm)
        await ctx.state.update_data(value=message.text, token=token)
        ctx.responder.reply(
            "warehouse.confirm_back_to_review",
            name=warehouse.name,
            field=ctx.responder.label(f"field.{field.value}"),
            value=value or "—",
            keyboard=[
                [
                    warehouse_button(
                        "warehouse.save_and_review",
                        WarehouseMenuAction.SAVE_EDIT,
                        warehouse.id,
                        token=token,
                    ),
                    _cancel_button(warehouse.id),
                ]
            ],
        )
        return
    await warehouses.edit_warehouse(
        ctx.user_id, warehouse.id, field, message.text, ctx.config.operator_ids, ctx.uow
    )
    await ctx.state.clear()
    ctx.responder.reply("warehouse.saved", name=warehouse.name, back_to_review=False)
    show_card(warehouse, ctx.responder)


async def save_confirmed(
    query: CallbackQuery, callback_data: WarehouseMenu, ctx: UpdateContext
) -> None:
    data = await ctx.state.get_data()
    # Only the yes of the change now waiting (a question asked before tokens carries none).
    if (callback_data.warehouse_id, callback_data.token) != (
        data["warehouse_id"],
        data.get("token", 0),
    ):
        raise ConflictError("confirmation.stale")
    field = warehouses.EditableField(data["field"])
    back_to_review = await warehouses.edit_warehouse(
        ctx.user_id, data["warehouse_id"], field, data["value"], ctx.config.operator_ids, ctx.uow
    )
    await ctx.state.clear()
    ctx.responder.remove_pressed_buttons(query)
    warehouse = await warehouses.owned_warehouse(ctx.user_id, data["warehouse_id"], ctx.uow)
    ctx.responder.reply("warehouse.saved", name=warehouse.name, back_to_review=back_to_review)


async def add_documents_pressed(
    query: CallbackQuery, callback_data: WarehouseMenu, ctx: UpdateContext
) -> None:
    warehouse = await warehouses.owned_warehouse(ctx.user_id, callback_data.warehouse_id, ctx.uow)
    # From an older card or notice: a warehouse that no longer takes documents says so now,
    # not after the seller sent one.
    warehouse.require(WarehouseAction.ADD_DOCUMENTS, Role.SELLER)
    await ctx.state.set_state(WarehouseChange.documents)
    await ctx.state.set_data({"warehouse_id": warehouse.id})
    ctx.responder.reply(
        "warehouse.ask_more_documents",
        name=warehouse.name,
        note=warehouse.review_note,
        max_mb=warehouses.MAX_DOCUMENT_BYTES // 2**20,
        keyboard=[[_resubmit_button(warehouse.id)], [_cancel_button(warehouse.id)]],
    )


async def more_documents(message: Message, ctx: UpdateContext, file_steps: FileStepRunner) -> None:
    data = await ctx.state.get_data()
    warehouse = await warehouses.owned_warehouse(ctx.user_id, data["warehouse_id"], ctx.uow)

    async def keep(document: warehouses.UploadedDocument, later: UpdateContext) -> None:
        """Once the file may be kept (a file: after its check, in a transaction of its own)."""
        state, now = await later.state.get_state(), await later.state.get_data()
        if state != WarehouseChange.documents.state or now.get("warehouse_id") != warehouse.id:
            return  # the seller left this warehouse's documents meanwhile
        await warehouses.add_document(later.user_id, warehouse.id, document, later.uow)
        later.responder.reply(
            "warehouse.document_received",
            document=later.responder.label(f"document.{document.kind.value}"),
            file_name=document.file_name,
            keyboard=_resubmit(warehouse.id),
        )

    # Required documents were complete at submission; what the reviewer asked for is extra.
    await receive_document(message, DocumentKind.OTHER, ctx, file_steps, keep)


async def resubmit_pressed(
    query: CallbackQuery, callback_data: WarehouseMenu, ctx: UpdateContext
) -> None:
    warehouse = await warehouses.resubmit(
        ctx.user_id, callback_data.warehouse_id, ctx.config.operator_ids, ctx.uow
    )
    # An older message's button may be pressed in the middle of another conversation: only
    # the documents mode ends here.
    if await ctx.state.get_state() in WarehouseChange:
        await ctx.state.clear()
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply("warehouse.submitted", name=warehouse.name)


async def _warehouse_being_changed(callback_data: WarehouseMenu, ctx: UpdateContext) -> Warehouse:
    """The warehouse of the change the caller is in; a button of another change (an older
    message) is stale and passes on to the fallback."""
    data = await ctx.state.get_data()
    if data.get("warehouse_id") != callback_data.warehouse_id:
        raise SkipHandler
    return await warehouses.owned_warehouse(ctx.user_id, callback_data.warehouse_id, ctx.uow)


async def _leave_change(
    query: CallbackQuery, callback_data: WarehouseMenu, ctx: UpdateContext, reply: str
) -> None:
    """End the change, say `reply` (with the warehouse's name) and show the warehouse's card,
    which shows the documents kept and "Add documents" to come back to the change."""
    warehouse = await _warehouse_being_changed(callback_data, ctx)
    await ctx.state.clear()
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply(reply, name=warehouse.name)
    show_card(warehouse, ctx.responder)


async def change_cancelled(
    query: CallbackQuery, callback_data: WarehouseMenu, ctx: UpdateContext
) -> None:
    await _leave_change(query, callback_data, ctx, "cancel.done")


async def send_later(
    query: CallbackQuery, callback_data: WarehouseMenu, ctx: UpdateContext
) -> None:
    await _leave_change(query, callback_data, ctx, "warehouse.documents_kept")


async def use_the_buttons(message: Message, ctx: UpdateContext) -> None:
    ctx.responder.reply("conversation.use_buttons")


async def expecting_more_documents(message: Message, ctx: UpdateContext) -> None:
    ctx.responder.reply(
        "warehouse.expecting_document", max_mb=warehouses.MAX_DOCUMENT_BYTES // 2**20
    )


def build_router() -> Router:
    """The buttons of a change, tried with the commands."""
    router = Router(name=__name__)
    register_presses(
        router,
        WarehouseMenu,
        {
            WarehouseMenuAction.EDIT: on_owned_warehouse(ask_field),
            WarehouseMenuAction.EDIT_FIELD: field_pressed,
            WarehouseMenuAction.ADD_DOCUMENTS: add_documents_pressed,
            WarehouseMenuAction.RESUBMIT: resubmit_pressed,
        },
    )
    # Saving a change that sends the warehouse back to review waits for the seller's yes.
    register_presses(
        router,
        WarehouseMenu,
        {WarehouseMenuAction.SAVE_EDIT: save_confirmed},
        WarehouseChange.confirm,
    )
    register_presses(
        router,
        WarehouseMenu,
        {WarehouseMenuAction.CANCEL_CHANGE: change_cancelled},
        StateFilter(WarehouseChange),
    )
    register_presses(
        router,
        WarehouseMenu,
        {WarehouseMenuAction.SEND_LATER: send_later},
        WarehouseChange.documents,
    )
    return router


def build_answers_router() -> Router:
    """What the seller sends in a change's states: among the conversations, after every
    command, so a command is never taken for a new value or a document."""
    router = text_answer_router(__name__, WarehouseChange.value, new_value)
    router.message.register(more_documents, WarehouseChange.documents, F.document | F.photo)
    router.message.register(expecting_more_documents, WarehouseChange.documents)
    router.message.register(use_the_buttons, WarehouseChange.confirm)
    return router
