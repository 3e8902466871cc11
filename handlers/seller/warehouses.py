"""/warehouses: the seller's list of warehouses, a warehouse's card, adding and archiving one.

Changing a registered warehouse (a field, more documents, resubmission) is in
`handlers.seller.warehouse_changes`; registering a new one in `warehouse_registration`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from domain.model import Warehouse, WarehouseAction
from domain.roles import Role
from domain.services import warehouses
from handlers.callbacks import WarehouseMenu, WarehouseMenuAction
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.keyboards import yes_or_no
from handlers.menus import register_presses
from handlers.responder import Button, Keyboard, Responder
from handlers.seller import warehouse_registration

# The card's buttons, row by row, for what the warehouse says the seller may do now (action,
# label, button). Submitting again is offered once the requested documents are sent
# (`warehouse_changes`), not on the card.
CARD_ROWS = (
    (
        (WarehouseAction.EDIT, "common.edit", WarehouseMenuAction.EDIT),
        (
            WarehouseAction.ADD_DOCUMENTS,
            "warehouse.add_documents",
            WarehouseMenuAction.ADD_DOCUMENTS,
        ),
    ),
    ((WarehouseAction.ARCHIVE, "warehouse.archive", WarehouseMenuAction.ARCHIVE),),
)


def warehouse_button(
    label: str, action: WarehouseMenuAction, warehouse_id: int = 0, field: str = "", token: int = 0
) -> Button:
    """A button of the warehouse menu; the warehouse it names is checked again when pressed."""
    return Button(
        label=label,
        callback=WarehouseMenu(action=action, warehouse_id=warehouse_id, field=field, token=token),
    )


def confirm_or_cancel(
    label: str, action: WarehouseMenuAction, warehouse_id: int, token: int
) -> Keyboard:
    """A yes to `action` on the warehouse, naming the question by its `token`, or Cancel, which
    goes back to its card."""
    return [
        [
            warehouse_button(label, action, warehouse_id, token=token),
            warehouse_button("common.cancel", WarehouseMenuAction.VIEW, warehouse_id),
        ]
    ]


async def show_list(ctx: UpdateContext) -> None:
    seller = await warehouses.seller_of(ctx.user_id, ctx.uow)
    owned = await ctx.uow.warehouses.for_seller(seller.id)
    rows: Keyboard = [
        [
            Button(
                label="warehouse.list_item",
                params={"name": w.name, "status": ctx.responder.label(f"status.{w.status.value}")},
                callback=WarehouseMenu(action=WarehouseMenuAction.VIEW, warehouse_id=w.id),
            )
        ]
        for w in owned
    ]
    ctx.responder.reply(
        "warehouse.list",
        warehouses=owned,
        keyboard=[
            *rows,
            [warehouse_button("warehouse.add", WarehouseMenuAction.ADD)],
        ],
    )


# The presses the actions stored with a decision notice stand for.
_NOTICE_PRESSES = {
    WarehouseAction.ADD_DOCUMENTS.value: (
        "warehouse.add_documents",
        WarehouseMenuAction.ADD_DOCUMENTS,
    ),
    warehouses.OPEN_CARD: ("warehouse.open", WarehouseMenuAction.VIEW),
}


def notice_keyboard(params: Mapping[str, Any]) -> Keyboard:
    """The buttons stored with a review decision's notice (`warehouses.decision_notice_buttons`),
    made the warehouse menu's own presses: the same handlers check the caller and the status."""
    stored = params.get(warehouses.NOTICE_BUTTONS)
    if not isinstance(stored, dict):
        return []  # queued before decision notices carried buttons
    warehouse_id = int(stored["warehouse_id"])
    return [
        [warehouse_button(*_NOTICE_PRESSES[action], warehouse_id)]
        for action in stored["actions"]
        if action in _NOTICE_PRESSES
    ]


def show_card(warehouse: Warehouse, responder: Responder) -> None:
    allowed = warehouse.allowed_actions(Role.SELLER)
    changes, archive = (
        [
            warehouse_button(label, menu_action, warehouse.id)
            for action, label, menu_action in row
            if action in allowed
        ]
        for row in CARD_ROWS
    )
    responder.reply(
        "warehouse.card",
        warehouse=warehouse,
        status=responder.label(f"status.{warehouse.status.value}"),
        capabilities=[responder.label(f"capability.{c}") for c in warehouse.capabilities],
        documents=[
            (responder.label(f"document.{d.kind.value}"), d.file_name) for d in warehouse.documents
        ],
        keyboard=[
            changes,
            [*archive, warehouse_button("warehouse.back_to_list", WarehouseMenuAction.LIST)],
        ],
    )


async def warehouses_command(message: Message, ctx: UpdateContext) -> None:
    await ctx.state.clear()
    await show_list(ctx)


async def list_pressed(query: CallbackQuery, ctx: UpdateContext) -> None:
    await show_list(ctx)


def on_owned_warehouse(
    show: Callable[[Warehouse, Responder], None],
) -> Callable[..., Awaitable[None]]:
    """The handler of a button on one of the seller's warehouses that shows something about it:
    the warehouse the (untrusted) callback data names is loaded for the caller, and one that is
    not theirs is "not found"; `show` says what is shown."""

    async def pressed(
        query: CallbackQuery, callback_data: WarehouseMenu, ctx: UpdateContext
    ) -> None:
        show(
            await warehouses.owned_warehouse(ctx.user_id, callback_data.warehouse_id, ctx.uow),
            ctx.responder,
        )

    return pressed


async def archive_pressed(
    query: CallbackQuery, callback_data: WarehouseMenu, ctx: UpdateContext
) -> None:
    """Ask before archiving (it cannot be undone): the seller confirms, or goes back to the
    card. The yes carries the question's token, so only this question, recently, archives."""
    warehouse, token = await warehouses.ask_to_archive(
        ctx.user_id, callback_data.warehouse_id, ctx.uow
    )
    keyboard = yes_or_no(
        lambda action: WarehouseMenu(action=action, warehouse_id=warehouse.id, token=token),
        yes=("warehouse.archive_confirm", WarehouseMenuAction.ARCHIVE_CONFIRMED),
        no=("common.cancel", WarehouseMenuAction.KEEP),
    )
    ctx.responder.reply(
        "warehouse.confirm_archive",
        name=warehouse.name,
        keyboard=keyboard,
    )


async def archive_confirmed(
    query: CallbackQuery, callback_data: WarehouseMenu, ctx: UpdateContext
) -> None:
    warehouse = await warehouses.archive_on_confirmation(
        ctx.user_id, callback_data.warehouse_id, callback_data.token, ctx.uow
    )
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply("warehouse.archived", name=warehouse.name)


async def archive_kept(
    query: CallbackQuery, callback_data: WarehouseMenu, ctx: UpdateContext
) -> None:
    warehouse = await warehouses.keep_warehouse(
        ctx.user_id, callback_data.warehouse_id, callback_data.token, ctx.uow
    )
    ctx.responder.remove_pressed_buttons(query)
    show_card(warehouse, ctx.responder)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(warehouses_command, any_case_command("warehouses"))
    register_presses(
        router,
        WarehouseMenu,
        {
            WarehouseMenuAction.LIST: list_pressed,
            WarehouseMenuAction.ADD: warehouse_registration.begin,
            WarehouseMenuAction.VIEW: on_owned_warehouse(show_card),
            WarehouseMenuAction.ARCHIVE: archive_pressed,
            WarehouseMenuAction.ARCHIVE_CONFIRMED: archive_confirmed,
            WarehouseMenuAction.KEEP: archive_kept,
        },
    )
    return router
