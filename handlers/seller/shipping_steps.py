"""The shipping document's steps before the summary: what each asks and what its buttons and
answers do (declared in `handlers.seller.shipping`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram.types import Message

from domain import record_ids
from domain.drafts import ShippingDraft
from domain.errors import InvalidInput
from domain.logistics import GoodsCharacteristic
from domain.services.shipping import steps
from handlers.conversations import FormControls, Turn
from handlers.responder import Button, Keyboard
from handlers.seller.shipping_comparison import comparison_view
from handlers.shipping_callbacks import ShippingForm, ShippingFormAction

ShippingTurn = Turn[ShippingDraft]
CONTROLS = FormControls.of(ShippingForm)


def photo_threshold(turn: ShippingTurn) -> Decimal:
    return turn.ctx.config.parcel_photo_min_order_value


# ----- lines -----


async def ask_lines(turn: ShippingTurn, draft: ShippingDraft) -> None:
    order = await steps.order_of(turn.ctx.user_id, draft, turn.ctx.uow)
    responder = turn.ctx.responder
    buttons: Keyboard = [
        [
            Button(
                label="shipping.line_button",
                params={
                    "position": line.position,
                    "name": line.product_name[:32],
                    "quantity": responder.renderer.number(
                        draft.quantities.get(line.id, 0), responder.locale
                    ),
                },
                callback=CONTROLS.data(ShippingFormAction.EDIT_LINE, str(line.id)),
            )
        ]
        for line in order.lines
    ]
    done = [
        Button(label="shipping.lines_done", callback=CONTROLS.data(ShippingFormAction.LINES_DONE))
    ]
    responder.reply(
        "shipping.ask_lines",
        order_number=order.number,
        lines=[
            {
                "position": line.position,
                "name": line.product_name,
                "sku": line.sku,
                "ordered": line.quantity,
                "shipping": draft.quantities.get(line.id, 0),
            }
            for line in order.lines
        ],
        partial=draft.is_partial({line.id: line.quantity for line in order.lines}),
        keyboard=[*buttons, done, turn.navigation],
    )


async def line_chosen(
    turn: ShippingTurn, draft: ShippingDraft, callback_data: ShippingForm
) -> None:
    order = await steps.order_of(turn.ctx.user_id, draft, turn.ctx.uow)
    line = next((ln for ln in order.lines if str(ln.id) == callback_data.value), None)
    if line is None:
        raise InvalidInput("errors.invalid_choice")
    await turn.ask_follow_up(
        draft,
        "editing_line",
        line.id,
        "shipping.ask_line_quantity",
        name=line.product_name,
        ordered=line.quantity,
    )


async def line_quantity(turn: ShippingTurn, draft: ShippingDraft, text: str) -> None:
    async def with_quantity(line_id: Any) -> ShippingDraft:
        order = await steps.order_of(turn.ctx.user_id, draft, turn.ctx.uow)
        return steps.set_line_quantity(order, draft, int(line_id), text)

    await turn.follow_up("editing_line", with_quantity)


async def lines_done(turn: ShippingTurn, draft: ShippingDraft, callback_data: Any) -> None:
    order = await steps.order_of(turn.ctx.user_id, draft, turn.ctx.uow)
    await turn.advance(steps.finish_lines(order, draft))


def declared_value_params(turn: ShippingTurn, draft: ShippingDraft) -> dict[str, Any]:
    return {
        "amount": draft.value_offered,
        "declared": draft.declared_value,
        "currency": draft.currency,
        "partial": draft.order_total is not None
        and draft.goods_value not in (None, draft.order_total),
        "total": draft.order_total,
    }


async def declared_value_typed(turn: ShippingTurn, draft: ShippingDraft, text: str) -> None:
    updated = steps.set_declared_value(draft, text)
    if updated.declared_nothing:
        turn.ctx.responder.reply("shipping.declared_value_zero")
    await turn.advance(updated)


# ----- declared value, goods, warehouse, method, tracking, photo -----


def keep_value(turn: ShippingTurn, draft: ShippingDraft) -> Keyboard:
    responder = turn.ctx.responder
    amount = responder.renderer.money(draft.declared_value, draft.currency, responder.locale)
    keep = Button(
        label="shipping.keep_value",
        params={"amount": amount},
        callback=CONTROLS.data(ShippingFormAction.KEEP_VALUE),
    )
    return [[keep]]


async def keep_going(turn: ShippingTurn, draft: ShippingDraft, callback_data: Any) -> None:
    """The step's answer is already in the draft (the declared value kept, the goods chosen)."""
    await turn.advance(draft)


def goods(turn: ShippingTurn, draft: ShippingDraft) -> Keyboard:
    chosen = set(draft.goods)
    rows: list[list[Button]] = [
        [
            Button(
                label="shipping.goods_on" if good.value in chosen else "shipping.goods_off",
                params={"name": turn.ctx.responder.label(f"shipping.goods_{good.value}")},
                callback=CONTROLS.data(ShippingFormAction.TOGGLE_GOODS, good.value),
            )
        ]
        for good in GoodsCharacteristic
    ]
    return [
        *rows,
        [
            Button(
                label="shipping.goods_done", callback=CONTROLS.data(ShippingFormAction.GOODS_DONE)
            )
        ],
    ]


async def goods_toggled(
    turn: ShippingTurn, draft: ShippingDraft, callback_data: ShippingForm
) -> None:
    await turn.stay(steps.toggle_goods(draft, callback_data.value))


async def ask_warehouse(turn: ShippingTurn, draft: ShippingDraft) -> None:
    owned = await steps.warehouses_for(turn.ctx.user_id, turn.ctx.uow)
    if not owned:
        turn.ctx.responder.reply("shipping.no_warehouses", keyboard=[turn.navigation])
        return
    choices: Keyboard = [
        [
            Button(
                label="shipping.warehouse_choice",
                params={"name": w.name, "city": w.city},
                callback=CONTROLS.data(ShippingFormAction.WAREHOUSE, str(w.id)),
            )
        ]
        for w in owned
    ]
    turn.ctx.responder.reply("shipping.ask_warehouse", keyboard=[*choices, turn.navigation])


async def warehouse_chosen(
    turn: ShippingTurn, draft: ShippingDraft, callback_data: ShippingForm
) -> None:
    warehouse_id = record_ids.parse_record_id(callback_data.value)
    chosen = await steps.choose_warehouse(turn.ctx.user_id, draft, warehouse_id, turn.ctx.uow)
    await turn.advance(chosen)


async def ask_method(turn: ShippingTurn, draft: ShippingDraft) -> None:
    result = await steps.comparison(turn.ctx.user_id, draft, turn.ctx.uow)
    warehouse = await steps.draft_warehouse(turn.ctx.user_id, draft, turn.ctx.uow)
    params, buttons = comparison_view(result, draft.parcel, warehouse.name, turn.ctx.responder)
    turn.ctx.responder.reply("shipping.comparison", **params, keyboard=[*buttons, turn.navigation])


async def method_chosen(
    turn: ShippingTurn, draft: ShippingDraft, callback_data: ShippingForm
) -> None:
    await turn.advance(
        await steps.choose_method(turn.ctx.user_id, draft, callback_data.value, turn.ctx.uow)
    )


async def tracking_typed(turn: ShippingTurn, draft: ShippingDraft, text: str) -> None:
    entry = await steps.set_tracking(turn.ctx.user_id, draft, text, turn.ctx.uow)
    if not entry.needs_acknowledgement:
        await turn.advance(entry.draft)
        return
    await turn.save(entry.draft)
    acknowledge = Button(
        label="shipping.ack_tracking", callback=CONTROLS.data(ShippingFormAction.ACK_TRACKING)
    )
    turn.ctx.responder.reply(
        "shipping.tracking_unknown",
        tracking=entry.number.value,
        keyboard=[[acknowledge], turn.navigation],
    )


async def tracking_acknowledged(
    turn: ShippingTurn, draft: ShippingDraft, callback_data: Any
) -> None:
    await turn.advance(steps.acknowledge_tracking(draft))


async def photo_applies(turn: ShippingTurn, draft: ShippingDraft) -> bool:
    return draft.needs_photo(photo_threshold(turn))


async def ask_photo(turn: ShippingTurn, draft: ShippingDraft) -> None:
    order = await steps.order_of(turn.ctx.user_id, draft, turn.ctx.uow)
    turn.ctx.responder.reply(
        "shipping.ask_photo",
        total=order.total,
        threshold=photo_threshold(turn),
        currency=order.currency,
        keyboard=[turn.navigation],
    )


async def photo_received(turn: ShippingTurn, draft: ShippingDraft, message: Message) -> None:
    assert message.photo
    await turn.advance(steps.set_photo(draft, message.photo[-1].file_id))
