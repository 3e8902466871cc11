"""/returns: the seller's return cases (open, waiting for me, waiting for the buyer, closed) and
a case card with its timeline."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from domain.services import return_views, returns
from handlers import lists, return_case
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.menus import register_presses
from handlers.responder import Button, Keyboard
from handlers.return_callbacks import ReturnAction, ReturnMenu
from handlers.seller import return_policy

FILTER_ROWS = (
    (return_views.CaseFilter.WAITING_FOR_ME, return_views.CaseFilter.WAITING_FOR_BUYER),
    (return_views.CaseFilter.OPEN, return_views.CaseFilter.CLOSED),
)


async def show_list(ctx: UpdateContext, listing: return_views.CaseFilter, page: int) -> None:
    page = max(page, 0)
    items, total = await return_views.cases_for_seller(ctx.user_id, listing, ctx.uow, page=page)
    rows: Keyboard = [
        [
            Button(
                label="returns.list_item",
                params={
                    "case": returns.case_number(item.case_id),
                    "number": item.order_number,
                    "status": ctx.responder.label(f"return_status.{item.status}"),
                },
                callback=ReturnMenu(
                    action=ReturnAction.VIEW, case_id=item.case_id, listing=listing, page=page
                ),
            )
        ]
        for item in items
    ]
    lists.reply_filtered_list(
        ctx.responder,
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


async def view_pressed(query: CallbackQuery, callback_data: ReturnMenu, ctx: UpdateContext) -> None:
    card = await return_views.seller_card(ctx.user_id, callback_data.case_id, ctx.uow)
    # The card's buttons are the case's allowed actions (`handlers.return_case`).
    back = Button(
        label="returns.back_to_list",
        callback=ReturnMenu(
            action=ReturnAction.LIST, listing=callback_data.listing, page=callback_data.page
        ),
    )
    return_case.show_card(card, ctx.responder, [back])


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(
        lists.list_command(show_list, return_views.CaseFilter.WAITING_FOR_ME),
        any_case_command("returns"),
    )
    register_presses(
        router,
        ReturnMenu,
        {ReturnAction.LIST: lists.list_pressed(show_list), ReturnAction.VIEW: view_pressed},
    )
    return router
