"""The order card, the warehouse card and the review card show exactly the buttons of what the
aggregate allows in its status (`allowed_actions`), fed through the real Dispatcher."""

from __future__ import annotations

import itertools
from datetime import timedelta

from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, Chat, Message, Update, User

from bot.app import Application
from domain.model import (
    DocumentKind,
    OrderAction,
    OrderStatus,
    WarehouseAction,
    WarehouseKind,
    WarehouseStatus,
)
from domain.roles import Role
from domain.services import sellers, warehouses
from domain.services.orders import intake
from handlers.callbacks import ReviewAction, ReviewStep, WarehouseMenu, WarehouseMenuAction
from handlers.order_callbacks import OrderMenu, OrderMenuAction
from handlers.shipment_callbacks import ShipmentAction, ShipmentMenu
from handlers.shipping_callbacks import ShipOrder
from tests.e2e.conftest import OPERATOR_ID
from tests.handlers.conftest import RecordingSession

_ids = itertools.count(1000)
SELLER = User(id=7101, is_bot=False, first_name="Wei", language_code="en")
OPERATOR = User(id=OPERATOR_ID, is_bot=False, first_name="Olga", language_code="en")


def _press(user: User, data: str) -> Update:
    chat = Chat(id=user.id, type="private")
    message = Message(message_id=1, date=0, chat=chat, text="…")
    query = CallbackQuery(
        id=str(next(_ids)), from_user=user, chat_instance="c", message=message, data=data
    )
    return Update(update_id=next(_ids), callback_query=query)


async def _buttons(app: Application, user: User, data: str) -> list[str]:
    """The callback data of the buttons on the one message the press answered with."""
    session = app.bot.session
    assert isinstance(session, RecordingSession)
    session.exchanges.clear()
    await app.dispatcher.feed_update(app.bot, _press(user, data))
    await app.replies.drain()
    (card,) = [r for r in session.requests if isinstance(r, SendMessage)]
    markup = card.reply_markup
    assert markup is not None
    return [b.callback_data or "" for row in markup.inline_keyboard for b in row]  # type: ignore[union-attr]


async def _register_seller(app: Application) -> int:
    async with app.uow_factory() as uow:
        seller = await sellers.register_seller(
            sellers.RegisterSeller(SELLER.id, "Button Store", "CN", "en"), uow
        )
        await uow.commit()
        return seller.id


async def _register_warehouse(app: Application) -> int:
    await _register_seller(app)
    async with app.uow_factory() as uow:
        warehouse = await warehouses.register_warehouse(
            warehouses.RegisterWarehouse(
                telegram_user_id=SELLER.id,
                kind=WarehouseKind.DOMESTIC,
                name="Shenzhen main",
                country="CN",
                street="1 Keji Road, Nanshan",
                city="Shenzhen",
                region=None,
                postcode="518000",
                contact_name="Li Wei",
                contact_phone="+86 138 0013 8000",
                capabilities=["shipping"],
                documents=[
                    warehouses.UploadedDocument(
                        DocumentKind.BUSINESS_LICENCE,
                        "f-1",
                        "u-1",
                        "licence.pdf",
                        "application/pdf",
                        10,
                    )
                ],
            ),
            frozenset({OPERATOR_ID}),
            uow,
        )
        await uow.commit()
        return warehouse.id


async def test_the_order_card_shows_what_the_order_allows_in_every_status(
    handler_app: Application,
) -> None:
    seller_id = await _register_seller(handler_app)
    async with handler_app.uow_factory() as uow:
        order = await intake.create_order(
            intake.NewOrder(
                seller_id=seller_id,
                number="AE-BTN-1",
                ship_to_country="FR",
                ship_to_postcode="75001",
                currency="EUR",
                ship_by=uow.now() + timedelta(days=3),
                lines=[intake.NewOrderLine(product_name="Lamp", quantity=1, unit_price="20")],
            ),
            uow,
        )
        await uow.commit()
        order_id = order.id
    button_of = {
        OrderAction.CONFIRM: OrderMenu(action=OrderMenuAction.CONFIRM, order_id=order_id).pack(),
        OrderAction.SHIP: ShipOrder(order_id=order_id).pack(),
        OrderAction.CANCEL: OrderMenu(action=OrderMenuAction.CANCEL, order_id=order_id).pack(),
        OrderAction.SHIP_AGAIN: OrderMenu(
            action=OrderMenuAction.SHIP_AGAIN, order_id=order_id
        ).pack(),
        OrderAction.CANCEL_AND_REFUND: OrderMenu(
            action=OrderMenuAction.REFUND, order_id=order_id
        ).pack(),
        OrderAction.FOLLOW_SHIPMENT: ShipmentMenu(
            action=ShipmentAction.OF_ORDER, order_id=order_id
        ).pack(),
        OrderAction.NEW_BUYER_LINK: ShipmentMenu(
            action=ShipmentAction.NEW_LINK, order_id=order_id
        ).pack(),
    }
    back = OrderMenu(action=OrderMenuAction.LIST).pack()
    view = OrderMenu(action=OrderMenuAction.VIEW, order_id=order_id).pack()
    for status in OrderStatus:
        async with handler_app.uow_factory() as uow:
            stored = await uow.orders.get(order_id)
            assert stored is not None
            stored.status = status
            allowed = stored.allowed_actions(Role.SELLER)
            await uow.commit()
        expected = [button_of[action] for action in button_of if action in allowed]
        assert await _buttons(handler_app, SELLER, view) == [*expected, back], status


async def test_the_warehouse_and_review_cards_show_what_the_warehouse_allows(
    handler_app: Application,
) -> None:
    warehouse_id = await _register_warehouse(handler_app)
    seller_button_of = {
        WarehouseAction.EDIT: WarehouseMenu(
            action=WarehouseMenuAction.EDIT, warehouse_id=warehouse_id
        ).pack(),
        WarehouseAction.ADD_DOCUMENTS: WarehouseMenu(
            action=WarehouseMenuAction.ADD_DOCUMENTS, warehouse_id=warehouse_id
        ).pack(),
        WarehouseAction.ARCHIVE: WarehouseMenu(
            action=WarehouseMenuAction.ARCHIVE, warehouse_id=warehouse_id
        ).pack(),
    }
    to_list = WarehouseMenu(action=WarehouseMenuAction.LIST).pack()
    view = WarehouseMenu(action=WarehouseMenuAction.VIEW, warehouse_id=warehouse_id).pack()
    review = ReviewAction(step=ReviewStep.OPEN, warehouse_id=warehouse_id).pack()
    to_queue = ReviewAction(step=ReviewStep.QUEUE).pack()
    # An archived warehouse has no card: it answers "not found".
    for status in set(WarehouseStatus) - {WarehouseStatus.ARCHIVED}:
        async with handler_app.uow_factory() as uow:
            stored = await uow.warehouses.get(warehouse_id)
            assert stored is not None
            stored.status = status
            seller_may = stored.allowed_actions(Role.SELLER)
            operator_may = stored.allowed_actions(Role.OPERATOR)
            revision = stored.revision
            await uow.commit()
        expected = [b for action, b in seller_button_of.items() if action in seller_may]
        assert await _buttons(handler_app, SELLER, view) == [*expected, to_list], status
        decisions = [
            ReviewAction(
                step=ReviewStep.DECIDE,
                warehouse_id=warehouse_id,
                decision=decision.value,
                shown=revision,
            ).pack()
            for decision in (
                WarehouseAction.APPROVE,
                WarehouseAction.REJECT,
                WarehouseAction.REQUEST_DOCUMENTS,
                WarehouseAction.SUSPEND,
            )
            if decision in operator_may
        ]
        assert await _buttons(handler_app, OPERATOR, review) == [*decisions, to_queue], status


async def test_a_command_while_the_operator_writes_a_reason_keeps_the_decision_open(
    handler_app: Application,
) -> None:
    """Suspend asks for a reason; /review in between shows the queue and the reason typed
    next still suspends the warehouse (it was dropped silently, the text "not understood")."""
    warehouse_id = await _register_warehouse(handler_app)
    async with handler_app.uow_factory() as uow:
        stored = await uow.warehouses.get(warehouse_id)
        assert stored is not None
        stored.status = WarehouseStatus.VERIFIED
        revision = stored.revision
        await uow.commit()
    suspend = ReviewAction(
        step=ReviewStep.DECIDE,
        warehouse_id=warehouse_id,
        decision=WarehouseAction.SUSPEND.value,
        shown=revision,
    ).pack()
    await handler_app.dispatcher.feed_update(handler_app.bot, _press(OPERATOR, suspend))
    for text in ("/review", "Expired licence"):
        chat = Chat(id=OPERATOR.id, type="private")
        message = Message(message_id=next(_ids), date=0, chat=chat, from_user=OPERATOR, text=text)
        await handler_app.dispatcher.feed_update(
            handler_app.bot, Update(update_id=next(_ids), message=message)
        )
    await handler_app.replies.drain()
    async with handler_app.uow_factory() as uow:
        stored = await uow.warehouses.get(warehouse_id)
        assert stored is not None
        assert (stored.status, stored.review_note) == (
            WarehouseStatus.SUSPENDED,
            "Expired licence",
        )
