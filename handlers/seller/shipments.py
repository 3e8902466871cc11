"""/shipments: the seller's parcels by tracking state, a shipment card with its journey, a new
buyer link (earlier ones stop working), and /digest, the opt-in daily summary."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, User

from bot.responder import Button, Keyboard, Responder
from domain.services import buyers, shipments
from domain.services.shipments import PAGE_SIZE, ShipmentCard, ShipmentFilter
from domain.unit_of_work import UnitOfWork
from handlers.shipment_callbacks import ShipmentAction, ShipmentMenu

router = Router(name=__name__)
A = ShipmentAction
FILTER_ROWS = (
    (ShipmentFilter.MOVING, ShipmentFilter.ARRIVING),
    (ShipmentFilter.PROBLEMS, ShipmentFilter.DELIVERED),
)


async def show_list(
    user_id: int, listing: ShipmentFilter, page: int, uow: UnitOfWork, responder: Responder
) -> None:
    page = max(page, 0)
    items, total = await shipments.shipments_for(user_id, listing, uow, page=page)
    pages = max(1, -(-total // PAGE_SIZE))
    name = responder.label(f"shipments.filter_{listing}")
    filters: Keyboard = [
        [
            Button(
                label="shipments.filter_current"
                if option == listing
                else f"shipments.filter_{option}",
                params={"name": name} if option == listing else {},
                callback=ShipmentMenu(action=A.LIST, listing=option),
            )
            for option in row
        ]
        for row in FILTER_ROWS
    ]
    rows: Keyboard = [
        [
            Button(
                label="shipments.list_item",
                params={"number": item.order_number, "tracking": item.tracking_number},
                callback=ShipmentMenu(
                    action=A.VIEW, shipment_id=item.shipment_id, listing=listing, page=page
                ),
            )
        ]
        for item in items
    ]
    paging: list[Button] = []
    if page > 0:
        paging.append(
            Button(
                label="common.previous",
                callback=ShipmentMenu(action=A.LIST, listing=listing, page=page - 1),
            )
        )
    if page + 1 < pages:
        paging.append(
            Button(
                label="common.next",
                callback=ShipmentMenu(action=A.LIST, listing=listing, page=page + 1),
            )
        )
    responder.reply(
        "shipments.list",
        filter_name=name,
        total=total,
        page=page + 1,
        pages=pages,
        keyboard=[*filters, *rows, paging],
    )


def show_card(card: ShipmentCard, responder: Responder, listing: ShipmentFilter, page: int) -> None:
    shipment, order = card.shipment, card.order
    responder.reply(
        "shipments.card",
        order_number=order.number,
        order_status=order.status.value,
        tracking_status=shipment.tracking_status,
        sub_status=shipment.tracking_sub_status,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        method=shipment.method,
        estimate_earliest=shipment.estimate_earliest,
        estimate_latest=shipment.estimate_latest,
        buyer_following=card.buyer_following,
        events=card.events,
        keyboard=[
            [
                Button(
                    label="shipments.new_link",
                    callback=ShipmentMenu(action=A.NEW_LINK, order_id=order.id),
                )
            ],
            [
                Button(
                    label="shipments.back_to_list",
                    callback=ShipmentMenu(action=A.LIST, listing=listing, page=page),
                )
            ],
        ],
    )


@router.message(Command("shipments"))
async def shipments_command(
    message: Message, event_from_user: User, uow: UnitOfWork, responder: Responder
) -> None:
    await show_list(event_from_user.id, ShipmentFilter.MOVING, 0, uow, responder)


@router.message(Command("digest"))
async def digest_command(
    message: Message, event_from_user: User, uow: UnitOfWork, responder: Responder
) -> None:
    enabled = await shipments.toggle_digest(event_from_user.id, uow)
    responder.reply("shipments.digest", enabled=enabled)


@router.callback_query(ShipmentMenu.filter(F.action == A.LIST))
async def list_pressed(
    query: CallbackQuery,
    callback_data: ShipmentMenu,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    await show_list(event_from_user.id, callback_data.listing, callback_data.page, uow, responder)


@router.callback_query(ShipmentMenu.filter(F.action == A.VIEW))
async def view_pressed(
    query: CallbackQuery,
    callback_data: ShipmentMenu,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    card = await shipments.shipment_card(event_from_user.id, callback_data.shipment_id, uow)
    show_card(card, responder, callback_data.listing, callback_data.page)


@router.callback_query(ShipmentMenu.filter(F.action == A.OF_ORDER))
async def order_shipment_pressed(
    query: CallbackQuery,
    callback_data: ShipmentMenu,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    card = await shipments.shipment_of_order(event_from_user.id, callback_data.order_id, uow)
    show_card(card, responder, ShipmentFilter.MOVING, 0)


@router.callback_query(ShipmentMenu.filter(F.action == A.NEW_LINK))
async def new_link_pressed(
    query: CallbackQuery,
    callback_data: ShipmentMenu,
    event_from_user: User,
    bot: Bot,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    # Cached by aiogram after start-up; the link needs the bot's username.
    me = await bot.me()
    token = await buyers.reissue_link(event_from_user.id, callback_data.order_id, uow)
    order = await uow.orders.get(callback_data.order_id)
    assert order is not None  # reissue_link checked it is the caller's
    responder.reply(
        "shipments.new_link",
        order_number=order.number,
        link=f"https://t.me/{me.username}?start={token}",
    )
