"""/neworder: marketplace order number -> ship-to country -> postcode -> currency -> lines
(product name -> SKU -> quantity -> unit price, repeated) -> ship-by date -> summary (edit any
part) -> create.

Answers live in the FSM data (in the database), so a restart resumes at the same step. Each
answer is checked by the same rules the order service applies; the order itself is created only
from the summary, in the transaction that clears the state.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, User

from domain.countries import find_countries
from domain.errors import InvalidInput
from domain.model import Order, OrderSource
from domain.services import warehouses
from domain.services.orders import cleaning, intake
from domain.unit_of_work import UnitOfWork
from handlers.callbacks import CountryChoice
from handlers.keyboards import country_buttons, navigation_row
from handlers.order_callbacks import NewOrderAction, NewOrderForm, OrderMenu, OrderMenuAction
from handlers.responder import Button, Responder


class NewOrderConversation(StatesGroup):
    number = State()
    country = State()
    postcode = State()
    currency = State()
    product_name = State()
    sku = State()
    quantity = State()
    unit_price = State()
    more_lines = State()
    ship_by = State()
    summary = State()


N = NewOrderConversation
STEPS: list[State] = [
    N.number, N.country, N.postcode, N.currency, N.product_name, N.sku, N.quantity,
    N.unit_price, N.more_lines, N.ship_by, N.summary,
]  # fmt: skip
# What the summary's edit buttons revisit; the summary comes back after the group's last step.
EDIT_GROUPS: dict[str, list[State]] = {
    "number": [N.number],
    "ship_to": [N.country, N.postcode],
    "currency": [N.currency],
    "lines": [N.product_name, N.sku, N.quantity, N.unit_price, N.more_lines],
    "ship_by": [N.ship_by],
}
# Where semi-managed sellers ship most; any other country can be typed.
COMMON_DESTINATIONS = ("US", "FR", "ES", "DE", "GB", "PL", "BR", "KR", "NL")
COMMON_CURRENCIES = ("USD", "EUR", "CNY", "RUB", "BRL")
SHIP_BY_DAYS = (1, 2, 3, 5, 7)
TEXT_STEPS = {N.number, N.postcode, N.product_name, N.sku, N.quantity, N.unit_price}


def _form(action: NewOrderAction, value: str = "") -> NewOrderForm:
    return NewOrderForm(action=action, value=value)


def _navigation(step: State) -> list[Button]:
    back = None if step == N.number else _form(NewOrderAction.BACK)
    return navigation_row(_form(NewOrderAction.CANCEL), back)


def _lines(data: dict[str, Any]) -> list[intake.NewOrderLine]:
    return [intake.NewOrderLine(**line) for line in data.get("lines", [])]


def _command(data: dict[str, Any], actor_id: int | None = None) -> intake.NewOrder:
    return intake.NewOrder(
        seller_id=data["seller_id"],
        number=data["number"],
        ship_to_country=data["country"],
        ship_to_postcode=data.get("postcode"),
        currency=data["currency"],
        ship_by=data["ship_by"],
        lines=_lines(data),
        source=OrderSource.CONVERSATION,
        actor_id=actor_id,
    )


def _prompt(step: State, data: dict[str, Any], responder: Responder, uow: UnitOfWork) -> None:
    """Ask for what `step` needs."""
    navigation = _navigation(step)
    skip = [Button(label="new_order.skip", callback=_form(NewOrderAction.SKIP))]
    if step == N.number:
        responder.reply("orders.ask_number", keyboard=[navigation])
    elif step == N.country:
        countries = country_buttons(responder.renderer, responder.locale, COMMON_DESTINATIONS)
        responder.reply("orders.ask_country", keyboard=[*countries, navigation])
    elif step == N.postcode:
        responder.reply("orders.ask_postcode", country=data["country"], keyboard=[skip, navigation])
    elif step == N.currency:
        currencies = [
            Button(text=code, callback=_form(NewOrderAction.CURRENCY, code))
            for code in COMMON_CURRENCIES
        ]
        responder.reply("orders.ask_currency", keyboard=[currencies, navigation])
    elif step == N.product_name:
        responder.reply(
            "orders.ask_product_name",
            line_number=len(data.get("lines", [])) + 1,
            keyboard=[navigation],
        )
    elif step == N.sku:
        responder.reply("orders.ask_sku", keyboard=[skip, navigation])
    elif step == N.quantity:
        responder.reply("orders.ask_quantity", max=cleaning.MAX_QUANTITY, keyboard=[navigation])
    elif step == N.unit_price:
        responder.reply("orders.ask_unit_price", currency=data["currency"], keyboard=[navigation])
    elif step == N.more_lines:
        responder.reply(
            "orders.lines_so_far",
            lines=_lines(data),
            currency=data["currency"],
            keyboard=[
                [
                    Button(label="new_order.add_line", callback=_form(NewOrderAction.ADD_LINE)),
                    Button(label="new_order.lines_done", callback=_form(NewOrderAction.LINES_DONE)),
                ],
                navigation,
            ],
        )
    elif step == N.ship_by:
        today = uow.now().date()
        days = [
            Button(
                label="new_order.in_days",
                params={"days": n, "date": (today + timedelta(days=n)).isoformat()},
                callback=_form(NewOrderAction.IN_DAYS, str(n)),
            )
            for n in SHIP_BY_DAYS
        ]
        responder.reply("orders.ask_ship_by", keyboard=[days[:3], days[3:], navigation])
    else:
        _summary(intake.build_order(_command(data), uow.now()), responder)


def _summary(order: Order, responder: Responder) -> None:
    def edit(target: str) -> Button:
        return Button(label=f"new_order.edit_{target}", callback=_form(NewOrderAction.EDIT, target))

    responder.reply(
        "orders.summary",
        order=order,
        keyboard=[
            [Button(label="new_order.create", callback=_form(NewOrderAction.CREATE))],
            [edit("number"), edit("ship_to")],
            [edit("currency"), edit("lines")],
            [edit("ship_by"), Button(label="common.cancel", callback=_form(NewOrderAction.CANCEL))],
        ],
    )


async def _advance(
    state: FSMContext, responder: Responder, uow: UnitOfWork, answered: State, **changes: Any
) -> None:
    """Store an answer and ask the next question (or show the summary after an edit)."""
    data = await state.update_data(**changes)
    group = EDIT_GROUPS.get(data.get("editing") or "")
    if group and answered in group and answered != group[-1]:
        step = group[group.index(answered) + 1]
    elif group:
        step = N.summary
        data = await state.update_data(editing=None)
    else:
        step = STEPS[STEPS.index(answered) + 1]
    await state.set_state(step)
    _prompt(step, data, responder, uow)


async def _current(state: FSMContext) -> State:
    raw = await state.get_state()
    return next(step for step in STEPS if step.state == raw)


async def begin(user_id: int, state: FSMContext, uow: UnitOfWork, responder: Responder) -> None:
    """Start the conversation (from /neworder); only a registered seller enters orders."""
    seller = await warehouses.seller_of(user_id, uow)
    await state.set_state(N.number)
    await state.set_data({"seller_id": seller.id, "lines": [], "line": {}})
    responder.reply("orders.new_order_intro")
    _prompt(N.number, await state.get_data(), responder, uow)


async def resume(state: FSMContext, uow: UnitOfWork, responder: Responder) -> bool:
    """Ask again where the seller left off (e.g. after /start); False if not in this conversation."""
    raw = await state.get_state()
    for step in STEPS:
        if step.state == raw:
            responder.reply("conversation.resumed")
            _prompt(step, await state.get_data(), responder, uow)
            return True
    return False


# ----- navigation -----


async def cancel(query: CallbackQuery, state: FSMContext, responder: Responder) -> None:
    await state.clear()
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    responder.reply("cancel.done")


async def back(
    query: CallbackQuery, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    current = await _current(state)
    data = await state.update_data(editing=None)
    lines = list(data.get("lines", []))
    if current == N.more_lines and lines:
        # Back from the list of lines reopens the last line at its price.
        last = lines.pop()
        last.pop("unit_price", None)
        data = await state.update_data(lines=lines, line=last)
        step = N.unit_price
    elif current == N.product_name:
        step = N.more_lines if lines else N.currency
    else:
        step = STEPS[max(STEPS.index(current) - 1, 0)]
    await state.set_state(step)
    _prompt(step, data, responder, uow)


# ----- answers -----


async def number_answer(
    message: Message, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    assert message.text is not None
    number = cleaning.clean_order_number(message.text)
    await _advance(state, responder, uow, N.number, number=number)


async def _accept_country(
    raw: str, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    country = cleaning.clean_country(raw)
    data = await state.get_data()
    changes: dict[str, Any] = {"country": country}
    if data.get("country") not in (None, country):
        changes["postcode"] = None  # another country has another postcode format
    await _advance(state, responder, uow, N.country, **changes)


async def country_pressed(
    query: CallbackQuery,
    callback_data: CountryChoice,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    await _accept_country(callback_data.code, state, uow, responder)


async def country_typed(
    message: Message, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    assert message.text is not None
    matches = find_countries(message.text) if len(message.text) <= 60 else []
    if len(matches) > 1:
        keyboard = country_buttons(responder.renderer, responder.locale, matches, per_row=2)
        responder.reply("countries.choices", keyboard=[*keyboard, _navigation(N.country)])
        return
    await _accept_country(message.text, state, uow, responder)


async def postcode_answer(
    message: Message, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    assert message.text is not None
    data = await state.get_data()
    postcode = cleaning.clean_postcode(data["country"], message.text)
    await _advance(state, responder, uow, N.postcode, postcode=postcode)


async def postcode_skipped(
    query: CallbackQuery, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    data = await state.get_data()
    # Refused where the country has postcodes: the service says so with an example.
    postcode = cleaning.clean_postcode(data["country"], None)
    await _advance(state, responder, uow, N.postcode, postcode=postcode)


async def _accept_currency(
    raw: str, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    currency = cleaning.clean_currency(raw)
    data = await state.get_data()
    for line in data.get("lines", []):
        # Prices already entered must still fit the new currency (JPY has no cents).
        cleaning.clean_unit_price(line["unit_price"], currency)
    await _advance(state, responder, uow, N.currency, currency=currency)


async def currency_pressed(
    query: CallbackQuery,
    callback_data: NewOrderForm,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    await _accept_currency(callback_data.value, state, uow, responder)


async def currency_typed(
    message: Message, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    assert message.text is not None
    await _accept_currency(message.text, state, uow, responder)


async def product_name_answer(
    message: Message, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    assert message.text is not None
    name = cleaning.clean_product_name(message.text)
    await _advance(state, responder, uow, N.product_name, line={"product_name": name})


async def _update_line(state: FSMContext, **fields: Any) -> dict[str, Any]:
    data = await state.get_data()
    return {**data.get("line", {}), **fields}


async def sku_answer(
    message: Message, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    assert message.text is not None
    line = await _update_line(state, sku=cleaning.clean_sku(message.text))
    await _advance(state, responder, uow, N.sku, line=line)


async def sku_skipped(
    query: CallbackQuery, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    line = await _update_line(state, sku=None)
    await _advance(state, responder, uow, N.sku, line=line)


async def quantity_answer(
    message: Message, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    assert message.text is not None
    line = await _update_line(state, quantity=cleaning.clean_quantity(message.text))
    await _advance(state, responder, uow, N.quantity, line=line)


async def unit_price_answer(
    message: Message, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    assert message.text is not None
    data = await state.get_data()
    price = cleaning.clean_unit_price(message.text, data["currency"])
    line = {**data.get("line", {}), "unit_price": str(price)}
    lines = [*data.get("lines", []), line]
    await _advance(state, responder, uow, N.unit_price, lines=lines, line={})


async def add_line(
    query: CallbackQuery, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    data = await state.get_data()
    if len(data.get("lines", [])) >= cleaning.MAX_LINES:
        raise InvalidInput("orders.too_many_lines", max=cleaning.MAX_LINES)
    await state.set_state(N.product_name)
    _prompt(N.product_name, data, responder, uow)


async def lines_done(
    query: CallbackQuery, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    data = await state.get_data()
    if not data.get("lines"):
        raise InvalidInput("orders.no_lines")
    await _advance(state, responder, uow, N.more_lines)


async def ship_by_pressed(
    query: CallbackQuery,
    callback_data: NewOrderForm,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    if callback_data.value not in {str(n) for n in SHIP_BY_DAYS}:
        raise InvalidInput("errors.invalid_choice")
    day = uow.now().date() + timedelta(days=int(callback_data.value))
    ship_by = cleaning.clean_ship_by(day, uow.now())
    await _advance(state, responder, uow, N.ship_by, ship_by=ship_by.isoformat())


async def ship_by_typed(
    message: Message, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    assert message.text is not None
    ship_by = cleaning.clean_ship_by(message.text, uow.now())
    await _advance(state, responder, uow, N.ship_by, ship_by=ship_by.isoformat())


async def edit_part(
    query: CallbackQuery,
    callback_data: NewOrderForm,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    group = EDIT_GROUPS.get(callback_data.value)
    if group is None:
        raise InvalidInput("errors.invalid_choice")
    changes: dict[str, Any] = {"editing": callback_data.value}
    if callback_data.value == "lines":
        changes.update(lines=[], line={})  # the lines are entered again from the first
    data = await state.update_data(**changes)
    await state.set_state(group[0])
    _prompt(group[0], data, responder, uow)


async def create(
    query: CallbackQuery,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    data = await state.get_data()
    order = await intake.create_order(_command(data, actor_id=event_from_user.id), uow)
    await state.clear()
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    responder.reply(
        "orders.created",
        number=order.number,
        ship_by=order.ship_by,
        keyboard=[
            [
                Button(
                    label="orders.open",
                    callback=OrderMenu(action=OrderMenuAction.VIEW, order_id=order.id),
                )
            ]
        ],
    )


# ----- anything else while in the conversation -----


async def expecting_text(message: Message, responder: Responder) -> None:
    responder.reply("conversation.expecting_text")


async def expecting_button(
    message: Message, state: FSMContext, uow: UnitOfWork, responder: Responder
) -> None:
    responder.reply("conversation.use_buttons")
    _prompt(await _current(state), await state.get_data(), responder, uow)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.callback_query.register(
        cancel, StateFilter(N), NewOrderForm.filter(F.action == NewOrderAction.CANCEL)
    )
    router.callback_query.register(
        back, StateFilter(N), NewOrderForm.filter(F.action == NewOrderAction.BACK)
    )
    router.message.register(number_answer, N.number, F.text)
    router.callback_query.register(country_pressed, N.country, CountryChoice.filter())
    router.message.register(country_typed, N.country, F.text)
    router.message.register(postcode_answer, N.postcode, F.text)
    router.callback_query.register(
        postcode_skipped, N.postcode, NewOrderForm.filter(F.action == NewOrderAction.SKIP)
    )
    router.callback_query.register(
        currency_pressed, N.currency, NewOrderForm.filter(F.action == NewOrderAction.CURRENCY)
    )
    router.message.register(currency_typed, N.currency, F.text)
    router.message.register(product_name_answer, N.product_name, F.text)
    router.message.register(sku_answer, N.sku, F.text)
    router.callback_query.register(
        sku_skipped, N.sku, NewOrderForm.filter(F.action == NewOrderAction.SKIP)
    )
    router.message.register(quantity_answer, N.quantity, F.text)
    router.message.register(unit_price_answer, N.unit_price, F.text)
    router.callback_query.register(
        add_line, N.more_lines, NewOrderForm.filter(F.action == NewOrderAction.ADD_LINE)
    )
    router.callback_query.register(
        lines_done, N.more_lines, NewOrderForm.filter(F.action == NewOrderAction.LINES_DONE)
    )
    router.callback_query.register(
        ship_by_pressed, N.ship_by, NewOrderForm.filter(F.action == NewOrderAction.IN_DAYS)
    )
    router.message.register(ship_by_typed, N.ship_by, F.text)
    router.callback_query.register(
        edit_part, N.summary, NewOrderForm.filter(F.action == NewOrderAction.EDIT)
    )
    router.callback_query.register(
        create, N.summary, NewOrderForm.filter(F.action == NewOrderAction.CREATE)
    )
    router.message.register(
        expecting_text, StateFilter(*TEXT_STEPS, N.country, N.currency, N.ship_by)
    )
    router.message.register(expecting_button, StateFilter(N.more_lines, N.summary))
    return router
