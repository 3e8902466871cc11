"""/outbox: operators see the notifications the outbox gave up on, and send them again."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, User

from domain.services import shipments
from domain.unit_of_work import UnitOfWork
from handlers.config import HandlerConfig
from handlers.responder import Button, Responder
from handlers.shipment_callbacks import OutboxAction


async def outbox_command(
    message: Message,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    rows, total = await shipments.dead_letters(event_from_user.id, config.operator_ids, uow)
    if not total:
        responder.reply("outbox.nothing_dead")
        return
    responder.reply(
        "outbox.dead_letters",
        rows=rows,
        total=total,
        keyboard=[[Button(label="outbox.retry_all", callback=OutboxAction())]],
    )


async def retry_pressed(
    query: CallbackQuery,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    count = await shipments.retry_dead_letters(event_from_user.id, config.operator_ids, uow)
    responder.remove_pressed_buttons(query)
    responder.reply("outbox.retried", count=count)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(outbox_command, Command("outbox"))
    router.callback_query.register(retry_pressed, OutboxAction.filter())
    return router
