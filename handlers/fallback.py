"""Last resort: anything no other handler took gets a helpful answer instead of silence."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.responder import Responder

router = Router(name=__name__)


@router.callback_query()
async def stale_button(query: CallbackQuery, responder: Responder) -> None:
    # Old buttons, buttons of a finished conversation, or forged callback data.
    assert query.id
    responder.answer_callback(query.id, "errors.stale_button", alert=True)


@router.message()
async def not_understood(message: Message, responder: Responder) -> None:
    responder.reply("common.not_understood")
