"""Logistics settings commands: `/budget` (policy), `/rates` (rate card file or the example),
`/fx` (exchange rates the seller supplies) and `/costs` (month-to-date spend by method).

A rate-card file is read in the background (`handlers.uploads`): the handler only checks who sent
what, and `_store_card` saves the card once the file worker has read it. What the seller sends
while a card is awaited comes among the conversations (`build_answers_router`), after every
command, so /fx or /costs still answer there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from aiogram import F, Router
from aiogram.filters import CommandObject, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from domain.errors import InvalidInput
from domain.logistics import MAX_CARD_BYTES, BudgetPolicy, RateCard, method_name_key
from domain.services import logistics_settings, warehouses
from domain.services.orders import import_jobs
from domain.services.shipping import cost_ledger
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.menus import register_presses
from handlers.responder import Button, Keyboard
from handlers.shipping_callbacks import RateCardAction, RateCardForm, SentRateCard
from handlers.uploads import FileStepRunner, FileUpload, StepContext

RATE_CARD_SUFFIXES = (".json", ".csv", ".txt")
# How long the file worker may spend reading one rate card (at most MAX_CARD_BYTES).
RATE_CARD_SECONDS = 10.0


class RateCardUpload(StatesGroup):
    waiting_file = State()


def _policy_params(policy: BudgetPolicy | None) -> dict[str, Any]:
    per_order = None if policy is None else policy.max_per_order
    return {
        "policy_set": policy is not None,
        "share_percent": None
        if policy is None or policy.max_share is None
        else (policy.max_share * 100).normalize(),
        "max_per_order": None if per_order is None else per_order.amount,
        "budget_currency": None if per_order is None else per_order.currency,
        "mode": "warn" if policy is None else policy.mode,
    }


def card_params(card: RateCard, custom: bool) -> dict[str, Any]:
    """The card's label and its lanes, grouped by where they start."""
    return {
        "label": card.label,
        "example": card.example or not custom,
        "currency": card.currency,
        "lane_count": len(card.lanes),
        "origins": [
            {
                "kind": origin.kind,
                "name": origin.name,
                "destinations": [
                    {"kind": lane.destination.kind, "name": lane.destination.name}
                    for lane in card.lanes_from(origin)
                ],
            }
            for origin in card.origins
        ],
    }


# ----- /budget -----


async def budget(message: Message, command: CommandObject, ctx: UpdateContext) -> None:
    if not command.args:
        profile = await logistics_settings.current_profile(ctx.user_id, ctx.uow)
        ctx.responder.reply("logistics.budget_show", **_policy_params(profile.policy))
        return
    policy = await logistics_settings.set_budget_policy(
        ctx.user_id, logistics_settings.parse_budget(command.args), ctx.uow
    )
    ctx.responder.reply("logistics.budget_saved", **_policy_params(policy))


# ----- /rates -----


def _rates_keyboard() -> list[list[Button]]:
    return [
        [Button(label="logistics.rates_reset", callback=RateCardForm(action=RateCardAction.RESET))],
        [Button(label="common.cancel", callback=RateCardForm(action=RateCardAction.CANCEL))],
    ]


async def rates(message: Message, ctx: UpdateContext) -> None:
    profile = await logistics_settings.current_profile(ctx.user_id, ctx.uow)
    await ctx.state.clear()
    await ctx.state.set_state(RateCardUpload.waiting_file)
    ctx.responder.reply(
        "logistics.rates_show",
        **card_params(profile.rate_card, profile.custom_card),
        keyboard=_rates_keyboard(),
    )


async def rate_card_file(message: Message, ctx: UpdateContext, file_steps: FileStepRunner) -> None:
    """Check what was sent; the app reads it in the background and `_store_card` finishes."""
    document = message.document
    assert document is not None
    filename = document.file_name or ""
    await warehouses.seller_of(ctx.user_id, ctx.uow)
    if not filename.lower().endswith(RATE_CARD_SUFFIXES):
        raise InvalidInput("rates.unsupported_file", filename=filename[:100])
    if (document.file_size or 0) > MAX_CARD_BYTES:
        raise _too_large()
    _read_card(ctx, file_steps, document.file_id, filename, message.chat.id)


def _too_large() -> InvalidInput:
    return InvalidInput("logistics.rates_file_too_large", max_kb=MAX_CARD_BYTES // 1024)


def _read_card(
    ctx: UpdateContext, file_steps: FileStepRunner, file_id: str, filename: str, chat_id: int
) -> None:
    """Have the app read the file once the update commits; `_store_card` then saves it."""
    upload = FileUpload(
        job="rate_card",
        file_id=file_id,
        file_name=filename,
        user_id=ctx.user_id,
        chat_id=chat_id,
        locale=ctx.responder.locale,
        max_bytes=MAX_CARD_BYTES,
        too_large=_too_large(),
        seconds=RATE_CARD_SECONDS,
        unreadable_key="files.unreadable",
    )
    ctx.uow.after_commit(lambda: file_steps.start(upload, partial(_store_card, filename)))
    ctx.responder.reply("logistics.rates_reading", filename=filename)


async def use_sent_rate_card(
    query: CallbackQuery,
    callback_data: SentRateCard,
    ctx: UpdateContext,
    file_steps: FileStepRunner,
) -> None:
    """The answer to "this looks like a rate card": read that very file as the /rates step
    would (the press is the seller's yes; /rates' Cancel still stops it while it is read)."""
    sent = await import_jobs.file_sent_as_rate_card(ctx.user_id, callback_data.import_id, ctx.uow)
    await ctx.state.clear()
    await ctx.state.set_state(RateCardUpload.waiting_file)
    ctx.responder.remove_pressed_buttons(query)
    chat_id = query.message.chat.id if query.message is not None else ctx.user_id
    _read_card(ctx, file_steps, sent.file_id, sent.file_name, chat_id)


def notice_keyboard(params: Mapping[str, Any]) -> Keyboard:
    """The button of an import's failure notice when the file was a rate card."""
    import_id = params.get(import_jobs.RATE_CARD_FROM_IMPORT)
    if not isinstance(import_id, int):
        return []
    return [
        [
            Button(
                label="logistics.use_sent_rate_card",
                callback=SentRateCard(import_id=import_id),
            )
        ]
    ]


async def _store_card(filename: str, card_data: Any, step: StepContext) -> None:
    """The rest of the /rates step, once the file was read: save the card, end the step."""
    if await step.state.get_state() != RateCardUpload.waiting_file.state:
        return  # cancelled (or reset) meanwhile: the seller no longer wants this file
    user_id = step.state.key.user_id
    card = await logistics_settings.store_rate_card(user_id, filename, card_data, step.uow)
    await step.state.clear()
    step.responder.reply("logistics.rates_saved", **card_params(card, custom=True))


async def rate_card_expected(message: Message, ctx: UpdateContext) -> None:
    ctx.responder.reply("logistics.rates_expecting_file", keyboard=_rates_keyboard())


async def rate_card_reset(query: CallbackQuery, ctx: UpdateContext) -> None:
    card = await logistics_settings.reset_rate_card(ctx.user_id, ctx.uow)
    await ctx.state.clear()
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply("logistics.rates_reset_done", **card_params(card, custom=False))


async def rate_card_cancel(query: CallbackQuery, ctx: UpdateContext) -> None:
    await ctx.state.clear()
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply("cancel.done")


# ----- /fx -----


async def exchange_rates(message: Message, command: CommandObject, ctx: UpdateContext) -> None:
    args = (command.args or "").strip()
    if args.casefold() in {"clear", "off", "reset"}:
        await logistics_settings.clear_exchange_rates(ctx.user_id, ctx.uow)
        ctx.responder.reply("logistics.fx_show", rates=[], cleared=True)
        return
    if args:
        entry = logistics_settings.parse_exchange_rate(args)
        saved = await logistics_settings.set_exchange_rate(ctx.user_id, entry, ctx.uow)
        ctx.responder.reply(
            "logistics.fx_saved",
            source=entry.source,
            target=entry.target,
            rate=entry.rate,
            rates=logistics_settings.exchange_rate_list(saved),
        )
        return
    profile = await logistics_settings.current_profile(ctx.user_id, ctx.uow)
    ctx.responder.reply(
        "logistics.fx_show",
        rates=logistics_settings.exchange_rate_list(profile.rates),
        cleared=False,
    )


# ----- /costs -----


async def costs(message: Message, command: CommandObject, ctx: UpdateContext) -> None:
    """`/costs [YYYY-MM] [express|sea|land]`: a month's logistics spend (this month so far)."""
    seller = await warehouses.seller_of(ctx.user_id, ctx.uow)
    now = ctx.uow.now()
    query = cost_ledger.parse_costs_query(command.args, now)
    report = await cost_ledger.costs_of(seller, query, now, ctx.uow)
    last_day = report.until if report.current else report.until - timedelta(days=1)
    ctx.responder.reply(
        "logistics.costs",
        month=report.since,
        first_day=report.since.date().isoformat(),
        last_day=last_day.date().isoformat(),
        current=report.current,
        # A month's costs span lanes: a method's name without one.
        method=None
        if report.method is None
        else ctx.responder.label(method_name_key(report.method)),
        policy_set=report.policy_set,
        rows=[
            {
                "method": ctx.responder.label(method_name_key(row.method)),
                "shipments": row.shipments,
                "spent": row.spent.amount,
                "currency": row.currency,
                "budget": None if row.budget is None else row.budget.amount,
                "over": row.over_budget,
                "unchecked": row.unchecked,
            }
            for row in report.rows
        ],
        totals=[
            {"amount": total.amount, "currency": total.currency}
            for total in (report.totals if len(report.rows) > 1 else [])
        ],
    )


def build_router() -> Router:
    """The commands and the buttons, tried before any conversation."""
    router = Router(name=__name__)
    router.message.register(budget, any_case_command("budget"))
    router.message.register(rates, any_case_command("rates"))
    register_presses(
        router,
        RateCardForm,
        {RateCardAction.RESET: rate_card_reset, RateCardAction.CANCEL: rate_card_cancel},
        StateFilter(RateCardUpload),
    )
    router.callback_query.register(use_sent_rate_card, SentRateCard.filter())
    router.message.register(exchange_rates, any_case_command("fx"))
    router.message.register(costs, any_case_command("costs"))
    return router


def build_answers_router() -> Router:
    """What the seller sends while a rate card is awaited: among the conversations, after
    every command, so a command is never answered with the reminder."""
    router = Router(name=f"{__name__}.answers")
    router.message.register(rate_card_file, RateCardUpload.waiting_file, F.document)
    router.message.register(rate_card_expected, RateCardUpload.waiting_file)
    return router
