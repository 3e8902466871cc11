"""Commands every user has: /start, /help, /cancel, /language, /privacy, /delete_my_data."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, User

from domain.model import PROCESSED_UPDATE_RETENTION
from domain.roles import Role
from domain.services import erasure, sellers
from domain.unit_of_work import UnitOfWork
from handlers import return_closing, return_leg, return_offer
from handlers.buyer import return_request
from handlers.buyer.callbacks import BuyerAction, BuyerOrder
from handlers.callbacks import (
    ChosenRole,
    ErasureAction,
    ErasureStep,
    LanguageChoice,
    LanguagePurpose,
    RoleChoice,
    WarehouseMenu,
    WarehouseMenuAction,
)
from handlers.config import HandlerConfig
from handlers.conversations import resume
from handlers.keyboards import language_keyboard
from handlers.order_callbacks import OrderMenu, OrderMenuAction
from handlers.responder import Button, Responder
from handlers.seller import (
    new_order,
    registration,
    return_policy,
    shipping,
    warehouse_registration,
)


async def cancel(message: Message, state: FSMContext, responder: Responder) -> None:
    if await state.get_state() is None:
        responder.reply("cancel.nothing", remove_reply_keyboard=True)
        return
    await state.clear()
    responder.reply("cancel.done", remove_reply_keyboard=True)


async def start(
    message: Message,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    if await state.get_state() is not None and (
        await resume(
            [
                registration.CONVERSATION,
                warehouse_registration.CONVERSATION,
                new_order.CONVERSATION,
                shipping.CONVERSATION,
                return_request.CONVERSATION,
                return_offer.CONVERSATION,
                *return_leg.CONVERSATIONS,
                *return_closing.CONVERSATIONS,
                return_policy.CONVERSATION,
            ],
            user_id=event_from_user.id,
            state=state,
            uow=uow,
            responder=responder,
            config=config,
        )
    ):
        return
    role = await sellers.role_of(event_from_user.id, config.operator_ids, uow)
    if role == Role.OPERATOR:
        responder.reply("start.welcome_operator", name=event_from_user.first_name)
    elif role == Role.SELLER:
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
    elif role == Role.BUYER:
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
                [Button(label="role.seller", callback=RoleChoice(role=ChosenRole.SELLER))],
                [Button(label="role.buyer", callback=RoleChoice(role=ChosenRole.BUYER))],
            ],
        )


async def chose_buyer(query: CallbackQuery, responder: Responder) -> None:
    responder.reply("start.buyer_info")


async def help_command(
    message: Message,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    role = await sellers.role_of(event_from_user.id, config.operator_ids, uow)
    responder.reply(f"help.{role}")


async def language(message: Message, responder: Responder) -> None:
    responder.reply(
        "language.choose",
        keyboard=language_keyboard(responder.renderer, LanguagePurpose.PREFERENCE),
    )


async def language_chosen(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    await sellers.set_language(event_from_user.id, callback_data.locale, uow)
    responder.locale = callback_data.locale
    responder.remove_pressed_buttons(query)
    responder.reply(
        "language.changed", language=responder.renderer.language_name(callback_data.locale)
    )


async def privacy(message: Message, responder: Responder, config: HandlerConfig) -> None:
    responder.reply(
        "privacy.policy",
        outbox_days=config.outbox_retention_days,
        update_id_hours=int(PROCESSED_UPDATE_RETENTION.total_seconds() // 3600),
    )


async def delete_my_data(message: Message, responder: Responder) -> None:
    responder.reply(
        "erasure.confirm",
        keyboard=[
            [Button(label="erasure.confirm", callback=ErasureAction(step=ErasureStep.CONFIRM))],
            [Button(label="erasure.keep", callback=ErasureAction(step=ErasureStep.KEEP))],
        ],
    )


async def erasure_decided(
    query: CallbackQuery,
    callback_data: ErasureAction,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    responder.remove_pressed_buttons(query)
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


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(cancel, Command("cancel"))
    router.message.register(start, CommandStart())
    router.callback_query.register(chose_buyer, RoleChoice.filter(F.role == ChosenRole.BUYER))
    router.message.register(help_command, Command("help"))
    router.message.register(language, Command("language"))
    router.callback_query.register(
        language_chosen, LanguageChoice.filter(F.purpose == LanguagePurpose.PREFERENCE)
    )
    router.message.register(privacy, Command("privacy"))
    router.message.register(delete_my_data, Command("delete_my_data"))
    router.callback_query.register(erasure_decided, ErasureAction.filter())
    return router
