"""Commands every user has: /start, /help, /cancel, /language, /privacy, /delete_my_data."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, User

from bot.responder import Button, Responder
from bot.settings import Settings
from domain.model import PROCESSED_UPDATE_RETENTION
from domain.services import erasure, sellers
from domain.unit_of_work import UnitOfWork
from handlers.buyer.callbacks import BuyerAction, BuyerOrder
from handlers.callbacks import (
    ErasureAction,
    ErasureStep,
    LanguageChoice,
    LanguagePurpose,
    Role,
    RoleChoice,
    WarehouseMenu,
    WarehouseMenuAction,
)
from handlers.keyboards import language_keyboard
from handlers.order_callbacks import OrderMenu, OrderMenuAction
from handlers.seller import new_order, registration, warehouse_registration

router = Router(name=__name__)


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, responder: Responder) -> None:
    if await state.get_state() is None:
        responder.reply("cancel.nothing", remove_reply_keyboard=True)
        return
    await state.clear()
    responder.reply("cancel.done", remove_reply_keyboard=True)


@router.message(CommandStart())
async def start(
    message: Message,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    settings: Settings,
) -> None:
    if await state.get_state() is not None and (
        await registration.resume(state, responder)
        or await warehouse_registration.resume(state, responder)
        or await new_order.resume(state, uow, responder)
    ):
        return
    role = await sellers.role_of(event_from_user.id, settings.operator_ids, uow)
    if role == "operator":
        responder.reply("start.welcome_operator", name=event_from_user.first_name)
    elif role == "seller":
        seller = await uow.sellers.by_telegram_user(event_from_user.id)
        assert seller is not None
        responder.reply(
            "start.welcome_seller",
            store_name=seller.store_name,
            # The two places a returning seller goes most, one tap away.
            keyboard=[
                [
                    Button(label="menu.orders", callback=OrderMenu(action=OrderMenuAction.LIST)),
                    Button(
                        label="menu.warehouses",
                        callback=WarehouseMenu(action=WarehouseMenuAction.LIST),
                    ),
                ]
            ],
        )
    elif role == "buyer":
        responder.reply(
            "start.welcome_buyer",
            keyboard=[
                [Button(label="buyer.my_purchases", callback=BuyerOrder(action=BuyerAction.LIST))]
            ],
        )
    else:
        responder.reply(
            "start.welcome_new",
            name=event_from_user.first_name,
            keyboard=[
                [Button(label="role.seller", callback=RoleChoice(role=Role.SELLER))],
                [Button(label="role.buyer", callback=RoleChoice(role=Role.BUYER))],
            ],
        )


@router.callback_query(RoleChoice.filter(F.role == Role.BUYER))
async def chose_buyer(query: CallbackQuery, responder: Responder) -> None:
    responder.reply("start.buyer_info")


@router.message(Command("help"))
async def help_command(
    message: Message,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
    settings: Settings,
) -> None:
    role = await sellers.role_of(event_from_user.id, settings.operator_ids, uow)
    responder.reply(f"help.{role}")


@router.message(Command("language"))
async def language(message: Message, responder: Responder) -> None:
    responder.reply(
        "language.choose",
        keyboard=language_keyboard(responder.renderer, LanguagePurpose.PREFERENCE),
    )


@router.callback_query(LanguageChoice.filter(F.purpose == LanguagePurpose.PREFERENCE))
async def language_chosen(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    await sellers.set_language(event_from_user.id, callback_data.locale, uow)
    responder.locale = callback_data.locale
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    responder.reply(
        "language.changed", language=responder.renderer.language_name(callback_data.locale)
    )


@router.message(Command("privacy"))
async def privacy(message: Message, responder: Responder, settings: Settings) -> None:
    responder.reply(
        "privacy.policy",
        outbox_days=settings.outbox_retention_days,
        update_id_hours=int(PROCESSED_UPDATE_RETENTION.total_seconds() // 3600),
    )


@router.message(Command("delete_my_data"))
async def delete_my_data(message: Message, responder: Responder) -> None:
    responder.reply(
        "erasure.confirm",
        keyboard=[
            [Button(label="erasure.confirm", callback=ErasureAction(step=ErasureStep.CONFIRM))],
            [Button(label="erasure.keep", callback=ErasureAction(step=ErasureStep.KEEP))],
        ],
    )


@router.callback_query(ErasureAction.filter())
async def erasure_decided(
    query: CallbackQuery,
    callback_data: ErasureAction,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    if callback_data.step == ErasureStep.KEEP:
        responder.reply("erasure.kept")
        return
    blockers = await erasure.erase_user_data(event_from_user.id, uow)
    if blockers:
        responder.reply("erasure.blocked", blockers=blockers)
        return
    await state.clear()
    await uow.conversation_states.delete_for_user(event_from_user.id)
    responder.reply("erasure.done", remove_reply_keyboard=True)
