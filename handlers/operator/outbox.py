"""/outbox: operators see the notifications the outbox gave up on, and send them again."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, User

from bot.responder import Button, Responder
from bot.settings import Settings
from domain.services import shipments
from domain.unit_of_work import UnitOfWork
from handlers.shipment_callbacks import OutboxAction

router = Router(name=__name__)


@router.message(Command("outbox"))
async def outbox_command(
    message: Message,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
    settings: Settings,
) -> None:
    rows, total = await shipments.dead_letters(event_from_user.id, settings.operator_ids, uow)
    if not total:
        responder.reply("outbox.nothing_dead")
        return
    responder.reply(
        "outbox.dead_letters",
        rows=rows,
        total=total,
        keyboard=[[Button(label="outbox.retry_all", callback=OutboxAction())]],
    )


@router.callback_query(OutboxAction.filter())
async def retry_pressed(
    query: CallbackQuery,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
    settings: Settings,
) -> None:
    count = await shipments.retry_dead_letters(event_from_user.id, settings.operator_ids, uow)
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    responder.reply("outbox.retried", count=count)
