"""/shipments: the seller's parcels by tracking state, a shipment card with its journey, a new
buyer link (earlier ones stop working), and /digest, the opt-in daily summary."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, Message

from domain.services import buyers, shipments
from handlers import lists
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.menus import register_presses
from handlers.responder import Button, Keyboard, Responder
from handlers.shipment_callbacks import ShipmentAction, ShipmentMenu

FILTER_ROWS = (
    (shipments.ShipmentFilter.MOVING, shipments.ShipmentFilter.ARRIVING),
    (shipments.ShipmentFilter.PROBLEMS, shipments.ShipmentFilter.DELIVERED),
)


async def show_list(ctx: UpdateContext, listing: shipments.ShipmentFilter, page: int) -> None:
    page = max(page, 0)
    items, total = await shipments.shipments_for(ctx.user_id, listing, ctx.uow, page=page)
    rows: Keyboard = [
        [
            Button(
                label="shipments.list_item",
                params={"number": item.order_number, "tracking": item.tracking_number},
                callback=ShipmentMenu(
                    action=ShipmentAction.VIEW,
                    shipment_id=item.shipment_id,
                    listing=listing,
                    page=page,
                ),
            )
        ]
        for item in items
    ]
    lists.reply_filtered_list(
        ctx.responder,
        "shipments",
        current=listing,
        layout=FILTER_ROWS,
        to_list=lambda option, to: ShipmentMenu(
            action=ShipmentAction.LIST, listing=option, page=to
        ),
        items=rows,
        total=total,
        page=page,
        pages=lists.page_count(total, shipments.PAGE_SIZE),
    )


def show_card(
    card: shipments.ShipmentCard, responder: Responder, listing: shipments.ShipmentFilter, page: int
) -> None:
    shipment, order = card.shipment, card.order
    responder.reply(
        "shipments.card",
        order_number=order.number,
        order_status=order.status.value,
        tracking_status=shipment.tracking_status,
        sub_status=shipment.tracking_sub_status,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        method_name=card.method_name_key,
        estimate_earliest=shipment.estimate_earliest,
        estimate_latest=shipment.estimate_latest,
        buyer_following=card.buyer_following,
        replaced=shipment.replaced_at is not None,
        events=card.events,
        keyboard=[
            [
                Button(
                    label="shipments.new_link",
                    callback=ShipmentMenu(action=ShipmentAction.NEW_LINK, order_id=order.id),
                )
            ],
            [
                Button(
                    label="shipments.back_to_list",
                    callback=ShipmentMenu(action=ShipmentAction.LIST, listing=listing, page=page),
                )
            ],
        ],
    )


async def digest_command(message: Message, ctx: UpdateContext) -> None:
    enabled = await shipments.toggle_digest(ctx.user_id, ctx.uow)
    ctx.responder.reply("shipments.digest", enabled=enabled)


async def card_pressed(
    query: CallbackQuery, callback_data: ShipmentMenu, ctx: UpdateContext
) -> None:
    """A shipment's card, from the list (by shipment; back goes to that page) or from its
    order's card (by order; back goes to the first list). Either id is checked for the caller."""
    if callback_data.action == ShipmentAction.OF_ORDER:
        card = await shipments.shipment_of_order(ctx.user_id, callback_data.order_id, ctx.uow)
        show_card(card, ctx.responder, shipments.ShipmentFilter.MOVING, 0)
        return
    card = await shipments.shipment_card(ctx.user_id, callback_data.shipment_id, ctx.uow)
    show_card(card, ctx.responder, callback_data.listing, callback_data.page)


async def new_link_pressed(
    query: CallbackQuery, callback_data: ShipmentMenu, ctx: UpdateContext, bot: Bot
) -> None:
    # Cached by aiogram after start-up; the link needs the bot's username.
    me = await bot.me()
    token = await buyers.reissue_link(ctx.user_id, callback_data.order_id, ctx.uow)
    order = await ctx.uow.orders.get(callback_data.order_id)
    assert order is not None  # reissue_link checked it is the caller's
    ctx.responder.reply(
        "shipments.new_link",
        order_number=order.number,
        link=f"https://t.me/{me.username}?start={token}",
    )


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(
        lists.list_command(show_list, shipments.ShipmentFilter.MOVING),
        any_case_command("shipments"),
    )
    router.message.register(digest_command, any_case_command("digest"))
    register_presses(
        router,
        ShipmentMenu,
        {
            ShipmentAction.LIST: lists.list_pressed(show_list),
            ShipmentAction.VIEW: card_pressed,
            ShipmentAction.OF_ORDER: card_pressed,
            ShipmentAction.NEW_LINK: new_link_pressed,
        },
    )
    return router
