"""/outbox: operators see the notifications the outbox gave up on, and send them again."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from domain.services import shipments
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.keyboards import single_button
from handlers.shipment_callbacks import OutboxAction


async def outbox_command(message: Message, ctx: UpdateContext) -> None:
    rows, total = await shipments.dead_letters(ctx.user_id, ctx.config.operator_ids, ctx.uow)
    if not total:
        ctx.responder.reply("outbox.nothing_dead")
        return
    ctx.responder.reply(
        "outbox.dead_letters",
        rows=rows,
        total=total,
        keyboard=single_button("outbox.retry_all", OutboxAction()),
    )


async def retry_pressed(query: CallbackQuery, ctx: UpdateContext) -> None:
    count = await shipments.retry_dead_letters(ctx.user_id, ctx.config.operator_ids, ctx.uow)
    ctx.responder.remove_pressed_buttons(query)
    ctx.responder.reply("outbox.retried", count=count)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(outbox_command, any_case_command("outbox"))
    router.callback_query.register(retry_pressed, OutboxAction.filter())
    return router
