"""Handlers fed real updates through the Dispatcher; asserts on the exact Bot API requests."""

from __future__ import annotations

import itertools

from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Chat, Message, MessageEntity, Update, User

from bot.app import Application
from tests.handlers.conftest import RecordingSession

_update_ids = itertools.count(1)
USER = User(id=7001, is_bot=False, first_name="Ana", language_code="pt-BR")
CHAT = Chat(id=7001, type="private")


def _text(text: str) -> Update:
    entities = None
    if text.startswith("/"):
        entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
    message = Message(
        message_id=next(_update_ids),
        date=0,
        chat=CHAT,
        from_user=USER,
        text=text,
        entities=entities,
    )
    return Update(update_id=next(_update_ids), message=message)


def _press(data: str) -> Update:
    message = Message(message_id=1, date=0, chat=CHAT, text="…")
    query = CallbackQuery(
        id=str(next(_update_ids)), from_user=USER, chat_instance="c", message=message, data=data
    )
    return Update(update_id=next(_update_ids), callback_query=query)


async def _feed(app: Application, update: Update) -> RecordingSession:
    await app.dispatcher.feed_update(app.bot, update)
    await app.replies.drain()
    session = app.bot.session
    assert isinstance(session, RecordingSession)
    return session


async def test_start_answers_in_the_users_language_with_role_buttons(
    handler_app: Application,
) -> None:
    session = await _feed(handler_app, _text("/start"))
    (request,) = [r for r in session.requests if isinstance(r, SendMessage)]
    assert "Olá, Ana" in request.text
    assert request.parse_mode == "HTML"
    buttons = [b.callback_data for row in request.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert buttons == ["role:s", "role:b"]


async def test_forged_callback_data_gets_a_stale_button_notice(handler_app: Application) -> None:
    session = await _feed(handler_app, _press("whm:view:not-a-number:"))
    (answer,) = [r for r in session.requests if isinstance(r, AnswerCallbackQuery)]
    assert answer.show_alert
    assert answer.text
    assert not session.sent_texts()


async def test_cancel_with_nothing_to_cancel(handler_app: Application) -> None:
    session = await _feed(handler_app, _text("/cancel"))
    assert session.sent_texts() == [handler_app.renderer.render("cancel.nothing", "pt_BR")]


async def test_a_redelivered_update_is_answered_once(handler_app: Application) -> None:
    update = _text("/help")
    await _feed(handler_app, update)
    session = await _feed(handler_app, update)
    assert len(session.sent_texts()) == 1
