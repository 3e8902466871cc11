"""/returns: the seller's return cases (open, waiting for me, waiting for the buyer, closed) and
a case card with its timeline."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, User

from domain.services import return_views, returns
from domain.unit_of_work import UnitOfWork
from handlers import return_case
from handlers.responder import Button, Keyboard, Responder
from handlers.return_callbacks import ReturnAction, ReturnMenu

FILTER_ROWS = (
    (return_views.CaseFilter.WAITING_FOR_ME, return_views.CaseFilter.WAITING_FOR_BUYER),
    (return_views.CaseFilter.OPEN, return_views.CaseFilter.CLOSED),
)


async def show_list(
    user_id: int,
    listing: return_views.CaseFilter,
    page: int,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    page = max(page, 0)
    items, total = await return_views.cases_for_seller(user_id, listing, uow, page=page)
    pages = max(1, -(-total // return_views.PAGE_SIZE))
    name = responder.label(f"returns.filter_{listing}")
    filters: Keyboard = [
        [
            Button(
                label="returns.filter_current" if option == listing else f"returns.filter_{option}",
                params={"name": name} if option == listing else {},
                callback=ReturnMenu(action=ReturnAction.LIST, listing=option),
            )
            for option in row
        ]
        for row in FILTER_ROWS
    ]
    rows: Keyboard = [
        [
            Button(
                label="returns.list_item",
                params={
                    "case": returns.case_number(item.case_id),
                    "number": item.order_number,
                    "status": responder.label(f"return_status.{item.status}"),
                },
                callback=ReturnMenu(
                    action=ReturnAction.VIEW, case_id=item.case_id, listing=listing, page=page
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
                callback=ReturnMenu(action=ReturnAction.LIST, listing=listing, page=page - 1),
            )
        )
    if page + 1 < pages:
        paging.append(
            Button(
                label="common.next",
                callback=ReturnMenu(action=ReturnAction.LIST, listing=listing, page=page + 1),
            )
        )
    responder.reply(
        "returns.list",
        filter_name=name,
        total=total,
        page=page + 1,
        pages=pages,
        keyboard=[*filters, *rows, paging],
    )


async def returns_command(
    message: Message, event_from_user: User, uow: UnitOfWork, responder: Responder
) -> None:
    await show_list(event_from_user.id, return_views.CaseFilter.WAITING_FOR_ME, 0, uow, responder)


async def list_pressed(
    query: CallbackQuery,
    callback_data: ReturnMenu,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    await show_list(event_from_user.id, callback_data.listing, callback_data.page, uow, responder)


async def view_pressed(
    query: CallbackQuery,
    callback_data: ReturnMenu,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    card = await return_views.seller_card(event_from_user.id, callback_data.case_id, uow)
    # The card's buttons are the case's allowed actions (`handlers.return_case`).
    back = Button(
        label="returns.back_to_list",
        callback=ReturnMenu(
            action=ReturnAction.LIST, listing=callback_data.listing, page=callback_data.page
        ),
    )
    return_case.show_card(card, responder, [back])


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(returns_command, Command("returns"))
    router.callback_query.register(list_pressed, ReturnMenu.filter(F.action == ReturnAction.LIST))
    router.callback_query.register(view_pressed, ReturnMenu.filter(F.action == ReturnAction.VIEW))
    return router
