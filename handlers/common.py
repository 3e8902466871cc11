"""Commands every user has: /start, /help, /cancel, /language, /privacy, /delete_my_data."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from domain.model import PROCESSED_UPDATE_RETENTION
from domain.returns.rules import DISPUTE_RECORD_HOLD
from domain.roles import Role
from domain.services import erasure, sellers
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
from handlers.command_filters import any_case_command, any_case_start
from handlers.context import UpdateContext
from handlers.conversations import resume
from handlers.engine_conversations import ENGINE_CONVERSATIONS
from handlers.keyboards import language_keyboard, single_button, yes_or_no
from handlers.order_callbacks import OrderMenu, OrderMenuAction
from handlers.responder import Button


async def cancel(message: Message, ctx: UpdateContext) -> None:
    if await ctx.state.get_state() is None:
        ctx.responder.reply("cancel.nothing", remove_reply_keyboard=True)
        return
    await ctx.state.clear()
    ctx.responder.reply("cancel.done", remove_reply_keyboard=True)


async def _resume_conversation(ctx: UpdateContext) -> bool:
    """Ask again the question of the conversation the user is in, if any (False if none)."""
    return await ctx.state.get_state() is not None and await resume(
        ctx,
        ENGINE_CONVERSATIONS,
    )


async def start(message: Message, ctx: UpdateContext) -> None:
    if await _resume_conversation(ctx):
        return
    role = await sellers.role_of(ctx.user_id, ctx.config.operator_ids, ctx.uow)
    if role == Role.OPERATOR:
        ctx.responder.reply("start.welcome_operator", name=ctx.user.first_name)
    elif role == Role.SELLER:
        seller = await ctx.uow.sellers.by_telegram_user(ctx.user_id)
        assert seller is not None
        ctx.responder.reply(
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
        ctx.responder.reply(
            "start.welcome_buyer",
            keyboard=single_button("buyer.my_purchases", BuyerOrder(action=BuyerAction.LIST)),
        )
    else:
        ctx.responder.reply(
            "start.welcome_new",
            name=ctx.user.first_name,
            keyboard=[
                [Button(label="role.seller", callback=RoleChoice(role=ChosenRole.SELLER))],
                [Button(label="role.buyer", callback=RoleChoice(role=ChosenRole.BUYER))],
            ],
        )


async def chose_buyer(query: CallbackQuery, ctx: UpdateContext) -> None:
    ctx.responder.reply("start.buyer_info")


async def help_command(message: Message, ctx: UpdateContext) -> None:
    role = await sellers.role_of(ctx.user_id, ctx.config.operator_ids, ctx.uow)
    ctx.responder.reply(f"help.{role}")
    # Asked in the middle of a conversation: the question it was at comes again after the
    # answer, so the user sees what the bot still waits for.
    await _resume_conversation(ctx)


async def language(message: Message, ctx: UpdateContext) -> None:
    ctx.responder.reply(
        "language.choose",
        keyboard=language_keyboard(ctx.responder.renderer, LanguagePurpose.PREFERENCE),
    )


async def language_chosen(
    query: CallbackQuery, callback_data: LanguageChoice, ctx: UpdateContext
) -> None:
    await sellers.set_language(ctx.user_id, callback_data.locale, ctx.uow)
    ctx.responder.locale = callback_data.locale
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply(
        "language.changed",
        language=ctx.responder.renderer.language_in_sentence(callback_data.locale),
    )


async def privacy(message: Message, ctx: UpdateContext) -> None:
    ctx.responder.reply(
        "privacy.policy",
        outbox_days=ctx.config.outbox_retention_days,
        update_id_hours=int(PROCESSED_UPDATE_RETENTION.total_seconds() // 3600),
        dispute_hold_days=DISPUTE_RECORD_HOLD.days,
    )
    await _resume_conversation(ctx)


async def delete_my_data(message: Message, ctx: UpdateContext) -> None:
    token = await erasure.ask_to_erase(ctx.user_id, ctx.uow)
    if isinstance(token, list):  # held: nothing to confirm
        ctx.responder.reply("erasure.blocked", blockers=token)
        return
    keyboard = yes_or_no(
        lambda step: ErasureAction(step=step, token=token),
        yes=("erasure.confirm", ErasureStep.CONFIRM),
        no=("erasure.keep", ErasureStep.KEEP),
    )
    ctx.responder.reply("erasure.confirm", keyboard=keyboard)


async def erasure_decided(
    query: CallbackQuery, callback_data: ErasureAction, ctx: UpdateContext
) -> None:
    ctx.responder.remove_pressed_buttons(query)
    if callback_data.step == ErasureStep.KEEP:
        await erasure.keep_data(ctx.user_id, callback_data.token, ctx.uow)
        ctx.responder.reply("erasure.kept")
        return
    # A stale token raises `erasure.stale`: the error middleware answers it and takes the
    # stale prompt's buttons off (nothing was erased, and that prompt is done with).
    blockers = await erasure.erase_on_confirmation(ctx.user_id, callback_data.token, ctx.uow)
    if blockers:
        ctx.responder.reply("erasure.blocked", blockers=blockers)
        return
    await ctx.state.clear()
    await ctx.uow.conversation_states.delete_for_user(ctx.user_id)
    ctx.responder.reply("erasure.done", remove_reply_keyboard=True)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(cancel, any_case_command("cancel"))
    router.message.register(start, any_case_start())
    router.callback_query.register(chose_buyer, RoleChoice.filter(F.role == ChosenRole.BUYER))
    router.message.register(help_command, any_case_command("help"))
    router.message.register(language, any_case_command("language"))
    router.callback_query.register(
        language_chosen, LanguageChoice.filter(F.purpose == LanguagePurpose.PREFERENCE)
    )
    router.message.register(privacy, any_case_command("privacy"))
    router.message.register(delete_my_data, any_case_command("delete_my_data"))
    router.callback_query.register(erasure_decided, ErasureAction.filter())
    return router
