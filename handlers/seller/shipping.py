"""The shipping document conversation: lines to ship -> declared value -> weight -> dimensions
-> goods characteristics -> warehouse -> logistics comparison and method -> carrier -> tracking
number -> parcel photo (above the configured order value) -> summary with compliance findings
-> confirm -> the printable PDF and the buyer's link.

Started from the order card's button (`ShipOrder`) or with `/ship <order number>`. The draft
lives in the FSM data (in the database), so a restart resumes at the same step. Every rule is in
`domain.services.shipping` (steps, confirming); this module parses, calls it, and renders.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.deep_linking import create_start_link
from markupsafe import Markup

from domain.compliance import Finding
from domain.errors import InvalidInput
from domain.logistics import GoodsCharacteristic
from domain.model import Order, Warehouse
from domain.services.shipping import confirming, document, steps
from domain.unit_of_work import UnitOfWork
from handlers.config import HandlerConfig
from handlers.keyboards import navigation_row
from handlers.responder import Button, Keyboard, Responder
from handlers.seller.shipping_comparison import comparison_view, plain
from handlers.shipping_callbacks import ShipOrder, ShippingForm, ShippingFormAction
from templates.shipping_document import (
    DocumentLine,
    ShippingDocumentView,
    render_shipping_document,
)


class ShippingDocumentForm(StatesGroup):
    lines = State()
    declared_value = State()
    weight = State()
    dimensions = State()
    goods = State()
    warehouse = State()
    method = State()
    carrier = State()
    tracking = State()
    photo = State()
    summary = State()


S = ShippingDocumentForm
STEPS: list[State] = [
    S.lines, S.declared_value, S.weight, S.dimensions, S.goods, S.warehouse,
    S.method, S.carrier, S.tracking, S.photo, S.summary,
]  # fmt: skip
TEXT_STEPS = (S.declared_value, S.weight, S.dimensions, S.carrier, S.tracking)
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class Context:
    """What every step needs: who asks, where the answers go, and the handlers' configuration."""

    def __init__(
        self,
        user_id: int,
        state: FSMContext,
        uow: UnitOfWork,
        responder: Responder,
        config: HandlerConfig,
    ) -> None:
        self.user_id = user_id
        self.state = state
        self.uow = uow
        self.responder = responder
        self.config = config

    async def draft(self) -> document.ShippingDraft:
        data = await self.state.get_data()
        if "draft" not in data:
            raise InvalidInput(
                "errors.stale_button_in_conversation", conversation="shipping_document"
            )
        return document.ShippingDraft.from_data(data["draft"])

    async def save(self, draft: document.ShippingDraft, **extra: Any) -> None:
        await self.state.update_data(draft=draft.to_data(), **extra)

    @property
    def threshold(self) -> Any:
        return self.config.parcel_photo_min_order_value


def _form(action: ShippingFormAction, value: str = "") -> ShippingForm:
    return ShippingForm(action=action, value=value)


def _navigation(step: State) -> list[Button]:
    back = None if step == S.lines else _form(ShippingFormAction.BACK)
    return navigation_row(_form(ShippingFormAction.CANCEL), back)


def _warehouse_address(warehouse: Warehouse, responder: Responder) -> str:
    parts = [warehouse.street, warehouse.city, warehouse.region, warehouse.postcode]
    country = responder.renderer.country_name(warehouse.country, responder.locale)
    return ", ".join([p for p in parts if p] + [country])


def _findings(responder: Responder, findings: list[Finding]) -> list[Markup]:
    # Each finding's text comes from its own template (already escaped HTML).
    return [Markup(responder.text(f.message_key, **f.params)) for f in findings]  # noqa: S704


# ----- prompts -----


async def _prompt(step: State, ctx: Context) -> None:
    draft = await ctx.draft()
    responder = ctx.responder
    navigation = _navigation(step)
    if step == S.lines:
        order = await steps.order_of(ctx.user_id, draft, ctx.uow)
        _prompt_lines(order, draft, responder)
    elif step == S.declared_value:
        amount = responder.renderer.money(draft.declared_value, draft.currency, responder.locale)
        keep = Button(
            label="shipping.keep_value",
            params={"amount": amount},
            callback=_form(ShippingFormAction.KEEP_VALUE),
        )
        responder.reply(
            "shipping.ask_declared_value",
            amount=draft.declared_value,
            currency=draft.currency,
            keyboard=[[keep], navigation],
        )
    elif step == S.weight:
        responder.reply("shipping.ask_weight", keyboard=[navigation])
    elif step == S.dimensions:
        responder.reply("shipping.ask_dimensions", keyboard=[navigation])
    elif step == S.goods:
        chosen = set(draft.goods)
        rows: Keyboard = [
            [
                Button(
                    label="shipping.goods_on" if good.value in chosen else "shipping.goods_off",
                    params={"name": responder.label(f"shipping.goods_{good.value}")},
                    callback=_form(ShippingFormAction.TOGGLE_GOODS, good.value),
                )
            ]
            for good in GoodsCharacteristic
        ]
        done = [Button(label="shipping.goods_done", callback=_form(ShippingFormAction.GOODS_DONE))]
        responder.reply("shipping.ask_goods", keyboard=[*rows, done, navigation])
    elif step == S.warehouse:
        warehouses = await steps.warehouses_for(ctx.user_id, ctx.uow)
        if not warehouses:
            responder.reply("shipping.no_warehouses", keyboard=[navigation])
            return
        choices: Keyboard = [
            [
                Button(
                    label="shipping.warehouse_choice",
                    params={"name": w.name, "city": w.city},
                    callback=_form(ShippingFormAction.WAREHOUSE, str(w.id)),
                )
            ]
            for w in warehouses
        ]
        responder.reply("shipping.ask_warehouse", keyboard=[*choices, navigation])
    elif step == S.method:
        await _prompt_comparison(draft, ctx, navigation)
    elif step == S.carrier:
        responder.reply("shipping.ask_carrier", keyboard=[navigation])
    elif step == S.tracking:
        responder.reply("shipping.ask_tracking", keyboard=[navigation])
    elif step == S.photo:
        order = await steps.order_of(ctx.user_id, draft, ctx.uow)
        responder.reply(
            "shipping.ask_photo",
            total=order.total,
            threshold=ctx.threshold,
            currency=order.currency,
            keyboard=[navigation],
        )
    else:
        await _summary(draft, ctx)


def _prompt_lines(order: Order, draft: document.ShippingDraft, responder: Responder) -> None:
    lines = [
        {
            "position": line.position,
            "name": line.product_name,
            "sku": line.sku,
            "ordered": line.quantity,
            "shipping": draft.quantities.get(line.id, 0),
        }
        for line in order.lines
    ]
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
                callback=_form(ShippingFormAction.EDIT_LINE, str(line.id)),
            )
        ]
        for line in order.lines
    ]
    done = [Button(label="shipping.lines_done", callback=_form(ShippingFormAction.LINES_DONE))]
    responder.reply(
        "shipping.ask_lines",
        order_number=order.number,
        lines=lines,
        partial=any(draft.quantities.get(line.id, 0) < line.quantity for line in order.lines),
        keyboard=[*buttons, done, _navigation(S.lines)],
    )


async def _prompt_comparison(
    draft: document.ShippingDraft, ctx: Context, navigation: list[Button]
) -> None:
    result = await steps.comparison(ctx.user_id, draft, ctx.uow)
    warehouse = await steps.draft_warehouse(ctx.user_id, draft, ctx.uow)
    params, buttons = comparison_view(result, draft.parcel, warehouse.name, ctx.responder)
    ctx.responder.reply("shipping.comparison", **params, keyboard=[*buttons, navigation])


async def _summary(draft: document.ShippingDraft, ctx: Context) -> None:
    responder = ctx.responder
    review = await confirming.review_document(ctx.user_id, draft, ctx.threshold, ctx.uow)
    order, q = review.order, review.option.quote
    await ctx.state.update_data(shown_warnings=review.warning_rules)
    lines = [
        {"name": line.product_name, "sku": line.sku, "quantity": draft.quantities.get(line.id, 0)}
        for line in order.lines
        if draft.quantities.get(line.id, 0) > 0
    ]
    if review.blockers:
        confirm: list[list[Button]] = []
    elif review.warnings:
        confirm = [
            [
                Button(
                    label="shipping.ack_and_confirm",
                    callback=_form(ShippingFormAction.ACK_WARNINGS),
                )
            ]
        ]
    else:
        confirm = [[Button(label="shipping.confirm", callback=_form(ShippingFormAction.CONFIRM))]]
    responder.reply(
        "shipping.summary",
        order_number=order.number,
        lines=lines,
        partial=draft.quantity_shipped != sum(line.quantity for line in order.lines),
        declared_value=draft.declared_value,
        currency=draft.currency,
        weight=plain(draft.weight_kg),
        dimensions=[plain(side) for side in draft.dimensions_cm or ()],
        goods=[responder.label(f"shipping.goods_{g}") for g in draft.goods],
        warehouse=review.warehouse.name,
        method=responder.label(f"shipping.method_{q.method.value}"),
        cost=None if q.cost is None else q.cost.amount,
        cost_currency=None if q.cost is None else q.cost.currency,
        carrier=draft.carrier,
        tracking=review.tracking.value,
        photo=draft.photo_file_id is not None,
        blockers=_findings(responder, review.blockers),
        warnings=_findings(responder, review.warnings),
        keyboard=[*confirm, _navigation(S.summary)],
    )


# ----- moving between steps -----


async def _next_step(current: State, ctx: Context, draft: document.ShippingDraft) -> State:
    step = STEPS[STEPS.index(current) + 1]
    if step == S.photo:
        order = await steps.order_of(ctx.user_id, draft, ctx.uow)
        if not steps.photo_required(order, ctx.threshold):
            step = S.summary
    return step


async def _advance(current: State, ctx: Context, draft: document.ShippingDraft) -> None:
    await ctx.save(draft, editing_line=None)
    step = await _next_step(current, ctx, draft)
    await ctx.state.set_state(step)
    await _prompt(step, ctx)


async def _current(state: FSMContext) -> State:
    raw = await state.get_state()
    return next(step for step in STEPS if step.state == raw)


async def _begin(ctx: Context, draft: document.ShippingDraft) -> None:
    await ctx.state.clear()
    await ctx.state.set_state(S.lines)
    await ctx.save(draft, editing_line=None, shown_warnings=[])
    await _prompt(S.lines, ctx)


def _ctx(
    user: User, state: FSMContext, uow: UnitOfWork, responder: Responder, config: HandlerConfig
) -> Context:
    return Context(user.id, state, uow, responder, config)


# ----- entry points -----


async def start_from_card(
    query: CallbackQuery,
    callback_data: ShipOrder,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    draft = await steps.start_document(event_from_user.id, callback_data.order_id, uow)
    await _begin(_ctx(event_from_user, state, uow, responder, config), draft)


async def start_from_command(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    draft = await steps.start_document_by_number(event_from_user.id, command.args or "", uow)
    await _begin(_ctx(event_from_user, state, uow, responder, config), draft)


# ----- navigation -----


async def cancel(query: CallbackQuery, state: FSMContext, responder: Responder) -> None:
    await state.clear()
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    responder.reply("cancel.done")


async def back(
    query: CallbackQuery,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    ctx = _ctx(event_from_user, state, uow, responder, config)
    current = await _current(state)
    step = STEPS[max(STEPS.index(current) - 1, 0)]
    if step == S.photo:
        draft = await ctx.draft()
        order = await steps.order_of(ctx.user_id, draft, uow)
        if not steps.photo_required(order, ctx.threshold):
            step = S.tracking
    await state.update_data(editing_line=None)
    await state.set_state(step)
    await _prompt(step, ctx)


# ----- lines -----


async def line_chosen(
    query: CallbackQuery,
    callback_data: ShippingForm,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    ctx = _ctx(event_from_user, state, uow, responder, config)
    order = await steps.order_of(ctx.user_id, await ctx.draft(), uow)
    line = next((ln for ln in order.lines if str(ln.id) == callback_data.value), None)
    if line is None:
        raise InvalidInput("errors.invalid_choice")
    await state.update_data(editing_line=line.id)
    responder.reply(
        "shipping.ask_line_quantity",
        name=line.product_name,
        ordered=line.quantity,
        keyboard=[_navigation(S.lines)],
    )


async def line_quantity(
    message: Message,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    assert message.text is not None
    ctx = _ctx(event_from_user, state, uow, responder, config)
    data = await state.get_data()
    draft = await ctx.draft()
    order = await steps.order_of(ctx.user_id, draft, uow)
    if data.get("editing_line") is None:
        responder.reply("conversation.use_buttons")
        _prompt_lines(order, draft, responder)
        return
    draft = steps.set_line_quantity(order, draft, int(data["editing_line"]), message.text)
    await ctx.save(draft, editing_line=None)
    _prompt_lines(order, draft, responder)


async def lines_done(
    query: CallbackQuery,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    ctx = _ctx(event_from_user, state, uow, responder, config)
    await _advance(S.lines, ctx, steps.finish_lines(await ctx.draft()))


# ----- typed answers -----


async def keep_declared_value(
    query: CallbackQuery,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    ctx = _ctx(event_from_user, state, uow, responder, config)
    await _advance(S.declared_value, ctx, await ctx.draft())


async def text_answer(
    message: Message,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    assert message.text is not None
    ctx = _ctx(event_from_user, state, uow, responder, config)
    step = await _current(state)
    draft = await ctx.draft()
    if step == S.declared_value:
        draft = steps.set_declared_value(draft, message.text)
    elif step == S.weight:
        draft = steps.set_weight(draft, message.text)
    elif step == S.dimensions:
        draft = steps.set_dimensions(draft, message.text)
    elif step == S.carrier:
        draft = steps.set_carrier(draft, message.text)
    else:
        entry = await steps.set_tracking(ctx.user_id, draft, message.text, uow)
        if entry.needs_acknowledgement:
            await ctx.save(entry.draft)
            responder.reply(
                "shipping.tracking_unknown",
                tracking=entry.number.value,
                keyboard=[
                    [
                        Button(
                            label="shipping.ack_tracking",
                            callback=_form(ShippingFormAction.ACK_TRACKING),
                        )
                    ],
                    _navigation(S.tracking),
                ],
            )
            return
        draft = entry.draft
    await _advance(step, ctx, draft)


async def tracking_acknowledged(
    query: CallbackQuery,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    ctx = _ctx(event_from_user, state, uow, responder, config)
    await _advance(S.tracking, ctx, steps.acknowledge_tracking(await ctx.draft()))


# ----- goods, warehouse, method -----


async def goods_toggled(
    query: CallbackQuery,
    callback_data: ShippingForm,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    ctx = _ctx(event_from_user, state, uow, responder, config)
    await ctx.save(steps.toggle_goods(await ctx.draft(), callback_data.value))
    await _prompt(S.goods, ctx)


async def goods_done(
    query: CallbackQuery,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    ctx = _ctx(event_from_user, state, uow, responder, config)
    await _advance(S.goods, ctx, await ctx.draft())


async def warehouse_chosen(
    query: CallbackQuery,
    callback_data: ShippingForm,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    ctx = _ctx(event_from_user, state, uow, responder, config)
    if not callback_data.value.isdigit():
        raise InvalidInput("errors.invalid_choice")
    draft = await steps.choose_warehouse(
        ctx.user_id, await ctx.draft(), int(callback_data.value), uow
    )
    await _advance(S.warehouse, ctx, draft)


async def method_chosen(
    query: CallbackQuery,
    callback_data: ShippingForm,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    ctx = _ctx(event_from_user, state, uow, responder, config)
    draft = await steps.choose_method(ctx.user_id, await ctx.draft(), callback_data.value, uow)
    await _advance(S.method, ctx, draft)


# ----- photo -----


async def photo_received(
    message: Message,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    assert message.photo
    ctx = _ctx(event_from_user, state, uow, responder, config)
    draft = steps.set_photo(await ctx.draft(), message.photo[-1].file_id)
    await _advance(S.photo, ctx, draft)


# ----- summary and confirmation -----


def _document_view(
    confirmation: confirming.Confirmation, responder: Responder
) -> ShippingDocumentView:
    review, shipment = confirmation.review, confirmation.shipment
    order = review.order
    shipped = {entry["line_id"]: entry["quantity"] for entry in shipment.lines_shipped}
    return ShippingDocumentView(
        store_name=review.seller.store_name,
        order_number=order.number,
        ship_to_country=order.ship_to_country,
        ship_to_postcode=order.ship_to_postcode or "",
        currency=shipment.declared_currency,
        lines=[
            DocumentLine(
                product_name=line.product_name,
                sku=line.sku or "",
                quantity=shipped[line.id],
                unit_price=line.unit_price,
            )
            for line in order.lines
            if line.id in shipped
        ],
        declared_value=shipment.declared_value,
        method=responder.label(f"shipping.method_{shipment.method}"),
        carrier=shipment.carrier or "",
        tracking_number=shipment.tracking_number or "",
        warehouse_name=review.warehouse.name,
        warehouse_address=_warehouse_address(review.warehouse, responder),
        weight_kg=shipment.weight_kg,
        dimensions_cm=(shipment.length_cm, shipment.width_cm, shipment.height_cm),
        chargeable_weight_kg=shipment.chargeable_weight_kg or shipment.weight_kg,
        chargeable_in_wm=shipment.method == "sea",
        estimated_cost=shipment.estimated_cost or Decimal(0),
        cost_currency=shipment.cost_currency or shipment.declared_currency,
        partial=shipment.is_partial,
        issued_at=shipment.confirmed_at or review.order.created_at,
    )


async def confirm(
    query: CallbackQuery,
    callback_data: ShippingForm,
    event_from_user: User,
    bot: Bot,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    ctx = _ctx(event_from_user, state, uow, responder, config)
    data = await state.get_data()
    acknowledged = (
        data.get("shown_warnings", [])
        if callback_data.action == ShippingFormAction.ACK_WARNINGS
        else []
    )
    draft = await ctx.draft()
    confirmation = await confirming.confirm_document(
        ctx.user_id, draft, acknowledged, ctx.threshold, uow
    )
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    if confirmation.status == "blocked":
        responder.reply(
            "shipping.blocked",
            blockers=_findings(responder, confirmation.review.blockers),
            keyboard=[_navigation(S.summary)],
        )
        return
    if confirmation.status == "needs_acknowledgement":
        responder.reply("shipping.warnings_changed")
        await _summary(draft, ctx)
        return
    await state.clear()
    order = confirmation.review.order
    pdf = render_shipping_document(
        _document_view(confirmation, responder), responder.renderer, responder.locale
    )
    filename = f"shipping-{_FILENAME_UNSAFE.sub('_', order.number)[:40]}.pdf"
    responder.document(
        filename,
        pdf,
        "shipping.document_caption",
        order_number=order.number,
        tracking=confirmation.shipment.tracking_number,
    )
    assert confirmation.buyer_token is not None
    # The link needs the bot's username: aiogram's cached getMe (filled at start-up), so no
    # request to Telegram while the transaction is open.
    link = await create_start_link(bot, confirmation.buyer_token)
    responder.reply(
        "shipping.done",
        order_number=order.number,
        link=link,
        partial=confirmation.shipment.is_partial,
    )


# ----- anything else while in the conversation -----


async def expecting_text(message: Message, responder: Responder) -> None:
    responder.reply("conversation.expecting_text")


async def expecting_photo(message: Message, responder: Responder) -> None:
    responder.reply("shipping.expecting_photo")


async def expecting_button(
    message: Message,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    responder.reply("conversation.use_buttons")
    await _prompt(await _current(state), _ctx(event_from_user, state, uow, responder, config))


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.callback_query.register(start_from_card, ShipOrder.filter())
    router.message.register(start_from_command, Command("ship"))
    router.callback_query.register(
        cancel, StateFilter(S), ShippingForm.filter(F.action == ShippingFormAction.CANCEL)
    )
    router.callback_query.register(
        back, StateFilter(S), ShippingForm.filter(F.action == ShippingFormAction.BACK)
    )
    router.callback_query.register(
        line_chosen, S.lines, ShippingForm.filter(F.action == ShippingFormAction.EDIT_LINE)
    )
    router.message.register(line_quantity, S.lines, F.text)
    router.callback_query.register(
        lines_done, S.lines, ShippingForm.filter(F.action == ShippingFormAction.LINES_DONE)
    )
    router.callback_query.register(
        keep_declared_value,
        S.declared_value,
        ShippingForm.filter(F.action == ShippingFormAction.KEEP_VALUE),
    )
    router.message.register(text_answer, StateFilter(*TEXT_STEPS), F.text)
    router.callback_query.register(
        tracking_acknowledged,
        S.tracking,
        ShippingForm.filter(F.action == ShippingFormAction.ACK_TRACKING),
    )
    router.callback_query.register(
        goods_toggled, S.goods, ShippingForm.filter(F.action == ShippingFormAction.TOGGLE_GOODS)
    )
    router.callback_query.register(
        goods_done, S.goods, ShippingForm.filter(F.action == ShippingFormAction.GOODS_DONE)
    )
    router.callback_query.register(
        warehouse_chosen, S.warehouse, ShippingForm.filter(F.action == ShippingFormAction.WAREHOUSE)
    )
    router.callback_query.register(
        method_chosen, S.method, ShippingForm.filter(F.action == ShippingFormAction.METHOD)
    )
    router.message.register(photo_received, S.photo, F.photo)
    router.callback_query.register(
        confirm,
        S.summary,
        ShippingForm.filter(
            F.action.in_({ShippingFormAction.CONFIRM, ShippingFormAction.ACK_WARNINGS})
        ),
    )
    router.message.register(expecting_text, StateFilter(*TEXT_STEPS))
    router.message.register(expecting_photo, S.photo)
    router.message.register(
        expecting_button, StateFilter(S.lines, S.goods, S.warehouse, S.method, S.summary)
    )
    return router
