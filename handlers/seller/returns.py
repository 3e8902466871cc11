"""/returns: the seller's return cases (open, waiting for me, waiting for the buyer, closed) and
a case card with its timeline."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, User

from domain.services import return_views, returns
from domain.unit_of_work import UnitOfWork
from handlers import lists, return_case
from handlers.menus import register_presses
from handlers.responder import Button, Keyboard, Responder
from handlers.return_callbacks import ReturnAction, ReturnMenu
from handlers.seller import return_policy

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
    lists.reply_filtered_list(
        responder,
        "returns",
        current=listing,
        layout=FILTER_ROWS,
        to_list=lambda option, to: ReturnMenu(action=ReturnAction.LIST, listing=option, page=to),
        items=rows,
        total=total,
        page=page,
        pages=lists.page_count(total, return_views.PAGE_SIZE),
        extra_rows=[[return_policy.policy_button()]],
    )


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
    router.message.register(
        lists.list_command(show_list, return_views.CaseFilter.WAITING_FOR_ME), Command("returns")
    )
    register_presses(
        router,
        ReturnMenu,
        {ReturnAction.LIST: lists.list_pressed(show_list), ReturnAction.VIEW: view_pressed},
    )
    return router
