"""/orders: the seller's lists (to confirm, to ship, shipped, problems) with pages, an order
card with the ship-by countdown, confirmation, and cancellation with a required reason.

Also the entry commands of the order intake (/neworder, /import): commands live in this router,
which is tried before the conversations, so they work in the middle of one. The reason typed for
a cancellation comes among the conversations (`build_answers_router`), after every command, so a
command is never taken for the reason.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from domain.model import Order, OrderAction
from domain.roles import Role
from domain.services import buyers, warehouses
from domain.services.orders import lifecycle, lists
from domain.unit_of_work import UnitOfWork
from handlers.buyer.callbacks import BuyerAction, BuyerOrder
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.conversations import text_answer_router
from handlers.keyboards import single_button
from handlers.lists import list_pressed, page_count, reply_filtered_list
from handlers.menus import register_presses
from handlers.order_callbacks import OrderMenu, OrderMenuAction
from handlers.responder import Button, Keyboard
from handlers.seller import new_order, order_import
from handlers.shipment_callbacks import ShipmentAction, ShipmentMenu
from handlers.shipping_callbacks import ShipOrder

FILTER_ROWS = (
    (lists.OrderFilter.AWAITING, lists.OrderFilter.TO_SHIP),
    (lists.OrderFilter.SHIPPED, lists.OrderFilter.PROBLEMS),
)

# The order card's rows of buttons: what to do with the order, what to do about a parcel that
# will not arrive, then following its parcel.
CARD_ROWS = (
    (OrderAction.CONFIRM, OrderAction.SHIP, OrderAction.CANCEL),
    (OrderAction.SHIP_AGAIN, OrderAction.CANCEL_AND_REFUND),
    (OrderAction.FOLLOW_SHIPMENT, OrderAction.NEW_BUYER_LINK),
)


class OrderCancellation(StatesGroup):
    reason = State()


def _menu(
    action: OrderMenuAction,
    order_id: int = 0,
    order_filter: lists.OrderFilter = lists.OrderFilter.AWAITING,
    page: int = 0,
) -> OrderMenu:
    return OrderMenu(action=action, order_id=order_id, listing=order_filter, page=page)


def _minutes_left(order: Order, uow: UnitOfWork) -> int:
    return int((order.ship_by - uow.now()).total_seconds() // 60)


async def show_list(ctx: UpdateContext, order_filter: lists.OrderFilter, page: int) -> None:
    seller = await warehouses.seller_of(ctx.user_id, ctx.uow)
    page = max(page, 0)
    listed, total = await lists.orders_for(seller.id, order_filter, ctx.uow, page=page)
    pages = page_count(total, lists.PAGE_SIZE)
    if not listed and page >= pages:
        # A page past the end (the list shrank since the button was made): show the last one.
        page = pages - 1
        listed, total = await lists.orders_for(seller.id, order_filter, ctx.uow, page=page)
    items: Keyboard = [
        [
            Button(
                label="orders.list_item",
                params={
                    "number": order.number,
                    "total": ctx.responder.renderer.money(
                        order.total, order.currency, ctx.responder.locale
                    ),
                    "deadline": order.ship_by.date().isoformat(),
                },
                callback=_menu(OrderMenuAction.VIEW, order.id, order_filter, page),
            )
        ]
        for order in listed
    ]
    # A seller who also buys reaches the orders they follow from here.
    purchases: list[Button] = []
    if await buyers.is_buyer(ctx.user_id, ctx.uow):
        purchases = [
            Button(label="buyer.my_purchases", callback=BuyerOrder(action=BuyerAction.LIST))
        ]
    reply_filtered_list(
        ctx.responder,
        "orders",
        current=order_filter,
        layout=FILTER_ROWS,
        to_list=lambda option, to: _menu(OrderMenuAction.LIST, 0, option, to),
        items=items,
        total=total,
        page=page,
        pages=pages,
        extra_rows=[purchases],
        filter=order_filter.value,
    )


def card_buttons(order_id: int) -> dict[OrderAction, Button]:
    """Each action's button on an order's card (and on alerts that offer the same presses)."""
    return {
        OrderAction.CONFIRM: Button(
            label="orders.confirm", callback=_menu(OrderMenuAction.CONFIRM, order_id)
        ),
        OrderAction.SHIP: Button(label="shipping.start", callback=ShipOrder(order_id=order_id)),
        OrderAction.CANCEL: Button(
            label="orders.cancel", callback=_menu(OrderMenuAction.CANCEL, order_id)
        ),
        OrderAction.FOLLOW_SHIPMENT: Button(
            label="shipments.open",
            callback=ShipmentMenu(action=ShipmentAction.OF_ORDER, order_id=order_id),
        ),
        OrderAction.NEW_BUYER_LINK: Button(
            label="shipments.new_link",
            callback=ShipmentMenu(action=ShipmentAction.NEW_LINK, order_id=order_id),
        ),
        # The parcel will not arrive (`handlers.seller.order_redelivery`).
        OrderAction.SHIP_AGAIN: Button(
            label="orders.ship_again", callback=_menu(OrderMenuAction.SHIP_AGAIN, order_id)
        ),
        OrderAction.CANCEL_AND_REFUND: Button(
            label="orders.cancel_and_refund", callback=_menu(OrderMenuAction.REFUND, order_id)
        ),
    }


def show_card(
    ctx: UpdateContext,
    order: Order,
    order_filter: lists.OrderFilter = lists.OrderFilter.AWAITING,
    page: int = 0,
) -> None:
    # The buttons are what the order says the seller may do now, one row per kind.
    buttons = card_buttons(order.id)
    allowed = order.allowed_actions(Role.SELLER)
    ctx.responder.reply(
        "orders.card",
        order=order,
        minutes_left=_minutes_left(order, ctx.uow),
        keyboard=[
            *([buttons[action] for action in row if action in allowed] for row in CARD_ROWS),
            [
                Button(
                    label="orders.back_to_list",
                    callback=_menu(OrderMenuAction.LIST, 0, order_filter, page),
                )
            ],
        ],
    )


async def _leave_cancellation(state: FSMContext, order_id: int | None = None) -> None:
    """Forget an unanswered cancellation (only that of `order_id`, when given: an older
    message's button leaves another order's alone); other conversations are left alone."""
    if await state.get_state() != OrderCancellation.reason.state:
        return
    if order_id is None or (await state.get_data()).get("order_id") == order_id:
        await state.clear()


# ----- commands -----


async def orders_command(message: Message, ctx: UpdateContext) -> None:
    await _leave_cancellation(ctx.state)
    await show_list(ctx, lists.OrderFilter.AWAITING, 0)


async def import_command(message: Message, ctx: UpdateContext) -> None:
    await warehouses.seller_of(ctx.user_id, ctx.uow)
    # Files are imported outside conversations: asking for one leaves the current conversation.
    await ctx.state.clear()
    order_import.explain(ctx)


# ----- buttons -----


async def view_pressed(query: CallbackQuery, callback_data: OrderMenu, ctx: UpdateContext) -> None:
    order = await lifecycle.owned_order(ctx.user_id, callback_data.order_id, ctx.uow)
    show_card(ctx, order, callback_data.listing, callback_data.page)


async def confirm_pressed(
    query: CallbackQuery, callback_data: OrderMenu, ctx: UpdateContext
) -> None:
    order = await lifecycle.confirm_order(ctx.user_id, callback_data.order_id, ctx.uow)
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply(
        "orders.confirmed",
        number=order.number,
        ship_by=order.ship_by,
        minutes_left=_minutes_left(order, ctx.uow),
        keyboard=[
            # The next thing a seller does with a confirmed order is ship it.
            [Button(label="shipping.start", callback=ShipOrder(order_id=order.id))],
            [
                Button(
                    label="orders.open",
                    callback=_menu(OrderMenuAction.VIEW, order.id, lists.OrderFilter.TO_SHIP),
                ),
                Button(label="orders.back_to_list", callback=_menu(OrderMenuAction.LIST)),
            ],
        ],
    )


async def cancel_pressed(
    query: CallbackQuery, callback_data: OrderMenu, ctx: UpdateContext
) -> None:
    # Asking for a reason first would only end in the same refusal.
    order = await lifecycle.order_for(
        ctx.user_id, callback_data.order_id, OrderAction.CANCEL, ctx.uow
    )
    await ctx.state.set_state(OrderCancellation.reason)
    await ctx.state.set_data({"order_id": order.id})
    ctx.responder.reply(
        "orders.ask_cancel_reason",
        number=order.number,
        keyboard=single_button("orders.keep", _menu(OrderMenuAction.KEEP, order.id)),
    )


async def keep_pressed(query: CallbackQuery, callback_data: OrderMenu, ctx: UpdateContext) -> None:
    order = await lifecycle.owned_order(ctx.user_id, callback_data.order_id, ctx.uow)
    await _leave_cancellation(ctx.state, order.id)
    ctx.responder.remove_pressed_buttons(query)
    show_card(ctx, order)


async def cancel_reason(message: Message, ctx: UpdateContext) -> None:
    assert message.text is not None
    data = await ctx.state.get_data()
    order = await lifecycle.cancel_order(ctx.user_id, data["order_id"], message.text, ctx.uow)
    await ctx.state.clear()
    ctx.responder.reply(
        "orders.cancelled",
        number=order.number,
        reason=order.cancel_reason or "",
        keyboard=single_button("orders.back_to_list", _menu(OrderMenuAction.LIST)),
    )


def build_router() -> Router:
    """The commands and the buttons, tried before any conversation."""
    router = Router(name=__name__)
    router.message.register(orders_command, any_case_command("orders"))
    router.message.register(new_order.begin, any_case_command("neworder"))
    router.message.register(import_command, any_case_command("import"))
    register_presses(
        router,
        OrderMenu,
        {
            OrderMenuAction.LIST: list_pressed(show_list),
            OrderMenuAction.VIEW: view_pressed,
            OrderMenuAction.CONFIRM: confirm_pressed,
            OrderMenuAction.CANCEL: cancel_pressed,
            OrderMenuAction.KEEP: keep_pressed,
        },
    )
    return router


def build_answers_router() -> Router:
    """What the seller types when asked for a cancellation's reason."""
    return text_answer_router(__name__, OrderCancellation.reason, cancel_reason)
