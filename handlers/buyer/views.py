"""How the buyer's order card and lists are shown (shared by the link and the commands)."""

from __future__ import annotations

from domain.returns.rules import Side
from domain.services import buyers, returns
from handlers.buyer.callbacks import BuyerAction, BuyerCase, BuyerCaseAction, BuyerOrder
from handlers.lists import page_count, paging_row
from handlers.responder import Button, Keyboard, Responder
from handlers.return_callbacks import CaseAct, CaseButton


def card_keyboard(view: buyers.BuyerOrderView) -> Keyboard:
    mute = (
        Button(
            label="buyer.unmute",
            callback=BuyerOrder(action=BuyerAction.UNMUTE, order_id=view.order_id),
        )
        if view.muted
        else Button(
            label="buyer.mute", callback=BuyerOrder(action=BuyerAction.MUTE, order_id=view.order_id)
        )
    )
    # Drawn from what the domain allows: the order's OPEN_RETURN, each case's WITHDRAW.
    returning: list[list[Button]] = []
    if view.can_return:
        returning.append(
            [
                Button(
                    label="buyer.return",
                    callback=BuyerOrder(action=BuyerAction.RETURN, order_id=view.order_id),
                )
            ]
        )
    returning.extend(
        [
            Button(
                label="buyer.open_case",
                params={"case": returns.case_number(case.case_id)},
                callback=CaseAct(action=CaseButton.OPEN, case_id=case.case_id, side=Side.BUYER),
            )
        ]
        for case in view.cases
    )
    returning.extend(
        [
            Button(
                label="buyer.withdraw_case",
                params={"case": returns.case_number(case.case_id)},
                callback=BuyerCase(action=BuyerCaseAction.WITHDRAW, case_id=case.case_id),
            )
        ]
        for case in view.cases
        if case.can_withdraw
    )
    return [
        [
            Button(
                label="buyer.timeline",
                callback=BuyerOrder(action=BuyerAction.TIMELINE, order_id=view.order_id),
            )
        ],
        *returning,
        [
            mute,
            Button(
                label="buyer.help",
                callback=BuyerOrder(action=BuyerAction.HELP, order_id=view.order_id),
            ),
        ],
    ]


def show_card(view: buyers.BuyerOrderView, responder: Responder, *, welcome: bool = False) -> None:
    responder.reply("buyer.order_card", view=view, welcome=welcome, keyboard=card_keyboard(view))


def edit_card(view: buyers.BuyerOrderView, message_id: int, responder: Responder) -> None:
    responder.edit(
        message_id, "buyer.order_card", view=view, welcome=False, keyboard=card_keyboard(view)
    )


def show_list(
    orders: list[buyers.BuyerOrderSummary],
    total: int,
    page: int,
    responder: Responder,
    *,
    action: BuyerAction = BuyerAction.OPEN,
    template: str = "buyer.orders",
) -> None:
    if not orders:
        responder.reply("buyer.no_orders")
        return
    items: Keyboard = [
        [
            Button(
                label="buyer.order_item",
                params={"number": order.order_number, "store": order.store_name},
                callback=BuyerOrder(action=action, order_id=order.order_id),
            )
        ]
        for order in orders
    ]
    paging = paging_row(
        page,
        page_count(total, buyers.PAGE_SIZE),
        lambda to: BuyerOrder(action=BuyerAction.LIST, page=to),
    )
    responder.reply(template, orders=orders, total=total, keyboard=[*items, paging])
