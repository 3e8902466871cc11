"""/neworder: marketplace order number -> ship-to country -> postcode -> currency -> lines
(product name -> SKU -> quantity -> unit price, repeated) -> ship-by date -> summary (edit any
part) -> create.

Declared on the conversation engine (`handlers.conversations`); each answer is checked by the
rules the order service applies, through `domain.drafts.OrderDraft`, which also owns what a
change resets. The order is created only from the summary, in the transaction that ends the
conversation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiogram import Router

from domain.countries import find_countries
from domain.drafts import OrderDraft
from domain.errors import InvalidInput
from domain.services import warehouses
from domain.services.orders import cleaning, intake
from handlers.conversations import (
    Conversation,
    Expect,
    FormControls,
    Move,
    Step,
    Turn,
    conversation_router,
)
from handlers.conversations.countries import country_step
from handlers.conversations.routing import entry
from handlers.keyboards import choose_country, single_button
from handlers.order_callbacks import NewOrderAction, NewOrderForm, OrderMenu, OrderMenuAction
from handlers.responder import Button, Keyboard

# Where semi-managed sellers ship most; any other country can be typed.
COMMON_DESTINATIONS = ("US", "FR", "ES", "DE", "GB", "PL", "BR", "KR", "NL")
COMMON_CURRENCIES = ("USD", "EUR", "CNY", "RUB", "BRL")
SHIP_BY_DAYS = (1, 2, 3, 5, 7)
LINE_STEPS = ["product_name", "sku", "quantity", "unit_price", "more_lines"]
OrderTurn = Turn[OrderDraft]

CONTROLS = FormControls.of(NewOrderForm)


# ----- answers -----


async def country_typed(turn: OrderTurn, draft: OrderDraft, text: str) -> None:
    # No match is refused by the draft, which quotes what was typed.
    matches = find_countries(text) if len(text) <= 60 else []
    if len(matches) > 1:
        chosen = choose_country(matches, turn.ctx.responder, turn.navigation, served_only=True)
        if chosen is None:
            return
        text = chosen
    await turn.advance(draft.with_country(text))


async def postcode_skipped(turn: OrderTurn, draft: OrderDraft, callback_data: Any) -> None:
    # Refused where the country has postcodes: the draft says so with an example.
    await turn.advance(draft.with_postcode(None))


async def currency_pressed(turn: OrderTurn, draft: OrderDraft, callback_data: NewOrderForm) -> None:
    await turn.advance(draft.with_currency(callback_data.value))


async def sku_skipped(turn: OrderTurn, draft: OrderDraft, callback_data: Any) -> None:
    await turn.advance(draft.with_sku(None))


async def add_line(turn: OrderTurn, draft: OrderDraft, callback_data: Any) -> None:
    await turn.go("product_name", draft.start_line())


async def line_picked(turn: OrderTurn, draft: OrderDraft, callback_data: NewOrderForm) -> None:
    """✏️ or 🗑 under the list: of the one line at once, else of the line whose number is typed."""
    if len(draft.lines) == 1:
        await _act_on_line(turn, draft, callback_data.action, 0)
        return
    action = callback_data.action.value
    await turn.ask_follow_up(
        draft, "line_action", action, "orders.ask_line_number", max=len(draft.lines)
    )


async def line_number_typed(turn: OrderTurn, draft: OrderDraft, text: str) -> None:
    action = turn.scratch("line_action")
    if action is None:
        await turn.follow_up("line_action", lambda pressed: draft)  # "use the buttons"
        return
    await _act_on_line(turn, draft, NewOrderAction(action), draft.line_index(text))


async def _act_on_line(
    turn: OrderTurn, draft: OrderDraft, action: NewOrderAction, index: int
) -> None:
    if action == NewOrderAction.CHANGE_LINE:
        await turn.go("product_name", draft.change_line(index))
    else:
        await turn.save(draft.remove_line(index), line_action=None)
        await turn.ask()


async def lines_done(turn: OrderTurn, draft: OrderDraft, callback_data: Any) -> None:
    await turn.advance(draft.finish_lines())


async def ship_by_pressed(turn: OrderTurn, draft: OrderDraft, callback_data: NewOrderForm) -> None:
    if callback_data.value not in {str(n) for n in SHIP_BY_DAYS}:
        raise InvalidInput("errors.invalid_choice")
    await turn.advance(draft.ship_in_days(int(callback_data.value), turn.ctx.uow.now()))


async def ship_by_typed(turn: OrderTurn, draft: OrderDraft, text: str) -> None:
    await turn.advance(draft.with_ship_by(text, turn.ctx.uow.now()))


async def create(turn: OrderTurn, draft: OrderDraft, callback_data: Any) -> None:
    order = await intake.create_order(draft.command(actor_id=turn.ctx.user_id), turn.ctx.uow)
    await turn.finish()
    turn.ctx.responder.reply(
        "orders.created",
        number=order.number,
        ship_by=order.ship_by,
        keyboard=single_button(
            "orders.open", OrderMenu(action=OrderMenuAction.VIEW, order_id=order.id)
        ),
    )


# ----- questions -----


def _currencies(turn: OrderTurn, draft: OrderDraft) -> Keyboard:
    return [
        [
            Button(text=code, callback=CONTROLS.data(NewOrderAction.CURRENCY, code))
            for code in COMMON_CURRENCIES
        ]
    ]


def _lines_so_far(turn: OrderTurn, draft: OrderDraft) -> Keyboard:
    # A line is changed or removed by its number in the list (one button each, not a pair per
    # line: an order may have a hundred lines, more than a keyboard holds).
    change = [
        Button(label="new_order.change_line", callback=CONTROLS.data(NewOrderAction.CHANGE_LINE)),
        Button(label="new_order.remove_line", callback=CONTROLS.data(NewOrderAction.REMOVE_LINE)),
    ]
    return [
        [
            Button(label="new_order.add_line", callback=CONTROLS.data(NewOrderAction.ADD_LINE)),
            Button(label="new_order.lines_done", callback=CONTROLS.data(NewOrderAction.LINES_DONE)),
        ],
        *([change] if draft.lines else []),
    ]


def _days(turn: OrderTurn, draft: OrderDraft) -> Keyboard:
    today = turn.ctx.uow.now().date()
    days = [
        Button(
            label="new_order.in_days",
            params={"days": n, "date": (today + timedelta(days=n)).isoformat()},
            callback=CONTROLS.data(NewOrderAction.IN_DAYS, str(n)),
        )
        for n in SHIP_BY_DAYS
    ]
    return [days[:3], days[3:]]


def _summary(turn: OrderTurn, draft: OrderDraft) -> None:
    def edit(target: str) -> Button:
        return Button(label=f"new_order.edit_{target}", callback=CONTROLS.pack(Move.EDIT, target))

    now = turn.ctx.uow.now()
    order = intake.build_order(draft.command(), now)
    turn.ctx.responder.reply(
        "orders.summary",
        order=order,
        # A date up to 30 days back is taken (an order entered late), but said before saving.
        deadline_passed=order.past_ship_by(now),
        keyboard=[
            [Button(label="new_order.create", callback=CONTROLS.data(NewOrderAction.CREATE))],
            [edit("number"), edit("ship_to")],
            [edit("currency"), edit("lines")],
            [
                edit("ship_by"),
                Button(label="common.cancel", callback=CONTROLS.pack(Move.CANCEL, "")),
            ],
        ],
    )


def _step(
    name: str, prompt: str, parse: Callable[[OrderDraft, str], OrderDraft], **more: Any
) -> Step[OrderDraft]:
    return Step(name, prompt=f"orders.{prompt}", parse=parse, **more)


CONVERSATION: Conversation[OrderDraft] = Conversation(
    name="new_order",
    state_group="NewOrderConversation",
    draft=OrderDraft.from_data,
    controls=CONTROLS,
    edits={
        "number": ["number"],
        "ship_to": ["country", "postcode"],
        "currency": ["currency"],
        "lines": LINE_STEPS,
        "ship_by": ["ship_by"],
    },
    # The lines are kept: the edit opens their list, to change, remove or add one.
    edit_starts={"lines": "more_lines"},
    steps=[
        _step("number", "ask_number", OrderDraft.with_number),
        country_step(
            "orders.ask_country",
            lambda draft: COMMON_DESTINATIONS,
            OrderDraft.with_country,
            on_text=country_typed,
            served_only=True,
        ),
        _step(
            "postcode",
            "ask_postcode",
            OrderDraft.with_postcode,
            params=lambda turn, draft: {"country": draft.country},
            **CONTROLS.offer("new_order.skip", NewOrderAction.SKIP, postcode_skipped),
        ),
        _step(
            "currency",
            "ask_currency",
            OrderDraft.with_currency,
            keyboard=_currencies,
            presses=[CONTROLS.press(NewOrderAction.CURRENCY, currency_pressed)],
        ),
        _step(
            "product_name",
            "ask_product_name",
            OrderDraft.with_product_name,
            params=lambda turn, draft: {"line_number": draft.line_number},
            # Back from the first question of a further line returns to the list of lines.
            back=lambda draft: ("more_lines", draft) if draft.lines else None,
        ),
        _step(
            "sku",
            "ask_sku",
            OrderDraft.with_sku,
            **CONTROLS.offer("new_order.skip", NewOrderAction.SKIP, sku_skipped),
        ),
        _step(
            "quantity",
            "ask_quantity",
            OrderDraft.with_quantity,
            params=lambda turn, draft: {"max": cleaning.MAX_QUANTITY},
        ),
        _step(
            "unit_price",
            "ask_unit_price",
            OrderDraft.with_unit_price,
            params=lambda turn, draft: {"currency": draft.currency},
        ),
        Step(
            "more_lines",
            prompt="orders.lines_so_far",
            params=lambda turn, draft: {"lines": list(draft.lines), "currency": draft.currency},
            keyboard=_lines_so_far,
            on_text=line_number_typed,
            presses=[
                CONTROLS.press(NewOrderAction.ADD_LINE, add_line),
                CONTROLS.press(
                    {NewOrderAction.CHANGE_LINE, NewOrderAction.REMOVE_LINE}, line_picked
                ),
                CONTROLS.press(NewOrderAction.LINES_DONE, lines_done),
            ],
            expects=Expect.BUTTONS,
            back=lambda draft: ("unit_price", draft.reopen_last_line()) if draft.lines else None,
        ),
        Step(
            "ship_by",
            prompt="orders.ask_ship_by",
            keyboard=_days,
            on_text=ship_by_typed,
            presses=[CONTROLS.press(NewOrderAction.IN_DAYS, ship_by_pressed)],
        ),
        Step(
            "summary",
            ask=_summary,
            presses=[CONTROLS.press(NewOrderAction.CREATE, create)],
        ),
    ],
)


async def _first_draft(turn: OrderTurn, event: Any) -> OrderDraft:
    """Only a registered seller enters orders."""
    seller = await warehouses.seller_of(turn.ctx.user_id, turn.ctx.uow)
    turn.ctx.responder.reply("orders.new_order_intro")
    return OrderDraft(seller_id=seller.id)


# /neworder, registered with the commands (`handlers.seller.orders`).
begin = entry(CONVERSATION, _first_draft)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    return conversation_router(__name__, CONVERSATION)
